import json
import logging
import time
from contextlib import contextmanager
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

from clarus_sync_engine import client, contacts, idempotency, planner, retry, states
from clarus_sync_engine import payments as payment_rules
from clarus_sync_engine.client import PacingStop

from .clarus_xero_connection import TOKEN_ERRORS, TokenRefreshedElsewhere
from .clarus_xero_job import SYNC_CONTEXT_KEY

_logger = logging.getLogger(__name__)

CLAIM_LIMIT = 500
# A run claims, plans and sends at most this many times per organisation; the cron
# comes back for the rest.
MAX_ROUNDS = 200
# Claims refused because another worker claimed the same rows first, before giving up.
CLAIM_ATTEMPTS = 3
# Xero takes up to 3.5 MB a request; keep a margin for headers and encoding.
MAX_REQUEST_BYTES = 3_000_000
CLAIM_ORDER = sorted(planner.KIND_ORDER, key=lambda kind: (planner.KIND_ORDER[kind], kind))
BUILDERS = {
    "contact": "_contact_element",
    "item": "_item_element",
    "invoice": "_move_element",
    "credit_note": "_move_element",
    "purchase_order": "_purchase_order_element",
    "allocation": "_allocation_element",
    "history": "_history_element",
    "payment": "_payment_element",
    "payment_delete": "_payment_delete_element",
    "stock_adjustment": "_stock_increase_element",
    "stock_adjustment_credit": "_stock_decrease_element",
    "manual_journal": "_manual_journal_element",
}
# Payments and their deletions stand for payment links, not bound records: their results
# are written on the links (``_record_payments``).
PAYMENT_KINDS = ("payment", "payment_delete")
# Kinds whose records may already be in Xero (created by someone else, or by a send
# whose answer was lost): look them up before creating.
# Kinds that change a parent document, and the look-up that says a lost send was applied.
APPLIED_LOOKUPS = {"allocation": "_allocation_applied", "history": "_note_applied",
                   "payment_delete": "_payment_deleted"}
# Purchase order statuses Xero takes no change from.
FINAL_ORDER_STATUSES = ("DELETED", "BILLED")
# Kinds whose documents get a "Sent to Xero" note in their chatter.
LOGGED_KINDS = ("invoice", "credit_note", "purchase_order")
LOOKUP_FIELD = {
    "contact": "ContactNumber",
    "item": "Code",
    "invoice": "InvoiceNumber",
    "credit_note": "CreditNoteNumber",
    "purchase_order": "PurchaseOrderNumber",
    # Numbered by Odoo (the operation's reference), so a lost answer is found by number.
    "stock_adjustment": "InvoiceNumber",
    "stock_adjustment_credit": "CreditNoteNumber",
    # Xero's journals have no number: the Narration carries the journal's key.
    "manual_journal": "Narration",
}


class BatchGuard:
    """What ``_batch_savepoint`` tells its caller: did the batch's database work fail?"""

    failed = False


class ClarusXeroPush(models.AbstractModel):
    """The push run: claim jobs, plan batches, build, send, write the results back."""

    _name = "clarus.xero.push"
    _description = "Xero push run"

    # ------------------------------------------------------------------ entry

    @api.model
    def _run_all(self, commit=None):
        """Push every connected organisation's queue; ``commit`` is called at each
        point where progress must survive a crash (the cron passes _commit_progress).

        One organisation's failure is recorded on its connection and never stops the
        others. Each connection's own scheduled action is asked to run first, so that
        every free cron worker takes an organisation; this run then works on those no
        other worker holds (the organisation lock decides), one after the other."""
        self.env["clarus.xero.job"]._requeue_stuck()
        connections = self.env["clarus.xero.connection"].sudo().search(
            [("state", "=", "connected")]
        )
        connections._ensure_schedules()
        connections._trigger_push_of()
        if commit:
            # The triggers must be visible to the other workers before this run starts.
            commit(0)
        for connection in connections:
            with connection._organisation_lock() as mine:
                if mine:
                    self._run_guarded(connection, commit)
                    # What this run left is handed to the organisation's own action.
                    connection._schedule_next("push")

    def _run_guarded(self, connection, commit):
        """One organisation's run behind a guard: with real commits (the cron), an error
        rolls back to the last commit; without (tests, a manual run), to a savepoint."""
        try:
            if commit:
                self._run(connection, commit=commit)
            else:
                with self.env.cr.savepoint():
                    self._run(connection)
        except Exception as exc:  # noqa: BLE001 - recorded on the connection, others go on
            _logger.exception("Xero push for %s stopped", connection.name)
            if commit:
                self.env.cr.rollback()
            self.env.invalidate_all()
            connection.sudo().last_error = self.env._(
                "The last push stopped on an unexpected error: %(error)s", error=exc)
            if commit:
                commit(0)

    @api.model
    def _run(self, connection, commit=None, pacer=None, clock=time.monotonic, batch_size=50):
        real_commit = commit is not None
        commit = commit or (lambda processed=0: float("inf"))
        pacer = pacer or connection._push_pacer()
        gateway = connection._gateway(pacer)
        ctx = self.env["clarus.xero.document"]._context_for(connection)
        ctx["gateway"] = gateway
        Job = self.env["clarus.xero.job"]
        Job._release_orphan_waiters(connection)
        sent_batches = 0
        for _round in range(MAX_ROUNDS):
            if not self._token_ready(connection, commit):
                return sent_batches
            jobs = self._claim(connection, commit if real_commit else None)
            if not jobs:
                break
            # The claim is a state change: once committed, no other worker and no person
            # can take or cancel these jobs until this run gives them back.
            commit(0)
            plan = self._plan(connection, jobs, batch_size)
            self._hold_back(jobs, plan)
            go_on = True
            for batch in plan.batches:
                outcome = self._send_batch(ctx, jobs.browse(batch.job_ids), commit, clock)
                sent_batches += 1
                if outcome == "stop" or commit(len(batch.job_ids)) <= 0:
                    go_on = False
                    break
            # Not in a ``finally``: after an error the transaction is rolled back by the
            # guard, and the claim with it (or, after a commit, the stuck-job sweep).
            self._give_back(jobs)
            if not go_on:
                break
        return sent_batches

    def _give_back(self, jobs):
        """Claimed jobs this run did not get to go back to the queue, untouched."""
        jobs.invalidate_recordset(["state", "in_flight"])
        left = jobs.filtered(lambda job: job.state == states.RUNNING and not job.in_flight)
        if left:
            left._move_to(states.PENDING)

    def _hold_back(self, jobs, plan):
        """What the plan cannot send now: waiting jobs say which job they wait for, and
        jobs too large for any request fail with the reason."""
        jobs.browse([w.job_id for w in plan.waiting])._wait_for(
            [(w.job_id, w.blocker_id, w.reason) for w in plan.waiting])
        if plan.oversized:
            jobs.browse(plan.oversized)._fail(states.VALIDATION, self.env._(
                "This document is too large for one Xero request (over %(mb)s MB). "
                "Split it into smaller documents.", mb=MAX_REQUEST_BYTES // 1_000_000))

    def _token_ready(self, connection, commit):
        """Refresh the access token when due; a refused refresh stops this connection."""
        was_fresh = connection.sudo()._token_is_fresh()
        try:
            connection._ensure_fresh_token()
        except retry.InvalidGrant:
            return False
        except TokenRefreshedElsewhere:
            self.env.ref("clarus_xero_connector.ir_cron_clarus_xero_push")._trigger()
            return False
        except TOKEN_ERRORS as exc:
            _logger.warning("Xero token refresh failed for %s: %s", connection.name, exc)
            connection.sudo().last_error = str(exc)
            return False
        if not was_fresh:
            # The rotated refresh token must survive whatever happens next.
            commit(0)
        return True

    # ------------------------------------------------------------ claim, plan

    def _claim(self, connection, commit=None):
        """Take due pending jobs: one ``UPDATE ... SKIP LOCKED RETURNING`` that moves them
        to running, so the claim outlives the transaction's first commit. Waiting jobs
        are never claimed: they cannot hold the head of the queue.

        Another worker may have claimed some of these rows since this transaction's
        snapshot was taken; PostgreSQL then refuses the update (serialisation failure).
        With real commits the claim is tried again on a fresh snapshot; otherwise there
        is nothing to claim now."""
        Job = self.env["clarus.xero.job"]
        Job.flush_model()
        for _attempt in range(CLAIM_ATTEMPTS):
            try:
                with self.env.cr.savepoint(flush=False):
                    rows = self._claim_rows(connection)
                break
            except psycopg2.errors.SerializationFailure:
                if not commit:
                    return Job
                commit(0)
        else:
            return Job
        rows.sort(key=lambda row: (row[1], row[2], row[0]))
        jobs = Job.browse([row[0] for row in rows])
        jobs.invalidate_recordset(["state", "started_at", "in_flight"])
        return jobs

    def _claim_rows(self, connection):
        self.env.cr.execute(
            """
            UPDATE clarus_xero_job job
               SET state = 'running', started_at = %(now)s, in_flight = FALSE
              FROM (SELECT id FROM clarus_xero_job
                     WHERE connection_id = %(conn)s AND state = 'pending'
                       -- Only what goes to Xero: jobs that bring Xero's changes in
                       -- belong to the pull.
                       AND kind = ANY(%(order)s)
                       AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
                     ORDER BY array_position(%(order)s, kind::text), priority, id
                     LIMIT %(limit)s
                       FOR NO KEY UPDATE SKIP LOCKED) due
             WHERE job.id = due.id AND job.state = 'pending'
         RETURNING job.id, array_position(%(order)s, job.kind::text), job.priority
            """,
            # Prerequisites first and one kind at a time, so that batches come out full.
            {"conn": connection.id, "now": fields.Datetime.now(), "order": CLAIM_ORDER,
             "limit": CLAIM_LIMIT},
            log_exceptions=False,
        )
        return self.env.cr.fetchall()

    def _plan(self, connection, jobs, batch_size=50):
        """Plan the claimed jobs (running in the database, pending to the planner) with
        every other job that still holds back one of their records."""
        tenant = connection.tenant_id
        planned = [self._plan_row(job, tenant, states.PENDING) for job in jobs]
        keys = {key for job in jobs for key in (job.depends_on or [])}
        keys |= {job.record_key for job in jobs}
        models_, ids = [], []
        for key in keys:
            model, _sep, res_id = key.rpartition(",")
            models_.append(model)
            ids.append(int(res_id))
        self.env.cr.execute(
            """
            SELECT job.id FROM clarus_xero_job job
              JOIN unnest(%s::varchar[], %s::int[]) AS rec(model, res_id)
                ON job.res_model = rec.model AND job.res_id = rec.res_id
             WHERE job.connection_id = %s AND job.state = ANY(%s) AND NOT (job.id = ANY(%s))
            """,
            [models_, ids, connection.id, list(states.BLOCKING_STATES), jobs.ids or [0]],
        )
        blockers = self.env["clarus.xero.job"].browse([row[0] for row in self.env.cr.fetchall()])
        # Pending jobs not claimed here (another worker holds them, or not yet due)
        # still hold back what depends on them, but are not ours to send.
        for job in blockers:
            held = states.RUNNING if job.state == states.PENDING else job.state
            planned.append(self._plan_row(job, tenant, held))
        return planner.plan_batches(planned, max_per_batch=batch_size,
                                    max_bytes=MAX_REQUEST_BYTES)

    def _plan_row(self, job, tenant, state):
        return {
            "id": job.id,
            "tenant": tenant,
            "kind": job.kind,
            "record_key": job.record_key,
            "depends_on": job.depends_on or [],
            "priority": job.priority,
            "state": state,
            "payload_size": len(job.payload or "") or 2000,
        }

    # ------------------------------------------------------------------- send

    def _send_batch(self, ctx, jobs, commit, clock):
        """Build, pre-check, look up, send one batch and write what came back."""
        with self._batch_savepoint(jobs, self.env._("preparing the documents")) as guard:
            ready, elements = self._build_elements(ctx, jobs)
        if guard.failed or not ready:
            return "ok"
        try:
            found = self._look_up_existing(ctx, ready, elements)
        except Exception as exc:  # noqa: BLE001 - classified below, never swallowed
            return self._handle_batch_error(ctx, ready, exc)
        with self._batch_savepoint(ready, self.env._("recording what Xero holds")) as guard:
            ready, elements = self._skip_existing(ctx, ready, elements, found)
        if guard.failed or not ready:
            return "ok"
        outcome = "ok"
        # The plan estimated sizes; the real payloads must also fit one request each.
        for group in planner.split_by_size(elements, MAX_REQUEST_BYTES):
            outcome = self._send_ready(ctx, ready.browse([ready[i].id for i in group]),
                                       [elements[i] for i in group], commit, clock)
            if outcome == "stop":
                break
        return outcome

    @contextmanager
    def _batch_savepoint(self, jobs, doing):
        """The database work of one batch in a savepoint: an error there (say, a unique
        index broken by two records bound to one Xero record) rolls back this batch's
        writes only; its jobs fail with the reason, and the run goes on."""
        guard = BatchGuard()
        try:
            with self.env.cr.savepoint():
                yield guard
        except (psycopg2.Error, ValidationError, UserError) as exc:
            guard.failed = True
            self.env.invalidate_all()
            message = self.env._(
                "Odoo could not record the result while %(doing)s: %(error)s",
                doing=doing, error=str(exc).strip().splitlines()[0])
            _logger.info("Xero batch of %s jobs: %s", len(jobs), message)
            jobs = jobs.browse(jobs.ids)
            # Jobs whose request may have reached Xero are looked up before a resend.
            jobs.filtered("in_flight").outcome_unknown = True
            jobs.filtered(lambda job: job.state == states.RUNNING)._fail(
                states.VALIDATION, message)

    def _build_elements(self, ctx, jobs):
        """Xero elements for the claimed jobs; refused and vanished records end here."""
        Document = self.env["clarus.xero.document"]
        ready, elements = self.env["clarus.xero.job"], []
        records = self._records_of(jobs)
        Document._prefetch_bindings(ctx, records)
        gone, refused = self.env["clarus.xero.job"], {}
        for job in jobs:
            record = records.get((job.res_model, job.res_id))
            if not record:
                gone |= job
                continue
            element, problems = getattr(Document, BUILDERS[job.kind])(ctx, record)
            if problems:
                refused.setdefault("\n".join(problems), []).append(job.id)
                continue
            if element is None:
                # Nothing left to send (an allocation whose invoice is already paid in
                # Xero): done without a call, with the builder's reason.
                self._bind_done(ctx, job, {}, job.kind, note=Document._settled(ctx, record))
                continue
            ready |= job
            elements.append(element)
        if gone:
            gone._move_to(states.CANCELLED, done_at=fields.Datetime.now(),
                          error_message=self.env._("The record was deleted."))
        for message, ids in refused.items():
            jobs.browse(ids)._fail(states.VALIDATION, message)
        return ready, elements

    def _records_of(self, jobs):
        """The jobs' records, read together (one query per model, shared prefetch)."""
        found = {}
        for model, model_jobs in jobs.grouped("res_model").items():
            for record in self.env[model].browse(model_jobs.mapped("res_id")).exists():
                found[(model, record.id)] = record
        return found

    def _send_ready(self, ctx, jobs, elements, commit, clock):
        kind = jobs[0].kind
        key = idempotency.idempotency_key(ctx["connection"].tenant_id, kind, jobs.ids, elements)
        with self._batch_savepoint(jobs, self.env._("storing the payloads")) as guard:
            jobs.write({"idempotency_key": key, "in_flight": True})
            for job, element in zip(jobs, elements, strict=True):
                job.write({"attempts": job.attempts + 1,
                           "payload": json.dumps(element, default=str, indent=1)})
        if guard.failed:
            return "ok"
        # The in-flight mark must be durable before the call: if this worker dies, the
        # jobs stay "running" and come back as "unknown outcome", looked up before resending.
        commit(0)
        started = clock()
        try:
            result = ctx["gateway"].send_batch(
                kind, ctx["connection"].tenant_id, elements, key,
                allow_backorders=ctx["connection"].tracked_items)
        except PacingStop as stop:
            # Nothing was sent: the attempt does not count.
            for job in jobs:
                job._move_to(states.PENDING, attempts=max(job.attempts - 1, 0),
                             in_flight=False, next_attempt_at=self._later(stop.decision.wait))
            return "stop"
        except Exception as exc:  # noqa: BLE001 - classified below, never swallowed
            return self._handle_batch_error(ctx, jobs, exc)
        duration = int((clock() - started) * 1000 / max(len(jobs), 1))
        with self._batch_savepoint(jobs, self.env._("recording Xero's answer")) as guard:
            self._record_usage(ctx, result.headers)
            self._write_results(ctx, jobs, result.results, duration)
        return "ok"

    def _record_usage(self, ctx, headers):
        gateway = ctx["gateway"]
        made = gateway.pacer.calls_made if gateway.pacer else 0
        self.env["clarus.xero.api.usage"]._record(
            ctx["connection"], made - ctx.get("calls_recorded", 0), headers or gateway.last_headers)
        ctx["calls_recorded"] = made

    def _later(self, seconds):
        return fields.Datetime.now() + timedelta(seconds=max(1, int(seconds or 0)))

    # --------------------------------------------------- already in Xero?

    def _look_up_existing(self, ctx, jobs, elements):
        """Ask Xero which of these records it already holds (HTTP only, no writes).

        Returns ``{index in elements: Xero record}``. Items are upserted by code, so
        they never need a look-up; contacts always do (name clashes, archived contacts);
        documents, allocations and notes only after a send whose outcome is unknown.
        Supplier bills and credit notes are looked up by contact, number and date
        (``_find_bills``): their numbers are the suppliers' and may repeat."""
        kind = jobs[0].kind
        tenant = ctx["connection"].tenant_id
        if kind in APPLIED_LOOKUPS:
            applied = getattr(self, APPLIED_LOOKUPS[kind])
            return {index: {} for index, (job, element) in enumerate(zip(jobs, elements,
                                                                          strict=True))
                    if job.outcome_unknown and applied(ctx, tenant, element)}
        if kind == "purchase_order":
            return self._find_purchase_orders(ctx, jobs, elements)
        if kind == "payment":
            return self._find_payments(ctx, jobs, elements)
        field = LOOKUP_FIELD.get(kind)
        if not field or kind == "item":
            return {}
        if kind != "contact" and not any(jobs.mapped("outcome_unknown")):
            return {}
        bills = {index for index, element in enumerate(elements)
                 if client.is_bill(kind, element)}
        found = self._find_bills(ctx, jobs, elements, bills) if bills else {}
        keys = [e.get(field) for i, e in enumerate(elements) if i not in bills and e.get(field)]
        if not keys:
            return found
        if kind == "contact":
            # A contact Xero holds goes by its ContactID: it is updated, never looked up.
            bills |= {index for index, element in enumerate(elements)
                      if element.get("ContactID")}
            keys = [e.get(field) for i, e in enumerate(elements) if i not in bills]
            if not keys:
                return found
            by_key = self._match_contacts(ctx, [e for i, e in enumerate(elements)
                                                if i not in bills])
        else:
            by_key = ctx["gateway"].find_existing(kind, tenant, keys, field)
        found.update({index: by_key[element.get(field)]
                      for index, element in enumerate(elements)
                      if index not in bills and by_key.get(element.get(field))})
        return found

    def _find_purchase_orders(self, ctx, jobs, elements):
        """The purchase orders a lost send may have changed: ``{index: Xero record}``.

        A new order is looked up by number. An order Xero holds is read by ID: a
        deletion or a billing Xero already applied is not sent again (Xero takes no
        change to a DELETED or BILLED order, and would refuse the resend). Any other
        update goes again: it carries the order's ID, so Xero applies it once."""
        tenant, gateway = ctx["connection"].tenant_id, ctx["gateway"]
        found, numbers = {}, {}
        for index, (job, element) in enumerate(zip(jobs, elements, strict=True)):
            if not job.outcome_unknown:
                continue
            xero_id = element.get("PurchaseOrderID")
            if not xero_id:
                if element.get("PurchaseOrderNumber"):
                    numbers[index] = element["PurchaseOrderNumber"]
            elif element.get("Status") in FINAL_ORDER_STATUSES:
                data, _headers, _status = gateway._call(
                    gateway.accounting, "get_purchase_order", tenant, xero_id)
                held = ((data or {}).get("PurchaseOrders") or [{}])[0]
                if held.get("Status") == element["Status"]:
                    found[index] = held
        if numbers:
            by_number = gateway.find_existing("purchase_order", tenant,
                                              list(numbers.values()), "PurchaseOrderNumber")
            found.update({index: by_number[number] for index, number in numbers.items()
                          if by_number.get(number)})
        return found

    def _find_bills(self, ctx, jobs, elements, indexes):
        """The supplier documents a lost send created: ``{index: Xero record}``.

        Only jobs whose last send may have reached Xero are looked up, by Type, contact,
        number and date. A match already bound to another Odoo document is that one's,
        never this one's (the same vendor may send two bills with one number); of the
        rest, one with Odoo's total is preferred."""
        kind = jobs[0].kind
        id_field = client.KINDS[kind][1]
        wanted = {index: client.bill_key(kind, elements[index]) for index in indexes
                  if jobs[index].outcome_unknown and not elements[index].get(id_field)}
        if not wanted:
            return {}
        matches = ctx["gateway"].find_bills(ctx["connection"].tenant_id,
                                            list(wanted.values()), kind)
        candidate_ids = [e.get(id_field) for found in matches.values() for e in found]
        taken = set(self.env["clarus.xero.binding"].search([
            ("connection_id", "=", ctx["connection"].id), ("res_model", "=", "account.move"),
            ("xero_id", "in", candidate_ids)]).mapped("xero_id")) if candidate_ids else set()
        found = {}
        for index, key in wanted.items():
            free = [e for e in matches.get(key, ()) if e.get(id_field) not in taken]
            if not free:
                continue
            total = jobs[index]._record().amount_total
            best = next((e for e in free if float_compare(
                float(e.get("Total") or 0), total, precision_digits=2) == 0), free[0])
            taken.add(best.get(id_field))
            found[index] = best
        return found

    def _find_payments(self, ctx, jobs, elements):
        """The payments a lost send made: ``{index: Xero payment}``.

        Only jobs whose last send may have reached Xero are looked up: the paid
        documents are read (one call per kind, cut to the URL limit) and each element
        is matched on amount, date and reference among their payments that no other
        link holds (``payments.find_sent_payment``)."""
        wanted = {index: element for index, (job, element) in enumerate(
            zip(jobs, elements, strict=True)) if job.outcome_unknown}
        if not wanted:
            return {}
        tenant, gateway = ctx["connection"].tenant_id, ctx["gateway"]
        held = {}
        for kind, target, id_field in (("invoice", "Invoice", "InvoiceID"),
                                       ("credit_note", "CreditNote", "CreditNoteID")):
            ids = [e[target][id_field] for e in wanted.values() if e.get(target)]
            if ids:
                held.update(gateway.payments_on(kind, tenant, ids))
        listed = [p.get("PaymentID") for found in held.values() for p in found]
        taken = set(self.env["clarus.xero.payment.link"].search([
            ("connection_id", "=", ctx["connection"].id),
            ("xero_payment_id", "in", listed)]).mapped("xero_payment_id")) if listed else set()
        found = {}
        for index, element in wanted.items():
            target = element.get("Invoice") or element.get("CreditNote") or {}
            doc_id = target.get("InvoiceID") or target.get("CreditNoteID")
            match = payment_rules.find_sent_payment(element, held.get(doc_id), taken)
            if match:
                taken.add(match["PaymentID"])
                found[index] = match
        return found

    def _payment_deleted(self, ctx, tenant, element):
        """After a lost answer, a payment Xero already deleted is not deleted again (Xero
        would refuse it)."""
        held = ctx["gateway"].payment_of(tenant, element["PaymentID"])
        return held is None or held.get("Status") == "DELETED"

    def _allocation_applied(self, ctx, tenant, element):
        """After a lost answer, an allocation Xero already applied is not applied twice."""
        invoice_id = element["Invoice"]["InvoiceID"]
        return any((a.get("Invoice") or {}).get("InvoiceID") == invoice_id
                   for a in ctx["gateway"].allocations_of(
                       tenant, element["CreditNote"]["CreditNoteID"]))

    def _note_applied(self, ctx, tenant, element):
        """After a lost answer, a history note Xero already holds is not added twice."""
        return element["Details"] in ctx["gateway"].history_of(
            element["ParentKind"], tenant, element["ParentID"])

    def _skip_existing(self, ctx, jobs, elements, found):
        """Bind the records Xero already holds instead of creating them again; return the
        jobs and elements still to send."""
        kind = jobs[0].kind
        keep_jobs, keep_elements = self.env["clarus.xero.job"], []
        archived = {}
        for index, (job, element) in enumerate(zip(jobs, elements, strict=True)):
            existing = found.get(index)
            if existing is None:
                keep_jobs |= job
                keep_elements.append(element)
            elif existing.get("ContactStatus") == "ARCHIVED":
                archived[job] = self.env._(
                    "Xero holds this customer as the archived contact %(name)s (code "
                    "%(code)s). Restore it in Xero, or change the customer's reference in "
                    "Odoo, then retry.", name=existing.get("Name"),
                    code=element.get(LOOKUP_FIELD[kind]))
            else:
                self._bind_done(ctx, job, existing, kind, note=self.env._("found in Xero"))
        for job, message in archived.items():
            job._fail(states.VALIDATION, message)
        return keep_jobs, keep_elements

    def _match_contacts(self, ctx, elements):
        """One live look-up by code and name for the batch (the two keys Xero enforces
        as unique), emails from the imported contacts; then the engine decides which
        contacts are already in Xero; see ``contacts.resolve_contacts``."""
        by_number, by_name, _by_email = ctx["gateway"].find_contacts(
            ctx["connection"].tenant_id,
            numbers=[e.get("ContactNumber") for e in elements],
            names=[e["Name"] for e in elements],
        )
        by_email = self.env["clarus.xero.document"]._imported_contacts_by_email(ctx)
        return contacts.resolve_contacts(elements, by_number, by_email, by_name)

    # -------------------------------------------------------------- results

    def _write_results(self, ctx, jobs, results, duration):
        kind = jobs[0].kind
        if len(results) != len(jobs):
            for job in jobs:
                job._retry_later(states.UNKNOWN_OUTCOME, self.env._(
                    "Xero answered with %(got)s records for %(sent)s sent.",
                    got=len(results), sent=len(jobs)), outcome_unknown=True)
            return
        jobs.duration_ms = duration
        done = []
        Document = self.env["clarus.xero.document"]
        for job, result in zip(jobs, results, strict=True):
            # Xero saved it, but with other totals than Odoo's: fail with both figures.
            problem = result.ok and Document._answer_problem(ctx, kind, job._record(),
                                                             result.raw)
            if problem:
                job._fail(states.VALIDATION, problem)
            elif result.ok:
                done.append((job, result))
            elif result.conflict and not json.loads(job.payload or "{}").get("ContactID"):
                # Someone created a contact with this name or code between our look-up
                # and the PUT: the next attempt looks it up again, then binds or renames.
                # (An update of a contact Xero holds is never renamed: it fails below with
                # Xero's reason, for a person to rename one of the two.)
                job._retry_later(states.TRANSIENT, self.env._(
                    "Xero already holds a contact with this %(what)s (%(errors)s); it will "
                    "be matched or given a distinct name on the next attempt.",
                    what=self.env._("name") if result.conflict == "name_clash"
                    else self.env._("contact code"), errors="; ".join(result.errors)))
            else:
                job._fail(states.VALIDATION, "; ".join(result.errors) or self.env._(
                    "Xero marked this record as an error."))
        self._bind_all_done(ctx, kind, done)

    def _bind_done(self, ctx, job, raw, kind, note=None):
        self._bind_all_done(ctx, kind, [(job, client.element_result(kind, raw))], note=note)

    def _bind_all_done(self, ctx, kind, done, note=None):
        """Store the Xero identities on the bindings and close the jobs, in bulk."""
        if not done:
            return
        Binding = self.env["clarus.xero.binding"].with_context(**{SYNC_CONTEXT_KEY: True})
        records = self._records_of(self.env["clarus.xero.job"].union(*[j for j, _r in done]))
        rows, now = [], fields.Datetime.now()
        for job, result in done:
            rows.append({
                "job": job, "record": records.get((job.res_model, job.res_id)),
                "xero_id": result.xero_id, "number": result.number or result.raw.get("Name"),
                "status": result.status,
                "summary": client.response_summary(result.raw, note),
            })
        if kind in PAYMENT_KINDS:
            self._record_payments(kind, rows)
        elif kind in ("allocation", "history"):
            flag = "allocated" if kind == "allocation" else "history_sent"
            for row in rows:
                binding = Binding._get(ctx["connection"], row["record"])
                binding[flag] = True
                row["xero_id"], row["number"] = binding.xero_id, binding.xero_number
        else:
            # A document settled without a call (nothing Xero would take) keeps its binding.
            answered = [row for row in rows if row["xero_id"]]
            for row in rows:
                if not row["xero_id"]:
                    binding = Binding._get(ctx["connection"], row["record"])
                    row["xero_id"], row["number"] = binding.xero_id, binding.xero_number
            Binding._bind_many(ctx["connection"], [
                (row["record"], row["xero_id"], row["number"], row["status"])
                for row in answered])
            if kind in ("contact", "item"):
                # What Xero now holds: an edit that changes none of it is not sent.
                Binding._store_sent(ctx, kind, [row["record"] for row in answered])
        self.env["clarus.xero.job"].union(*[row["job"] for row in rows])._move_to(
            states.DONE, done_at=now, outcome_unknown=False, error_category=False,
            error_message=False, error_hint=False)
        for row in rows:
            row["job"].write({"xero_id": row["xero_id"], "xero_number": row["number"],
                              "response_summary": row["summary"]})
        if kind in LOGGED_KINDS:
            self._log_sent(rows)

    def _record_payments(self, kind, rows):
        """A payment Xero made: its link keeps the PaymentID (what the pull reads to know
        Odoo sent it). A deletion Xero applied: its link is deleted."""
        for row in rows:
            link = row["record"]
            if not link:
                continue
            if kind == "payment_delete":
                link.state = "deleted"
                row["xero_id"] = link.xero_payment_id
            elif row["xero_id"]:
                link.xero_payment_id = row["xero_id"]

    def _log_sent(self, rows):
        """One chatter note per document, written in one batch."""
        records = rows[0]["record"].browse([row["record"].id for row in rows])
        records._message_log_batch({
            row["record"].id: self.env._("Sent to Xero as %(number)s (%(status)s).",
                                         number=row["number"] or row["xero_id"],
                                         status=row["status"] or "")
            for row in rows
        })

    # --------------------------------------------------------------- errors

    def _pause_connection(self, connection, seconds):
        """Xero said wait: no job of this organisation is due before then."""
        until = self._later(seconds)
        # Claimed jobs not sent yet go back to the queue after this run: they wait too.
        self.env["clarus.xero.job"].search([
            ("connection_id", "=", connection.id),
            ("state", "in", (states.PENDING, states.RUNNING)), ("in_flight", "=", False),
            "|", ("next_attempt_at", "=", False), ("next_attempt_at", "<", until),
        ]).write({"next_attempt_at": until})

    def _handle_batch_error(self, ctx, jobs, exc):
        """The whole request failed: decide per category, never lose a job."""
        verdict = retry.classify(exc)
        conn = ctx["connection"]
        self._record_usage(ctx, getattr(exc, "headers", None))
        _logger.info("Xero batch of %s %s jobs failed: %s", len(jobs), jobs[:1].kind,
                     verdict.message)
        if verdict.category == states.AUTH:
            # Revoked consent, a missing scope or a disconnected organisation is the
            # connection's problem: it stops, with the reason on its card, until someone
            # re-authorises; nothing is retried every five minutes meanwhile.
            if verdict.stop_connection or isinstance(exc, retry.InvalidGrant) \
                    or "invalid_grant" in verdict.message:
                conn._mark_needs_reauth(verdict.message)
            jobs._back_to_pending(verdict, delay=300)
            return "stop"
        if verdict.category == states.RATE_LIMIT:
            delay = verdict.retry_after or 60
            jobs._back_to_pending(verdict, delay=delay)
            self._pause_connection(conn, delay)
            return "stop"
        if verdict.category == states.VALIDATION:
            jobs._fail(states.VALIDATION, verdict.message)
            return "ok"
        outcome_unknown = verdict.category == states.UNKNOWN_OUTCOME
        for job in jobs:
            job._retry_later(verdict.category, verdict.message, outcome_unknown=outcome_unknown,
                             retry_after=verdict.retry_after)
        return "ok"
