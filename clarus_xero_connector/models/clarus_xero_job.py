import json
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, plaintext2html

from clarus_sync_engine import retry, states

KIND_SELECTION = [
    ("contact", "Contact"),
    ("item", "Item"),
    ("invoice", "Invoice"),
    ("credit_note", "Credit note"),
    ("purchase_order", "Purchase order"),
    ("allocation", "Credit note allocation"),
    ("history", "History note"),
    ("payment", "Payment"),
    ("payment_delete", "Payment deletion"),
    ("import_invoice", "Invoice from Xero"),
    ("import_credit_note", "Credit note from Xero"),
    ("import_payment", "Payment from Xero"),
    ("import_overpayment", "Overpayment from Xero"),
    ("import_prepayment", "Prepayment from Xero"),
    ("import_contact", "Contact from Xero"),
    ("stock_adjustment", "Stock increase (zero-total bill)"),
    ("stock_adjustment_credit", "Stock decrease (zero-total supplier credit)"),
    ("manual_journal", "Stock valuation (manual journal)"),
]
STATE_SELECTION = [
    (states.PENDING, "Pending"),
    (states.WAITING, "Waiting"),
    (states.RUNNING, "Running"),
    (states.DONE, "Done"),
    (states.FAILED, "Failed"),
    (states.CANCELLED, "Cancelled"),
]
CATEGORY_SELECTION = [
    (states.VALIDATION, "Validation"),
    (states.TRANSIENT, "Temporary"),
    (states.AUTH, "Authorisation"),
    (states.RATE_LIMIT, "Rate limit"),
    (states.UNKNOWN_OUTCOME, "Unknown outcome"),
]
# Reaching these states releases the jobs that wait for a job; so does a retry.
RELEASING_STATES = frozenset({states.DONE, states.CANCELLED})
RETRY = (states.FAILED, states.PENDING)
# Writes made by the sync itself carry this flag so they never enqueue another export.
SYNC_CONTEXT_KEY = "clarus_xero_sync_write"
# A running job older than this was abandoned by a dead worker.
STUCK_AFTER = timedelta(minutes=15)
# Temporary errors are retried this many times before a person is asked to look.
MAX_ATTEMPTS = 12


class ClarusXeroJob(models.Model):
    _name = "clarus.xero.job"
    _description = "Xero Sync Job"
    _order = "priority, id"
    _rec_name = "display_name"

    connection_id = fields.Many2one(
        "clarus.xero.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    res_model = fields.Char("Model", required=True, index=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", required=True)
    record_name = fields.Char("Record")
    kind = fields.Selection(KIND_SELECTION, required=True)
    # Jobs whose kind starts with "import_" bring a change made in Xero into Odoo; the
    # others send Odoo's records to Xero.
    direction = fields.Selection(
        [("export", "To Xero"), ("import", "From Xero")], compute="_compute_direction",
        store=True, index=True)
    state = fields.Selection(STATE_SELECTION, default=states.PENDING, required=True, index=True)
    priority = fields.Integer(default=10)
    attempts = fields.Integer(default=0, readonly=True)
    next_attempt_at = fields.Datetime(default=fields.Datetime.now, index=True)
    dedupe_key = fields.Char(required=True, readonly=True)
    depends_on = fields.Json(readonly=True, help="Record keys that must be in Xero first.")
    waits_for_id = fields.Many2one(
        "clarus.xero.job", "Waits for", readonly=True, index="btree_not_null",
        ondelete="set null",
        help="The job that must be done first; this one is released when it is done, "
             "cancelled or retried.")
    wait_reason = fields.Char(readonly=True)
    waits_for_state = fields.Selection(related="waits_for_id.state", string="Prerequisite state")
    waits_for_error = fields.Text(related="waits_for_id.error_message",
                                  string="Prerequisite error")
    in_flight = fields.Boolean(
        readonly=True,
        help="The request is about to go or went to Xero and its answer is not recorded yet.")

    error_category = fields.Selection(CATEGORY_SELECTION, readonly=True)
    error_message = fields.Text(readonly=True)
    error_hint = fields.Text("What to do", readonly=True)
    outcome_unknown = fields.Boolean(
        readonly=True, help="The last send may have reached Xero: look it up before resending."
    )
    payload = fields.Text(readonly=True)
    response_summary = fields.Text(readonly=True)
    duration_ms = fields.Integer(readonly=True)
    idempotency_key = fields.Char(readonly=True)
    xero_id = fields.Char("Xero ID", readonly=True)
    xero_number = fields.Char(readonly=True)
    started_at = fields.Datetime(readonly=True)
    done_at = fields.Datetime(readonly=True)

    _pending_uniq = models.UniqueIndex(
        "(dedupe_key) WHERE state IN ('pending', 'waiting')",
        "This record already waits in the Xero export queue.",
    )
    _claim_idx = models.Index("(connection_id, state, priority, id)")
    # The planner looks jobs up by record: (res_model, res_id) pairs.
    _record_idx = models.Index("(res_model, res_id)")
    # The pull skips a change it already applied by looking its key up among done and
    # failed jobs: without this, each page would scan every such job of the connection.
    _dedupe_idx = models.Index("(dedupe_key)")

    @api.depends("kind")
    def _compute_direction(self):
        for job in self:
            job.direction = "import" if (job.kind or "").startswith("import_") else "export"

    @api.depends("kind", "record_name")
    def _compute_display_name(self):
        labels = dict(KIND_SELECTION)
        for job in self:
            job.display_name = f"{labels.get(job.kind, job.kind)}: {job.record_name or job.res_id}"

    @property
    def record_key(self):
        return f"{self.res_model},{self.res_id}"

    def _record(self):
        self.ensure_one()
        return self.env[self.res_model].browse(self.res_id).exists()

    # --------------------------------------------------------------- enqueue

    @api.model
    def _enqueue(self, connection, record, kind, depends_on=(), priority=10):
        """Queue one record for export; see ``_enqueue_many``."""
        return self._enqueue_many(connection, [(record, kind, depends_on, priority)])

    @api.model
    def _enqueue_many(self, connection, rows):
        """Queue ``(record, kind, depends_on, priority)`` rows for export: one statement.

        Runs inside the business transaction (the outbox): if that rolls back, so do the
        jobs. A job already pending for the same record and kind is coalesced: it takes
        the new prerequisites and priority. The partial unique index decides, so two
        transactions queueing the same record at once still leave one pending job.
        """
        wanted = {}
        for record, kind, depends_on, priority in rows:
            key = f"{connection.id}:{kind}:{record._name},{record.id}"
            wanted[key] = (record, kind, sorted(set(depends_on or ())), priority)
        if not wanted:
            return self.browse()
        names = self._record_names([record for record, *_rest in wanted.values()])
        payload = [
            {"position": position, "dedupe_key": key, "res_model": record._name,
             "res_id": record.id, "record_name": names[(record._name, record.id)],
             "kind": kind, "priority": priority, "depends_on": depends}
            for position, (key, (record, kind, depends, priority)) in enumerate(wanted.items())
        ]
        # Pending ORM changes to jobs must be in the table the statement reads.
        self.flush_model()
        connection.flush_recordset(["company_id"])
        now = self.env.cr.now()
        self.env.cr.execute(SQL(
            """
            INSERT INTO clarus_xero_job (
                connection_id, company_id, res_model, res_id, record_name, kind, direction,
                state, priority, attempts, next_attempt_at, dedupe_key, depends_on,
                create_uid, create_date, write_uid, write_date)
            SELECT %(conn)s, conn.company_id, row.res_model, row.res_id, row.record_name,
                   row.kind,
                   CASE WHEN left(row.kind, 7) = 'import_' THEN 'import' ELSE 'export' END,
                   %(pending)s, row.priority, 0, %(due)s, row.dedupe_key,
                   row.depends_on, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM jsonb_to_recordset(%(rows)s::jsonb) AS row(
                   position int, dedupe_key varchar, res_model varchar, res_id int,
                   record_name varchar, kind varchar, priority int, depends_on jsonb)
              JOIN clarus_xero_connection conn ON conn.id = %(conn)s
             -- Ids in the caller's order: of two jobs on one record, the planner sends
             -- the older first (a credit note before its allocation).
             ORDER BY row.position
            ON CONFLICT %(target)s DO UPDATE
               SET depends_on = EXCLUDED.depends_on, priority = EXCLUDED.priority,
                   record_name = EXCLUDED.record_name,
                   write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
            RETURNING id
            """,
            conn=connection.id, pending=states.PENDING,
            now=now, due=fields.Datetime.now(), uid=self.env.uid, rows=json.dumps(payload),
            # The conflict target is the dedupe index itself, so the two cannot drift apart.
            target=SQL(type(self)._pending_uniq._index_definition),
        ))
        jobs = self.browse([row[0] for row in self.env.cr.fetchall()])
        # Coalesced jobs were changed behind the ORM's back.
        jobs.invalidate_recordset(
            ["depends_on", "priority", "record_name", "write_uid", "write_date"])
        self._trigger_push_once()
        return jobs

    @api.model
    def _record_names(self, records):
        """Display names of mixed records, computed per model in one go."""
        names = {}
        ids_by_model = {}
        for record in records:
            ids_by_model.setdefault(record._name, []).append(record.id)
        for model, ids in ids_by_model.items():
            for record in self.env[model].sudo().browse(ids):
                names[(model, record.id)] = record.display_name
        return names

    def _trigger_push_once(self):
        """Ask for a push run soon after this transaction commits: once, not per job."""
        data = self.env.cr.precommit.data
        if not data.get("clarus_xero_push_triggered"):
            data["clarus_xero_push_triggered"] = True
            self.env.ref("clarus_xero_connector.ir_cron_clarus_xero_push")._trigger()

    # ------------------------------------------------------------ transitions

    def _move_to(self, new_state, **vals):
        """Guarded transition: ``UPDATE ... WHERE state = old``, one query per old state.

        Jobs another transaction moved meanwhile are left out of the returned set. Jobs
        that stop holding others back (done, cancelled, retried) release their waiters.
        """
        moved_ids, releasing = set(), []
        self.flush_recordset()
        todo = self
        if new_state in states.QUEUED_STATES:
            superseded = set(self._supersede_by_queued_twins())
            releasing.extend(superseded)
            todo = self.filtered(lambda job: job.id not in superseded)
        for old_state, jobs in todo.grouped("state").items():
            states.check_transition(old_state, new_state)
            # A job that leaves ``running`` has no request in flight any more.
            self.env.cr.execute(
                "UPDATE clarus_xero_job SET state = %s, in_flight = in_flight AND %s = 'running'"
                " WHERE id = ANY(%s) AND state = %s RETURNING id",
                [new_state, new_state, jobs.ids, old_state],
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            moved_ids.update(ids)
            if new_state in RELEASING_STATES or (old_state, new_state) == RETRY:
                releasing.extend(ids)
        self.invalidate_recordset(["state", "in_flight"])
        # In the caller's order: callers pair jobs with the payloads they sent.
        moved = self.filtered(lambda job: job.id in moved_ids)
        if vals and moved:
            moved.write(vals)
        if releasing:
            self._release_waiters(releasing)
        return moved

    def _supersede_by_queued_twins(self):
        """Running jobs about to go back to the queue while a newer change of the same
        record already waits there (it was queued while they were claimed): the newer
        job takes over, inheriting "look it up first" if theirs may have reached Xero,
        and they are cancelled. Keeps one queued job per record, as the dedupe index
        requires. Returns the superseded job ids."""
        running = self.filtered(lambda job: job.state == states.RUNNING)
        if not running:
            return []
        self.env.cr.execute(
            """
            UPDATE clarus_xero_job twin
               SET outcome_unknown = twin.outcome_unknown OR job.outcome_unknown OR job.in_flight
              FROM clarus_xero_job job
             WHERE job.id = ANY(%s) AND job.state = 'running'
               AND twin.dedupe_key = job.dedupe_key AND twin.id <> job.id
               AND twin.state IN ('pending', 'waiting')
         RETURNING job.id, twin.id
            """,
            [running.ids],
        )
        pairs = self.env.cr.fetchall()
        if not pairs:
            return []
        ids = [job_id for job_id, _twin in pairs]
        self.env.cr.execute(
            """
            UPDATE clarus_xero_job SET state = 'cancelled', in_flight = FALSE,
                   done_at = (now() AT TIME ZONE 'UTC'),
                   error_message = 'Superseded by job #' || data.twin
              FROM unnest(%s::int[], %s::int[]) AS data(id, twin)
             WHERE clarus_xero_job.id = data.id AND clarus_xero_job.state = 'running'
            """,
            [ids, [twin for _job, twin in pairs]],
        )
        self.browse(ids + [twin for _job, twin in pairs]).invalidate_recordset(
            ["state", "in_flight", "done_at", "error_message", "outcome_unknown"])
        return ids

    def _release_waiters(self, job_ids):
        """Jobs waiting for ``job_ids`` go back to pending, due at once (no time: the
        claim's clock has whole seconds, the database's does not), in one statement."""
        self.env.cr.execute(
            """
            UPDATE clarus_xero_job
               SET state = 'pending', waits_for_id = NULL, wait_reason = NULL,
                   next_attempt_at = NULL
             WHERE state = 'waiting' AND waits_for_id = ANY(%s)
         RETURNING id
            """,
            [list(job_ids)],
        )
        released = [row[0] for row in self.env.cr.fetchall()]
        if released:
            self.browse(released).invalidate_recordset(
                ["state", "waits_for_id", "wait_reason", "next_attempt_at"])
        return released

    @api.model
    def _release_orphan_waiters(self, connection):
        """Waiting jobs whose prerequisite no longer holds them back (it was deleted, or
        reached an end by a path that did not release them) go back to pending."""
        self.flush_model()
        self.env.cr.execute(
            """
            UPDATE clarus_xero_job waiter
               SET state = 'pending', waits_for_id = NULL, wait_reason = NULL
             WHERE waiter.connection_id = %s AND waiter.state = 'waiting'
               AND NOT EXISTS (SELECT 1 FROM clarus_xero_job blocker
                                WHERE blocker.id = waiter.waits_for_id
                                  AND blocker.state = ANY(%s))
            """,
            [connection.id, list(states.BLOCKING_STATES)],
        )
        if self.env.cr.rowcount:
            self.invalidate_model(["state", "waits_for_id", "wait_reason"])
        return self.env.cr.rowcount

    def _wait_for(self, holds):
        """Claimed jobs held back by the plan: ``holds`` is [(job id, blocker id, reason)].

        One statement: they become waiting, each with the job it waits for."""
        if not holds:
            return
        self.flush_model()
        superseded = set(self.browse([hold[0] for hold in holds])._supersede_by_queued_twins())
        holds = [hold for hold in holds if hold[0] not in superseded]
        if not holds:
            return
        ids, blockers, reasons = (list(column) for column in zip(*holds, strict=True))
        self.env.cr.execute(
            """
            UPDATE clarus_xero_job job
               SET state = 'waiting', waits_for_id = hold.blocker, wait_reason = hold.reason,
                   in_flight = FALSE
              FROM unnest(%s::int[], %s::int[], %s::varchar[]) AS hold(id, blocker, reason)
             WHERE job.id = hold.id AND job.state = 'running'
            """,
            [ids, blockers, reasons],
        )
        self.browse(ids).invalidate_recordset(
            ["state", "waits_for_id", "wait_reason", "in_flight"])

    def action_retry(self):
        """Audited retry of failed jobs, from the error center."""
        failed = self.filtered(lambda j: j.state == states.FAILED)
        if not failed:
            raise UserError(self.env._("Only failed jobs can be retried."))
        for job in failed:
            job._note_on_record(
                self.env._("Xero export retried by %s.", self.env.user.name)
            )
        failed._move_to(
            states.PENDING,
            next_attempt_at=fields.Datetime.now(),
            error_category=False,
            error_message=False,
            error_hint=False,
        )
        self.env.ref("clarus_xero_connector.ir_cron_clarus_xero_push")._trigger()
        return True

    def action_cancel(self):
        todo = self.filtered(lambda j: j.state in states.CANCELLABLE_STATES)
        for job in todo:
            job._note_on_record(
                self.env._("Xero export cancelled by %s.", self.env.user.name)
            )
        todo._move_to(states.CANCELLED)
        return True

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def _note_on_record(self, body):
        record = self._record()
        if record and hasattr(record, "message_post"):
            record.message_post(body=body)

    @api.model
    def _counts_by_connection(self, connections):
        """Dashboard figures: jobs per state, and done today, per connection id."""
        result = {conn.id: {"job_pending_count": 0, "job_running_count": 0,
                            "job_failed_count": 0, "job_done_today_count": 0}
                  for conn in connections}
        for conn, state, count in self._read_group(
            [("connection_id", "in", connections.ids),
             ("state", "in", (states.PENDING, states.RUNNING, states.FAILED))],
            ["connection_id", "state"], ["__count"],
        ):
            result[conn.id][f"job_{state}_count"] = count
        today = fields.Datetime.to_datetime(fields.Date.context_today(self))
        for conn, count in self._read_group(
            [("connection_id", "in", connections.ids), ("state", "=", states.DONE),
             ("done_at", ">=", today)],
            ["connection_id"], ["__count"],
        ):
            result[conn.id]["job_done_today_count"] = count
        return result

    # ------------------------------------------------------------ housekeeping

    @api.model
    def _requeue_stuck(self, older_than=STUCK_AFTER):
        """Running jobs whose worker died go back to pending. Those whose request may have
        reached Xero are marked as unknown outcome (looked up before they are resent);
        those only claimed were never sent."""
        limit = fields.Datetime.now() - older_than
        stuck = self.search([("state", "=", states.RUNNING), ("started_at", "<=", limit)])
        sent = stuck.filtered("in_flight")
        sent._move_to(states.PENDING, outcome_unknown=True, in_flight=False)
        (stuck - sent)._move_to(states.PENDING)
        return stuck

    @api.autovacuum
    def _gc_done_jobs(self):
        """Old done jobs go in bounded batches; history stays for 90 days."""
        limit = fields.Datetime.now() - timedelta(days=90)
        self.search(
            [("state", "in", (states.DONE, states.CANCELLED)), ("done_at", "<", limit)],
            limit=5000,
        ).unlink()

    # ------------------------------------------------------------- outcomes

    def _fail(self, category, message):
        """Final until someone acts: shown in the error center, on the record, as an activity."""
        failed = self._move_to(
            states.FAILED, error_category=category, error_message=message,
            error_hint=states.what_to_do(category), done_at=fields.Datetime.now(),
        )
        body = self.env._("Xero export failed: %s", message)
        for model, jobs in failed.grouped("res_model").items():
            records = self.env[model].browse(set(jobs.mapped("res_id"))).exists()
            if records and hasattr(records, "_message_log_batch"):
                records._message_log_batch(dict.fromkeys(records.ids, body))
            if records and hasattr(records, "activity_schedule"):
                self._schedule_activity(records, message)

    @api.model
    def _schedule_activity(self, records, message):
        """One open "Fix Xero export" activity per record: a record that fails again has
        its activity's note brought up to date instead of getting a second one."""
        summary = self.env._("Fix Xero export")
        todo = self.env.ref("mail.mail_activity_data_todo")
        note = plaintext2html(message)
        Activity = self.env["mail.activity"].sudo()
        open_activities = Activity.search([
            ("res_model", "=", records._name), ("res_id", "in", records.ids),
            ("activity_type_id", "=", todo.id), ("automated", "=", True),
            # The English summary too: a run in another language must find it.
            ("summary", "in", list({summary, "Fix Xero export"})),
        ])
        open_activities.write({"note": note})
        already = set(open_activities.mapped("res_id"))
        model_id = self.env["ir.model"]._get_id(records._name)
        today = fields.Date.context_today(self)
        Activity.create([
            {"res_model_id": model_id, "res_id": record.id, "activity_type_id": todo.id,
             "summary": summary, "note": note, "automated": True, "date_deadline": today,
             "user_id": self._responsible(record).id}
            for record in records if record.id not in already
        ])

    def _responsible(self, record):
        user = (getattr(record, "invoice_user_id", False) or getattr(record, "user_id", False)
                or self.env.user)
        return user if user._name == "res.users" else self.env.user

    def _retry_later(self, category, message, outcome_unknown=False, retry_after=None):
        """Temporary failure: back to pending after a jittered backoff, or failed at last."""
        for job in self:
            if job.attempts >= MAX_ATTEMPTS:
                job._fail(category, self.env._(
                    "%(message)s (gave up after %(n)s attempts)", message=message, n=job.attempts))
                continue
            delay = retry.backoff(max(job.attempts, 1), retry_after=retry_after)
            job._move_to(
                states.PENDING, error_category=category, error_message=message,
                error_hint=states.what_to_do(category), outcome_unknown=outcome_unknown
                or job.outcome_unknown,
                next_attempt_at=fields.Datetime.now() + timedelta(seconds=int(delay) + 1),
            )

    def _back_to_pending(self, verdict, delay):
        """Rate limit or authorisation: nothing is wrong with the jobs themselves."""
        vals = {
            "error_category": verdict.category,
            "error_message": verdict.message,
            "error_hint": states.what_to_do(verdict.category),
            "next_attempt_at": fields.Datetime.now() + timedelta(seconds=int(delay) + 1),
        }
        for job in self:
            if job.state == states.PENDING:
                job.write(vals)
            else:
                # The attempt did not count: Xero never looked at the documents.
                job._move_to(states.PENDING, attempts=max(job.attempts - 1, 0), **vals)

    @api.model
    def _cron_push(self):
        cron = self.env["ir.cron"]
        self.env["clarus.xero.push"]._run_all(
            # Commit after each batch and before each call: progress survives a crash.
            commit=lambda processed=0: cron._commit_progress(processed)
        )
