"""The pull run: read what changed in Xero since each collection's watermark, page by
page, and apply each change to the Odoo record it concerns as one import job.

Reading, paging and the watermark are decided in ``clarus_sync_engine.inbound``; this
model reads records, calls the entry points that apply a change, and writes the jobs.
The same application serves the records a webhook or a retry asks for by ID
(``_read_back_pending``).
"""

import json
import logging
from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models

from clarus_sync_engine import inbound, retry, settlement, states
from clarus_sync_engine.client import PacingStop

from .clarus_xero_connection import XERO_CALL_ERRORS
from .clarus_xero_job import SYNC_CONTEXT_KEY
from .clarus_xero_payment_in import PAYMENTS_FOLLOW_KEY

_logger = logging.getLogger(__name__)

# Binding model of each kind ``inbound.document_ref`` names.
BOUND_MODELS = {"invoice": "account.move", "credit_note": "account.move",
                "contact": "res.partner"}
# Collection -> (model, method) of the entry point that applies one of its elements.
ENTRY_POINTS = {
    "invoices": ("clarus.xero.payment.in", "_apply_document"),
    "credit_notes": ("clarus.xero.payment.in", "_apply_document"),
    "payments": ("clarus.xero.payment.in", "_apply_payment"),
    "overpayments": ("clarus.xero.payment.in", "_apply_prepayment"),
    "prepayments": ("clarus.xero.payment.in", "_apply_prepayment"),
    "contacts": ("res.partner", "_clarus_xero_apply_contact"),
}
# These find their own Odoo records: applied even when no document of theirs is bound.
SELF_FINDING = frozenset({"payments", "overpayments", "prepayments"})
# Pending import jobs read back by ID in one run, at most.
READ_BACK_LIMIT = 500


def _json_value(value):
    """Xero's amounts come parsed as Decimal: kept as JSON numbers."""
    return float(value) if isinstance(value, Decimal) else str(value)


class ClarusXeroPull(models.AbstractModel):
    _name = "clarus.xero.pull"
    _description = "Xero pull run"

    # ------------------------------------------------------------------ entry

    @api.model
    def _run_scheduled(self, connection, commit=None):
        """The connection's scheduled pull: first the records asked for by ID (webhooks,
        retries), then, within business hours when set, what changed since the
        watermarks."""
        self._run_guarded(connection, commit, read_changes=connection._pull_in_hours())

    def _run_guarded(self, connection, commit, read_changes=True):
        """An unexpected error ends the run with its reason on the connection. Pages
        already applied stay: with real commits they are committed; without, each page
        has its own savepoint."""
        try:
            self._read_back_pending(connection, commit)
            if read_changes:
                self._run(connection, commit=commit)
        except Exception as exc:  # noqa: BLE001 - recorded on the connection
            _logger.exception("Xero pull for %s stopped", connection.name)
            if commit:
                self.env.cr.rollback()
            self.env.invalidate_all()
            connection.sudo().last_error = self.env._(
                "The last pull from Xero stopped on an unexpected error: %(error)s",
                error=exc)
            if commit:
                commit(0)

    @api.model
    def _run(self, connection, commit=None, page_size=inbound.PAGE_SIZE, collections=None,
             pacer=None):
        """Read and apply every collection's changes; returns "ok", or "stop" when Xero,
        the pacing or the cron's time said to stop (the next run resumes)."""
        commit = commit or (lambda processed=0: float("inf"))
        if not self.env["clarus.xero.push"]._token_ready(connection, commit):
            return "stop"
        ctx = self._context_for(connection, pacer)
        collections = collections or inbound.PULL_ORDER
        for name in collections:
            # The documents' new payments are left to the Payments read that follows
            # them, which has their bank accounts: no read-back per paid document.
            follows = "payments" in collections[collections.index(name) + 1:]
            me = self.with_context(**{PAYMENTS_FOLLOW_KEY: True}) if follows else self
            if me._pull_collection(ctx, name, page_size, commit) != "ok":
                return "stop"
        connection.sudo().pull_last_run_at = fields.Datetime.now()
        commit(0)
        return "ok"

    def _context_for(self, connection, pacer=None):
        gateway = connection._gateway(pacer or connection._push_pacer())
        return {"connection": connection, "gateway": gateway, "calls_recorded": 0}

    def _pull_collection(self, ctx, name, page_size, commit):
        """Every page of one collection; the watermark moves with each committed page."""
        conn = ctx["connection"]
        paged = inbound.PagedRead(inbound.COLLECTIONS[name].id_field,
                                  conn._pull_watermark(name))
        since = inbound.read_since(paged.watermark)
        page = 1
        while True:
            # A long run outlives the 30-minute access token: refreshed before each read.
            if not self.env["clarus.xero.push"]._token_ready(conn, commit):
                return "stop"
            try:
                elements, pagination = ctx["gateway"].read_changed(
                    name, conn.tenant_id, since, page, page_size)
            except PacingStop as stop:
                self._record_usage(ctx)
                conn._schedule("pull", self._later(stop.decision.wait))
                return "stop"
            except (*XERO_CALL_ERRORS, retry.LookupNotFound) as exc:
                return self._read_failed(ctx, name, exc)
            with self.env.cr.savepoint():
                self._record_usage(ctx)
                self._apply_page(ctx, name, elements)
                conn._set_pull_watermark(name, paged.take(elements))
            # The page and its watermark are one commit: a crash after it resumes here.
            if commit(len(elements)) <= 0:
                return "stop"
            if paged.rewound or inbound.is_last_page(page, elements, pagination, page_size):
                return "ok"
            page += 1

    def _read_failed(self, ctx, name, exc):
        """Xero refused or failed a read: the run stops, the reason shows on the
        connection, the next run reads the same page again."""
        conn = ctx["connection"]
        verdict = retry.classify(exc)
        self._record_usage(ctx, getattr(exc, "headers", None))
        if verdict.category == states.AUTH and (
                verdict.stop_connection or isinstance(exc, retry.InvalidGrant)
                or "invalid_grant" in verdict.message):
            conn._mark_needs_reauth(verdict.message)
        elif verdict.category == states.RATE_LIMIT:
            conn._schedule("pull", self._later(verdict.retry_after or 60))
        conn.sudo().last_error = self.env._(
            "Reading the %(what)s changed in Xero failed: %(error)s",
            what=inbound.COLLECTIONS[name].key, error=verdict.message)
        return "stop"

    def _record_usage(self, ctx, headers=None):
        gateway = ctx["gateway"]
        made = gateway.pacer.calls_made if gateway.pacer else 0
        self.env["clarus.xero.api.usage"]._record(
            ctx["connection"], made - ctx["calls_recorded"], headers or gateway.last_headers)
        ctx["calls_recorded"] = made

    def _later(self, seconds):
        return fields.Datetime.now() + timedelta(seconds=max(1, int(seconds or 0)))

    # ------------------------------------------------------------- applying

    def _apply_page(self, ctx, name, elements):
        """Apply one page: a change already applied (read again in the overlap, or
        after a crash) is skipped; a record Odoo does not hold is skipped; a document
        whose only news is its status is settled with the page's others in one write;
        the page's new payments are registered together; each other change is applied
        alone and, when it changed something or failed, becomes one import job."""
        conn = ctx["connection"]
        keys = [inbound.change_key(conn.id, name, element) for element in elements]
        Job = self.env["clarus.xero.job"].sudo()
        done = set(Job.search([("connection_id", "=", conn.id), ("dedupe_key", "in", keys),
                               ("state", "in", (states.DONE, states.FAILED))]
                              ).mapped("dedupe_key"))
        bound = self._bound_records(conn, name, elements)
        todo = []
        for element, key in zip(elements, keys, strict=True):
            if key in done:
                continue
            record = bound.get(inbound.document_ref(name, element))
            if record is None and name not in SELF_FINDING:
                continue
            todo.append((key, record, element))
        rows = []
        if name in ("invoices", "credit_notes"):
            todo = self._settle_quiet_documents(conn, todo)
        elif name == "payments":
            todo, rows = self._register_new_payments(conn, todo)
        for key, record, element in todo:
            vals = self._apply_element(conn, name, element, record or conn)
            if vals:
                rows.append(dict(vals, dedupe_key=key))
        self._write_jobs(rows)

    def _settle_quiet_documents(self, conn, todo):
        """Documents whose only news is their Xero status (most of a page): their
        bindings take the status in one write per status; the rest are returned, to be
        applied one by one. Decided by ``settlement.document_is_quiet`` on the page's
        bindings and payment links, read in two queries."""
        moves = self.env["account.move"].concat(*(record for _k, record, _e in todo))
        if not moves:
            return todo
        bindings = {binding.res_id: binding for binding in self.env[
            "clarus.xero.binding"].sudo().search([
                ("connection_id", "=", conn.id), ("res_model", "=", "account.move"),
                ("res_id", "in", moves.ids)])}
        note_ids = [element.get("CreditNoteID") for _k, _r, element in todo
                    if element.get("CreditNoteID")]
        links = self.env["clarus.xero.payment.link"].sudo().search([
            ("connection_id", "=", conn.id), "|", ("move_id", "in", moves.ids), "&",
            ("kind", "=", "credit_note"), ("xero_payment_id", "in", note_ids)])
        by_move, by_note = {}, {}
        for link in links:
            pair = (link.kind, settlement.Link(link.xero_payment_id or None, link.origin,
                                               link.state, link.create_date, link.amount))
            by_move.setdefault(link.move_id.id, []).append(pair)
            if link.kind == "credit_note":
                by_note.setdefault(link.xero_payment_id, []).append(pair)
        follow = bool(self.env.context.get(PAYMENTS_FOLLOW_KEY))
        left, statuses = [], {}
        for key, record, element in todo:
            binding = bindings.get(record.id)
            known = by_move.get(record.id, []) + [
                pair for pair in by_note.get(element.get("CreditNoteID") or "-", ())
                if pair not in by_move.get(record.id, [])]
            if record.clarus_xero_no_import or not binding or not settlement.document_is_quiet(
                    element, binding.xero_status, known, payments_follow=follow):
                left.append((key, record, element))
                continue
            status = element.get("Status")
            if status and status != binding.xero_status:
                statuses.setdefault(status, []).append(binding.id)
        for status, binding_ids in statuses.items():
            self.env["clarus.xero.binding"].sudo().browse(binding_ids).write(
                {"xero_status": status})
        return left

    def _register_new_payments(self, conn, todo):
        """The page's payments: those Odoo already links (applied before, or sent from
        Odoo) and deletions of payments Odoo never held are settled at once; new ones
        on bound documents are registered together (``_register_many``). Returns the
        payments left to apply one by one, and the job rows of those registered."""
        ids = [element.get("PaymentID") for _k, _r, element in todo]
        linked = {}
        for link in self.env["clarus.xero.payment.link"].sudo().search([
                ("connection_id", "=", conn.id), ("xero_payment_id", "in", ids)]):
            linked.setdefault(link.xero_payment_id, []).append(link.state)
        left, new = [], []
        for key, record, element in todo:
            known = linked.get(element.get("PaymentID"))
            if element.get("Status") == "DELETED":
                if known and "active" in known:
                    left.append((key, record, element))
            elif record is not None and not known:
                new.append((key, record, element))
        if not new:
            return left, []
        texts, rest = self.env["clarus.xero.payment.in"]._register_many(conn, new)
        rows = []
        for key, record, element in new:
            if key in texts:
                rows.append(dict(self._job_vals(conn, "payments", element, record),
                                 dedupe_key=key, state=states.DONE,
                                 response_summary=texts[key]))
        rest_keys = {key for key, _m, _e in rest}
        return left + [item for item in new if item[0] in rest_keys], rows

    def _bound_records(self, conn, name, elements):
        """``{(kind, xero_id): record}`` for the Odoo records bound to the elements."""
        refs = {inbound.document_ref(name, element) for element in elements}
        refs.discard((None, None))
        by_model = {}
        for kind, xero_id in refs:
            by_model.setdefault(BOUND_MODELS[kind], set()).add(xero_id)
        found = {}
        for model, xero_ids in by_model.items():
            bindings = self.env["clarus.xero.binding"].sudo().search([
                ("connection_id", "=", conn.id), ("res_model", "=", model),
                ("xero_id", "in", list(xero_ids))])
            # Iterating the recordset keeps the page's records one prefetch group: their
            # fields are then read in one query, not one per record.
            existing = {record.id: record for record in
                        self.env[model].browse(bindings.mapped("res_id")).exists()}
            kinds = [kind for kind, bound_model in BOUND_MODELS.items() if bound_model == model]
            for binding in bindings:
                if binding.res_id in existing:
                    for kind in kinds:
                        found[(kind, binding.xero_id)] = existing[binding.res_id]
        return found

    def _apply_element(self, conn, name, element, record, requested=False):
        """Apply one Xero element to ``record`` in a savepoint of its own: the values of
        its import job, or None when it changed nothing (and nobody asked for it)."""
        vals = self._job_vals(conn, name, element, record)
        if "clarus_xero_no_import" in record._fields and record.clarus_xero_no_import:
            return dict(vals, state=states.DONE, response_summary=self.env._(
                "Not imported: %(record)s is marked 'Do not import from Xero' (%(reason)s).",
                record=record.display_name, reason=record.clarus_xero_no_import_reason))
        model, method = ENTRY_POINTS[name]
        if model not in self.env.registry or not hasattr(self.env[model], method):
            return dict(vals, state=states.FAILED, error_category=states.VALIDATION,
                        error_message=self.env._(
                            "Changes of this kind made in Xero cannot be applied in this "
                            "database yet (%(model)s.%(method)s is missing).",
                            model=model, method=method))
        try:
            with self.env.cr.savepoint():
                text = self._call_entry_point(conn, name, element, record)
                if text and record._name != conn._name:
                    record.with_context(**{SYNC_CONTEXT_KEY: True}).sudo().write(
                        {"clarus_xero_last_import": fields.Datetime.now()})
        except Exception as exc:  # noqa: BLE001 - a bad record fails alone, with its reason
            _logger.info("Applying Xero %s %s failed: %s", name, vals["xero_id"], exc)
            return dict(vals, state=states.FAILED, error_category=states.VALIDATION,
                        error_message=str(exc.args[0] if exc.args else exc),
                        error_hint=states.what_to_do(states.VALIDATION))
        if not text and not requested:
            return None
        return dict(vals, state=states.DONE, response_summary=text or self.env._(
            "Nothing to change: Odoo already matches Xero."))

    def _call_entry_point(self, conn, name, element, record):
        """What applying one element did, as a short text ("" when nothing)."""
        kind = inbound.COLLECTIONS[name].apply_kind
        PaymentIn = self.env[ENTRY_POINTS["payments"][0]] if name in SELF_FINDING or name in (
            "invoices", "credit_notes") else None
        if name in ("invoices", "credit_notes"):
            # The binding's status, VOIDED/DELETED activities and payments listed on it.
            texts = [PaymentIn._apply_document(conn, kind, element, record)]
        elif name == "payments":
            texts = [PaymentIn._apply_payment(conn, element)]
        elif name in ("overpayments", "prepayments"):
            texts = [PaymentIn._apply_prepayment(conn, kind, element)]
        else:
            texts = [self.env["res.partner"]._clarus_xero_apply_contact(conn, element, record)]
        return "\n".join(text for text in texts if text)

    def _job_vals(self, conn, name, element, record):
        collection = inbound.COLLECTIONS[name]
        now = fields.Datetime.now()
        kept = inbound.summary(name, element)
        return {
            "connection_id": conn.id, "res_model": record._name, "res_id": record.id,
            "record_name": record.display_name, "kind": collection.job_kind,
            "xero_id": element.get(collection.id_field),
            "xero_number": element.get("InvoiceNumber") or element.get("CreditNoteNumber")
            or element.get("Name") or element.get("Reference") or False,
            "payload": json.dumps(kept, default=_json_value, indent=1),
            "attempts": 1, "started_at": now, "done_at": now,
        }

    def _write_jobs(self, rows):
        """The import jobs of a page, in one create; failures noted on their records."""
        if not rows:
            return self.env["clarus.xero.job"]
        jobs = self.env["clarus.xero.job"].sudo().create(rows)
        self._note_failures(jobs.filtered(lambda job: job.state == states.FAILED))
        return jobs

    def _note_failures(self, jobs):
        for job in jobs:
            record = job._record()
            if record and hasattr(record, "message_post"):
                record.message_post(body=self.env._(
                    "A change made in Xero could not be applied: %s", job.error_message))

    # ---------------------------------------------------- read back by ID

    @api.model
    def _read_back_pending(self, connection, commit=None):
        """Pending import jobs (queued by a webhook, or retried) read back from Xero by
        ID, one call per collection, and applied like the pull applies a change."""
        Job = self.env["clarus.xero.job"].sudo()
        jobs = Job.search([("connection_id", "=", connection.id), ("direction", "=", "import"),
                           ("state", "=", states.PENDING)], limit=READ_BACK_LIMIT)
        if not jobs:
            return jobs
        commit = commit or (lambda processed=0: float("inf"))
        if not self.env["clarus.xero.push"]._token_ready(connection, commit):
            return jobs
        ctx = self._context_for(connection)
        for kind, group in jobs.grouped("kind").items():
            group = group._move_to(states.RUNNING, started_at=fields.Datetime.now())
            if group and self._read_back(ctx, kind, group) == "stop":
                break
            commit(len(group))
        return jobs

    def _read_back(self, ctx, kind, jobs):
        conn = ctx["connection"]
        name = inbound.COLLECTION_OF_JOB[kind]
        try:
            found = ctx["gateway"].read_collection_by_ids(
                name, conn.tenant_id, [job.xero_id for job in jobs if job.xero_id])
        except PacingStop as stop:
            self._record_usage(ctx)
            jobs._move_to(states.PENDING, next_attempt_at=self._later(stop.decision.wait))
            return "stop"
        except (*XERO_CALL_ERRORS, retry.LookupNotFound) as exc:
            jobs._move_to(states.PENDING)
            return self._read_failed(ctx, name, exc)
        self._record_usage(ctx)
        for job in jobs:
            element = found.get(job.xero_id)
            record = job._record() or conn
            if element is None:
                job._move_to(states.FAILED, error_category=states.VALIDATION,
                             done_at=fields.Datetime.now(), error_message=self.env._(
                                 "Xero did not return %(kind)s %(id)s: it may have been "
                                 "deleted, or this organisation cannot see it.",
                                 kind=inbound.COLLECTIONS[name].key, id=job.xero_id))
                self._note_failures(job)
                continue
            vals = self._apply_element(conn, name, element, record, requested=True)
            vals = {key: vals[key] for key in vals if key in (
                "state", "response_summary", "error_category", "error_message", "error_hint",
                "payload", "done_at", "xero_number")}
            job._move_to(vals.pop("state"), attempts=job.attempts + 1,
                         done_at=fields.Datetime.now(), **{
                             k: v for k, v in vals.items() if k != "done_at"})
            if job.state == states.FAILED:
                self._note_failures(job)
        return "ok"


class ClarusXeroJob(models.Model):
    _inherit = "clarus.xero.job"  # pylint: disable=consider-merging-classes-inherited

    def action_retry(self):
        """A failed import is read again from Xero by ID and applied again, on the
        connection's read-back action (the one webhooks use), at once."""
        imports = self.filtered(lambda job: job.direction == "import"
                                and job.state == states.FAILED)
        if not imports:
            return super().action_retry()
        for job in imports:
            job._note_on_record(self.env._("Xero import retried by %s.", self.env.user.name))
        imports._move_to(states.PENDING, next_attempt_at=fields.Datetime.now(),
                         error_category=False, error_message=False, error_hint=False)
        for connection in imports.connection_id:
            connection._schedule("webhooks")
        exports = (self - imports).filtered(lambda job: job.state == states.FAILED)
        if exports:
            super(ClarusXeroJob, exports).action_retry()
        return True
