"""Each organisation's work on Odoo's own cron workers, one organisation at a time.

Every connected connection has its own scheduled actions, one per kind of work (``WORK``:
push, webhook read-back, keep-alive, pull). Odoo's cron
threads, in every Odoo server on the database, take ready actions one at a time with
``FOR NO KEY UPDATE SKIP LOCKED``, so twenty organisations are worked on by as many
threads as the servers run. Around every piece of work sits the organisation lock:
whichever action (this connection's, or the global ones) holds it works on the
organisation; the others come back later.
"""

from collections import namedtuple
from contextlib import contextmanager
from datetime import timedelta

from odoo import api, fields, models, sql_db
from odoo.exceptions import LockError

from clarus_sync_engine import retry, states
from clarus_sync_engine.pacing import SharedRatePacer

from .clarus_xero_connection import TOKEN_ERRORS, TokenRefreshedElsewhere
from .clarus_xero_pacing import DatabasePacingStore

Work = namedtuple("Work", "label interval_number interval_type priority method")

# The kinds of work each connection schedules for itself.
WORK = {
    "push": Work("push the export queue", 5, "minutes", 5, "_work_push"),
    "webhooks": Work("read back webhook events", 15, "minutes", 10, "_work_webhooks"),
    "keep_alive": Work("keep the connection alive", 1, "days", 20, "_work_keep_alive"),
    # Every 2 hours unless the connection says otherwise (``pull_interval_hours``).
    "pull": Work("pull changes from Xero", 2, "hours", 15, "_work_pull"),
}
# First key of the two-key advisory lock (the connection id is the second): "XRO".
LOCK_NAMESPACE = 0x58524F
# When the organisation is busy with other work, its action comes back after this.
BUSY_RETRY = timedelta(seconds=30)
# Refresh tokens unused for 60 days expire at Xero: refresh well before.
KEEP_ALIVE_AFTER = timedelta(days=20)
# Waits longer than this end the run; the organisation's action comes back when due,
# and the cron thread serves another organisation meanwhile.
PACING_MAX_WAIT = 15.0


# The connection's scheduling lives beside it, as its purchasing settings do: one concern
# per file keeps each under the size the style asks for.
class ClarusXeroConnection(models.Model):  # pylint: disable=consider-merging-classes-inherited
    _inherit = "clarus.xero.connection"

    cron_ids = fields.One2many(
        "ir.cron", "clarus_xero_connection_id", "Scheduled actions",
        context={"active_test": False}, groups="base.group_system")
    pacing_ids = fields.One2many("clarus.xero.pacing", "connection_id", readonly=True)
    work_state = fields.Selection(
        [("working", "Working now"), ("waiting", "Waiting for Xero"),
         ("scheduled", "Scheduled"), ("stopped", "Not scheduled")],
        compute="_compute_schedule")
    next_run_at = fields.Datetime("Next push at", compute="_compute_schedule")
    waiting_until = fields.Datetime("Xero asked to wait until", compute="_compute_schedule")
    waiting_reason = fields.Char(compute="_compute_schedule")

    # --------------------------------------------------------- lifecycle

    @api.model_create_multi
    def create(self, vals_list):
        connections = super().create(vals_list)
        connections._sync_schedules()
        return connections

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals or "active" in vals:
            self._sync_schedules()
        return result

    def unlink(self):
        crons = self.sudo().with_context(active_test=False).cron_ids
        actions = crons.ir_actions_server_id
        crons.unlink()
        actions.unlink()
        return super().unlink()

    def _schedulable(self):
        self.ensure_one()
        return self.active and self.state == "connected"

    def _sync_schedules(self):
        """Connected connections have an active action per kind of work; the others
        have theirs archived. An action running right now cannot be changed: it sees
        the connection's state when it runs and archives itself (``_cron_work``)."""
        for conn in self.sudo().with_context(active_test=False):
            wanted = conn._schedulable()
            crons = {cron.clarus_xero_work: cron for cron in conn.cron_ids}
            for kind, work in WORK.items():
                cron = crons.get(kind)
                if cron is None:
                    if wanted:
                        conn._create_cron(kind, work)
                elif cron.active != wanted:
                    try:
                        cron.lock_for_update(allow_referencing=True)
                    except LockError:
                        continue  # running now: see the docstring
                    cron.active = wanted

    def _ensure_schedules(self):
        """Connected connections whose action went missing or inactive get it back."""
        missing = self.sudo().filtered(lambda conn: conn._schedulable() and set(WORK) - set(
            conn.cron_ids.filtered("active").mapped("clarus_xero_work")))
        missing._sync_schedules()

    def _create_cron(self, kind, work):
        return self.env["ir.cron"].sudo().create({
            "name": self.env._("Xero: %(work)s of %(connection)s", work=work.label,
                               connection=self.name),
            "model_id": self.env["ir.model"]._get_id(self._name),
            "state": "code",
            "code": f"model.browse({self.id})._cron_work({kind!r})",
            "interval_number": work.interval_number,
            "interval_type": work.interval_type,
            "priority": work.priority,
            "user_id": self.env.ref("base.user_root").id,
            "clarus_xero_connection_id": self.id,
            "clarus_xero_work": kind,
        })

    def _cron(self, kind):
        self.ensure_one()
        return self.sudo().cron_ids.filtered(lambda cron: cron.clarus_xero_work == kind)[:1]

    # ------------------------------------------------------ the lock

    @contextmanager
    def _organisation_lock(self):
        """Yield True when this worker may work on the organisation, False when another
        worker does.

        A transaction-level advisory lock, taken in a cursor of its own that does
        nothing else and stays open for the work: the work's own transaction commits
        many times (which would release a lock taken in it), and closing this cursor
        releases the lock whatever happened (error, rollback, a worker that died).
        A connection of its own even under tests, where every cursor of the registry
        shares the test's transaction."""
        self.ensure_one()
        lock_cr = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            lock_cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)",
                            [LOCK_NAMESPACE, self.id])
            yield lock_cr.fetchone()[0]
        finally:
            # Nothing else was done in this transaction: ending it releases the lock.
            lock_cr.commit()
            lock_cr.close()

    def _working_now(self):
        """Ids of these connections whose organisation lock is held (by any server)."""
        if not self.ids:
            return set()
        self.env.cr.execute(
            """SELECT objid FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND classid = %s AND objsubid = 2
                  AND objid::int = ANY(%s)
                  AND database = (SELECT oid FROM pg_database
                                   WHERE datname = current_database())""",
            [LOCK_NAMESPACE, self.ids])
        return {row[0] for row in self.env.cr.fetchall()}

    # -------------------------------------------------- scheduled work

    def _cron_work(self, kind):
        """The code of a connection's own scheduled action: ``kind`` of work for this
        organisation only, under its lock, then the action's next run is set."""
        cron_model = self.env["ir.cron"]
        conn = self.sudo().exists()
        if not conn or not conn._schedulable():
            cron_model._commit_progress(deactivate=True)
            return
        open_before = conn._open_count(kind)
        with conn._organisation_lock() as mine:
            if not mine:
                # The worker holding it asks for this action again when it leaves.
                conn._schedule(kind, fields.Datetime.now() + BUSY_RETRY)
                return
            getattr(conn, WORK[kind].method)(
                commit=lambda processed=0: cron_model._commit_progress(processed))
            conn._schedule_next(kind, open_before)

    def _open_count(self, kind):
        """Jobs of this kind of work not finished yet (only the push has a queue)."""
        if kind != "push":
            return 0
        return self.env["clarus.xero.job"].sudo().search_count([
            ("connection_id", "=", self.id),
            ("state", "in", (states.PENDING, states.WAITING, states.RUNNING))])

    def _due_count(self):
        return self.env["clarus.xero.job"].sudo().search_count([
            ("connection_id", "=", self.id), ("state", "=", states.PENDING),
            "|", ("next_attempt_at", "=", False),
            ("next_attempt_at", "<=", fields.Datetime.now())])

    def _schedule(self, kind, when=None):
        cron = self._cron(kind)
        if cron.active:
            cron._trigger(when)

    def _schedule_next(self, kind, open_before=None):
        """After working on the organisation: due work left (the run used its time
        slice) comes back at once, so that any free worker takes it, unless the run
        made no progress (then in a while); work due later comes back when it is due.
        ``open_before`` None: the caller is not this action (it has no progress to
        compare), so due work is handed to the action at once."""
        if kind != "push":
            return
        self.env.invalidate_all()
        if self._due_count():
            stuck = open_before is not None and self._open_count(kind) >= open_before
            self._schedule(kind, fields.Datetime.now() + BUSY_RETRY if stuck else None)
            return
        first = self.env["clarus.xero.job"].sudo().search(
            [("connection_id", "=", self.id), ("state", "=", states.PENDING),
             ("next_attempt_at", "!=", False)], order="next_attempt_at", limit=1)
        if first:
            self._schedule(kind, first.next_attempt_at)

    def _work_push(self, commit):
        self.env["clarus.xero.push"]._run_guarded(self, commit)

    def _work_webhooks(self, commit):
        self.env["clarus.xero.webhook.event"]._process_connection(self, commit)

    def _work_pull(self, commit):
        self.env["clarus.xero.pull"]._run_scheduled(self, commit)

    def _work_keep_alive(self, commit):  # noqa: ARG002 - the refresh commits on its own
        if self.last_refresh_at and self.last_refresh_at > fields.Datetime.now() - \
                KEEP_ALIVE_AFTER:
            return
        try:
            self._ensure_fresh_token(force=True)
        except (retry.InvalidGrant, TokenRefreshedElsewhere):
            return  # marked for re-authorisation, or refreshed by another worker
        except TOKEN_ERRORS as exc:
            self.last_error = str(exc)

    def _trigger_push_of(self):
        """Ask every free cron worker to push these connections' due jobs now."""
        for conn in self.sudo():
            if conn._due_count():
                conn._schedule("push")

    @api.model
    def _cron_keep_alive(self):
        """Refresh idle connections, each under its organisation's lock."""
        stale = fields.Datetime.now() - KEEP_ALIVE_AFTER
        cron_model = self.env["ir.cron"]
        for conn in self.sudo().search(
            [("state", "=", "connected"), "|", ("last_refresh_at", "=", False),
             ("last_refresh_at", "<", stale)]
        ):
            with conn._organisation_lock() as mine:
                if mine:
                    conn._work_keep_alive(
                        commit=lambda processed=0: cron_model._commit_progress(processed))
                else:
                    conn._schedule("keep_alive", fields.Datetime.now() + BUSY_RETRY)

    # ------------------------------------------------------------ pacing

    def _push_pacer(self):
        """One organisation's calls paced as one across every worker and server: the
        state lives in ``clarus.xero.pacing``."""
        self.ensure_one()
        return SharedRatePacer(
            DatabasePacingStore(self.env.registry, self.id), per_day=self.day_limit or 5000,
            max_wait=PACING_MAX_WAIT, in_flight_timeout=max(self.request_timeout, 1) + 60)

    # --------------------------------------------------------- dashboard

    @api.depends("state", "active")
    def _compute_schedule(self):
        working = self._origin._working_now() if self._origin else set()
        now = fields.Datetime.now()
        for conn in self:
            origin = conn._origin
            cron = origin._cron("push") if origin else self.env["ir.cron"]
            pacing = origin.pacing_ids[:1] if origin else origin.pacing_ids
            waiting = pacing.blocked_until if pacing.blocked_until and \
                pacing.blocked_until > now else False
            conn.waiting_until = waiting
            conn.waiting_reason = waiting and pacing.blocked_reason
            conn.next_run_at = cron.active and conn._next_call(cron)
            if origin.id in working:
                conn.work_state = "working"
            elif waiting:
                conn.work_state = "waiting"
            elif cron.active:
                conn.work_state = "scheduled"
            else:
                conn.work_state = "stopped"

    def _next_call(self, cron):
        """The earlier of the action's next call and its pending triggers."""
        cron = cron.sudo()
        trigger = self.env["ir.cron.trigger"].sudo().search(
            [("cron_id", "=", cron.id)], order="call_at", limit=1)
        return min(filter(None, [cron.nextcall, trigger.call_at]))
