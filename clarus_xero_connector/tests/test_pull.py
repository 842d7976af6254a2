"""The scheduled pull: what changed in Xero reaches Odoo within one run, page by page,
from a watermark that survives a crash; webhooks queue the same read at once.

Changes are made in the emulator as a person in Xero makes them (its ``/person`` control
routes, which follow the API's rules) and read by the connector over HTTP with the SDK.
"""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import HttpCase, tagged

from clarus_sync_engine import inbound
from clarus_sync_engine.client import XeroGateway

from .common import XeroEmulatorCase

KEY = "pull-webhook-key"


class Crash(Exception):
    """A worker dying between two pages."""


class PullCase(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        self.bank = self.company_data["default_journal_bank"]
        self.map_journal(self.bank, "090")
        self.Job = self.env["clarus.xero.job"]

    def map_journal(self, journal, code):
        ref = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "account"),
            ("code", "=", code)])
        return self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "journal",
            "journal_id": journal.id, "xero_reference_id": ref.id})

    def sent(self, count=1, price=100.0):
        moves = self.env["account.move"]
        for _i in range(count):
            moves |= self.make_invoice(lines=[(self.product_a, 1, price)])
        self.push()
        self.assertTrue(all(moves.mapped("clarus_xero_id")), "the invoices are in Xero")
        return moves

    def person_pays(self, move, amount, code="090"):
        """A payment a person enters in Xero's own screens."""
        return self.control("POST", "/person/pay", {
            "tenant_id": self.connection.tenant_id, "invoice_id": move.clarus_xero_id,
            "account_code": code, "amount": float(amount)})["payment"]

    def pull(self, **kwargs):
        result = self.env["clarus.xero.pull"]._run(self.connection, **kwargs)
        self.env.invalidate_all()
        return result

    def import_jobs(self, record=None):
        domain = [("connection_id", "=", self.connection.id), ("direction", "=", "import")]
        if record is not None:
            domain += [("res_model", "=", record._name), ("res_id", "=", record.id)]
        return self.Job.search(domain)

    def odoo_payments(self, moves):
        return self.env["clarus.xero.payment.link"].search(
            [("move_id", "in", moves.ids)]).payment_id

    def invoice_reads(self):
        return [r for r in self.xero_requests()
                if r["method"] == "GET" and r["path"].endswith("/Invoices")]


@tagged("post_install", "-at_install")
class TestPull(PullCase):
    def test_payment_made_in_xero_reaches_odoo_within_one_pull(self):
        move = self.sent()
        payment = self.person_pays(move, move.amount_total)
        self.assertEqual(move.payment_state, "not_paid")
        self.assertEqual(self.pull(), "ok")
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(move.clarus_xero_status, "PAID")
        self.assertTrue(move.clarus_xero_last_import)
        job = self.import_jobs(move)
        self.assertEqual(len(job), 1, "one import job for the one change: the payment, "
                                      "on the invoice it pays")
        self.assertEqual((job.kind, job.state, job.xero_id),
                         ("import_payment", "done", payment["PaymentID"]))
        self.assertIn("registered", job.response_summary, "the job says what changed")
        self.assertEqual(self.import_jobs(), job,
                         "the organisation's records Odoo does not hold are left alone")
        self.assertEqual(json.loads(job.payload)["Amount"], move.amount_total)
        marks = self.connection.pull_watermarks
        self.assertEqual(set(marks), {"invoices", "payments", "contacts"},
                         "a watermark for each collection that had changes")
        self.assertTrue(self.connection.pull_last_run_at)
        usage = self.env["clarus.xero.api.usage"].search(
            [("connection_id", "=", self.connection.id)])
        self.assertGreaterEqual(sum(usage.mapped("calls")), len(inbound.PULL_ORDER),
                                "the pull's calls count against the day's limit")

    def test_what_odoo_sent_comes_back_and_changes_nothing(self):
        moves = self.sent(count=2)
        self.assertEqual(self.pull(), "ok")
        self.assertFalse(self.import_jobs(), "nothing changed in Xero: no job")
        self.assertFalse(self.odoo_payments(moves))
        self.assertEqual(set(moves.mapped("payment_state")), {"not_paid"})

    def test_if_modified_since_is_the_watermark_minus_the_overlap(self):
        old, inside, last = self.sent(count=3)
        self.person_pays(old, 10)
        self.control("POST", "/clock", {"advance_seconds": 120})
        self.person_pays(inside, 10)
        self.control("POST", "/clock", {"advance_seconds": 240})
        self.person_pays(last, 10)
        self.pull(collections=["invoices"])
        watermark = self.connection._pull_watermark("invoices")
        self.assertEqual(watermark, inbound.updated_at(self.xero_invoice(last)))
        seen = []
        original = XeroGateway.read_changed

        def spy(gateway, name, tenant_id, since=None, page=1, page_size=1000):
            elements, pagination = original(gateway, name, tenant_id, since, page, page_size)
            seen.append((since, [e["InvoiceID"] for e in elements]))
            return elements, pagination

        with patch.object(XeroGateway, "read_changed", spy):
            self.pull(collections=["invoices"])
        (since, ids), = seen
        self.assertEqual(since, watermark - inbound.OVERLAP)
        self.assertEqual(set(ids), {inside.clarus_xero_id, last.clarus_xero_id},
                         "Xero answers from 5 minutes before the watermark: 4 minutes "
                         "back is read again, 6 minutes back is not")
        self.assertEqual(len(self.import_jobs()), 3, "read again, applied once")

    def test_paging_reads_every_page_and_stops_at_the_last(self):
        moves = self.sent(count=5)
        for move in moves:
            self.person_pays(move, 25)
        self.pull(collections=["invoices"], page_size=2)
        pages = [r["query"] for r in self.invoice_reads() if "page=" in r["query"]]
        self.assertEqual(len(pages), 3, "5 changed invoices, 2 a page: 3 calls, no 4th")
        self.assertTrue(all("pageSize=2" in q for q in pages))
        self.assertTrue(all("order=UpdatedDateUTC" in q for q in pages))
        for move in moves:
            self.assertEqual(move.amount_residual, move.amount_total - 25)
        self.assertEqual(len(self.import_jobs()), 5)

    def test_watermark_survives_a_crash_between_two_pages(self):
        moves = self.sent(count=6)
        for position, move in enumerate(moves):
            if position in (2, 4):
                # Ten minutes apart, beyond the overlap: each pair is one page of its own.
                self.control("POST", "/clock", {"advance_seconds": 600})
            self.person_pays(move, move.amount_total)
        applied = moves[:4]
        pages_committed = []

        def crash_after_second_page(processed=0):
            if processed:
                pages_committed.append(processed)
                if len(pages_committed) == 2:
                    raise Crash()
            return 100.0

        # Not assertRaises: Odoo's rolls the test's savepoint back, as no crash would.
        crashed = False
        try:
            self.pull(collections=["invoices"], page_size=2, commit=crash_after_second_page)
        except Crash:
            crashed = True
        self.assertTrue(crashed)
        self.env.invalidate_all()
        self.assertEqual(self.connection._pull_watermark("invoices"),
                         max(inbound.updated_at(self.xero_invoice(m)) for m in applied),
                         "the watermark of the last committed page")
        self.assertEqual(self.odoo_payments(moves).reconciled_invoice_ids, applied,
                         "two pages applied, the third not yet")
        calls_before = len(self.invoice_reads())
        self.assertEqual(self.pull(collections=["invoices"], page_size=2), "ok")
        self.assertEqual(len(self.invoice_reads()) - calls_before, 2,
                         "resumed from the second page (read again in the overlap), "
                         "not from the first")
        self.assertEqual(set(moves.mapped("payment_state")) - {"paid", "in_payment"}, set())
        self.assertEqual(len(self.odoo_payments(moves)), 6, "one payment each, none twice")
        self.assertEqual(len(self.import_jobs()), 6, "one job per change, none twice")

    def test_a_bad_record_fails_alone_and_its_retry_reads_it_again(self):
        good, bad = self.sent(count=2)
        self.person_pays(good, good.amount_total)
        self.person_pays(bad, 40, code="091")  # a bank account no journal is mapped to
        self.pull(collections=["invoices"])
        self.assertIn(good.payment_state, ("paid", "in_payment"))
        failed = self.import_jobs(bad)
        self.assertEqual(failed.state, "failed")
        self.assertIn("091", failed.error_message)
        self.assertEqual(bad.amount_residual, bad.amount_total)
        self.assertIn(failed, self.Job.search([("state", "=", "failed")]),
                      "the failure shows in the error center")
        self.pull(collections=["invoices"])
        self.assertEqual(len(self.import_jobs(bad)), 1, "the same change fails once")

        self.map_journal(self.company_data["default_journal_cash"], "091")
        failed.action_retry()
        self.assertEqual(failed.state, "pending")
        reads_before = len(self.invoice_reads())
        self.env["clarus.xero.pull"]._read_back_pending(self.connection)
        self.env.invalidate_all()
        self.assertEqual(failed.state, "done", failed.error_message)
        self.assertIn(f"IDs={bad.clarus_xero_id}", self.invoice_reads()[-1]["query"])
        self.assertEqual(len(self.invoice_reads()) - reads_before, 1, "read back by ID")
        self.assertEqual(bad.amount_residual, bad.amount_total - 40)

    def test_a_page_of_payments_is_registered_together_and_a_bad_one_fails_alone(self):
        moves = self.sent(count=4)
        first, second, third, bad = moves
        for move in (first, third):
            self.person_pays(move, move.amount_total)
        # Two payments of one document in the same page.
        self.person_pays(second, 60)
        self.person_pays(second, second.amount_total - 60)
        self.person_pays(bad, 25, code="091")  # a bank account no journal is mapped to
        first.write({"clarus_xero_no_import": True,
                     "clarus_xero_no_import_reason": "Settled by the shop"})
        Payment = type(self.env["account.payment"])
        creates = []
        original = Payment.create

        def counted(model, vals_list):
            creates.append(len(vals_list) if isinstance(vals_list, list) else 1)
            return original(model, vals_list)

        with patch.object(Payment, "create", counted):
            self.assertEqual(self.pull(), "ok")
        self.assertEqual(creates[0], 2, "the page's new payments are created in one go")
        self.assertIn(third.payment_state, ("paid", "in_payment"))
        self.assertAlmostEqual(third.amount_residual, 0.0, 2)
        self.assertAlmostEqual(second.amount_residual, 0.0, 2,
                               msg="both of its payments reconciled, to the cent")
        self.assertEqual(len(self.odoo_payments(second)), 2,
                         "the second payment of the same document is registered too")
        failed = self.import_jobs(bad)
        self.assertEqual(failed.state, "failed")
        self.assertIn("091", failed.error_message)
        self.assertEqual(bad.amount_residual, bad.amount_total, "nothing half-applied")
        skipped = self.import_jobs(first)
        self.assertEqual(set(skipped.mapped("state")), {"done"})
        self.assertIn("Settled by the shop", skipped[:1].response_summary)
        self.assertEqual(first.payment_state, "not_paid")

    def test_when_the_batch_fails_each_payment_is_applied_alone(self):
        moves = self.sent(count=2)
        for move in moves:
            self.person_pays(move, move.amount_total)
        PaymentIn = type(self.env["clarus.xero.payment.in"])
        with patch.object(PaymentIn, "_register_ready", side_effect=RuntimeError("lock")):
            self.assertEqual(self.pull(), "ok")
        for move in moves:
            self.assertIn(move.payment_state, ("paid", "in_payment"))
            self.assertEqual(len(self.odoo_payments(move)), 1)
            self.assertEqual(self.import_jobs(move).state, "done")

    def test_do_not_import_is_said_in_a_done_job_and_nothing_applied(self):
        move = self.sent()
        move.write({"clarus_xero_no_import": True,
                    "clarus_xero_no_import_reason": "Paid by card in the shop"})
        self.person_pays(move, move.amount_total)
        self.pull(collections=["invoices"])
        job = self.import_jobs(move)
        self.assertEqual(job.state, "done")
        self.assertIn("Paid by card in the shop", job.response_summary)
        self.assertEqual(move.payment_state, "not_paid")
        self.assertFalse(self.odoo_payments(move))

    def test_rate_limit_stops_the_run_and_the_next_resumes(self):
        moves = self.sent(count=3)
        for move in moves:
            self.person_pays(move, 10)
        self.control("POST", "/faults", {"mode": "rate_limit", "problem": "minute",
                                         "retry_after": 1, "method": "GET", "count": 1})
        self.assertEqual(self.pull(collections=["invoices"]), "stop")
        self.assertIn("Invoices", self.connection.last_error)
        self.assertFalse(self.connection._pull_watermark("invoices"))
        self.assertFalse(self.import_jobs())
        self.assertEqual(self.pull(collections=["invoices"]), "ok")
        self.assertEqual(len(self.import_jobs()), 3)

    def test_business_hours_skip_the_scheduled_pull(self):
        move = self.sent()
        self.person_pays(move, move.amount_total)
        now = fields.Datetime.now()
        self.connection.write({
            "pull_business_hours": True, "pull_days": "every_day", "pull_tz": "UTC",
            "pull_hour_from": (now + timedelta(hours=2)).hour,
            "pull_hour_to": (now + timedelta(hours=3)).hour})
        calls = self.calls_total()
        self.env["clarus.xero.pull"]._run_scheduled(self.connection)
        self.assertEqual(self.calls_total(), calls, "outside business hours: no call")
        self.assertFalse(self.connection.pull_watermarks)
        self.connection.write({"pull_hour_from": (now - timedelta(hours=1)).hour,
                               "pull_hour_to": (now + timedelta(hours=2)).hour})
        self.env["clarus.xero.pull"]._run_scheduled(self.connection)
        self.env.invalidate_all()
        self.assertIn(move.payment_state, ("paid", "in_payment"))

    def test_each_connection_schedules_its_pull_at_its_interval(self):
        cron = self.connection._cron("pull")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (2, "hours"))
        self.connection.pull_interval_hours = 6
        self.assertEqual(cron.interval_number, 6)

    def test_no_loop_after_three_pull_push_cycles(self):
        move = self.sent(price=300.0)
        wizard = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids).create(
            {"journal_id": self.bank.id, "amount": 100.0})
        wizard._create_payments()
        self.person_pays(move, move.amount_total - 100.0)

        def cycle():
            self.Job.search([("state", "=", "pending")]).write(
                {"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
            self.push()
            self.pull()

        cycle()
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(move.amount_residual, 0.0)
        self.assertEqual(self.xero_invoice(move)["AmountDue"], 0)
        jobs, payments = self.Job.search_count([]), self.env["account.payment"].search_count([])
        xero_payments = len(self.xero_documents("Payments"))
        self.assertEqual(xero_payments, 2, "Odoo's payment in Xero once, beside Xero's own")
        for _round in range(2):
            cycle()
            self.assertEqual(self.Job.search_count([]), jobs, "no new job")
            self.assertEqual(self.env["account.payment"].search_count([]), payments)
            self.assertEqual(len(self.xero_documents("Payments")), xero_payments)


def sign(body, key=KEY):
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


@tagged("post_install", "-at_install")
class TestPullWebhooks(PullCase, HttpCase):
    def setUp(self):
        super().setUp()
        self.connection.sudo().webhook_key = KEY
        self.url = f"/clarus_xero/webhook/{self.connection.id}"
        self.Event = self.env["clarus.xero.webhook.event"]

    def deliver(self, events, key=KEY):
        body = json.dumps({"events": events, "firstEventSequence": 1, "lastEventSequence": 1,
                           "entropy": "x"}).encode()
        return self.url_open(self.url, data=body, headers={
            "x-xero-signature": sign(body, key), "Content-Type": "application/json"})

    def event(self, category, resource_id, date="2026-12-01T10:00:00.000"):
        return {"resourceUrl": "https://api.xero.com/x", "resourceId": resource_id,
                "eventDateUtc": date, "eventType": "UPDATE", "eventCategory": category,
                "tenantId": self.connection.tenant_id, "tenantType": "ORGANISATION"}

    def test_webhook_queues_the_import_and_its_read_back_applies_it(self):
        move = self.sent()
        self.person_pays(move, move.amount_total)
        self.assertEqual(self.deliver([self.event("INVOICE", move.clarus_xero_id)]).status_code,
                         200)
        job = self.import_jobs(move)
        self.assertEqual((job.kind, job.state), ("import_invoice", "pending"),
                         "queued at once, before any read")
        triggers = self.env["ir.cron.trigger"].sudo().search(
            [("cron_id", "=", self.connection._cron("webhooks").id)])
        self.assertTrue(triggers, "the read-back is asked for now, not at the next pull")
        self.Event._process_connection(self.connection)
        self.env.invalidate_all()
        self.assertEqual(job.state, "done")
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        event = self.Event.search([("resource_id", "=", move.clarus_xero_id)])
        self.assertEqual((event.state, event.job_id), ("done", job))
        self.assertTrue(event.result)
        self.assertFalse(self.connection.pull_watermarks,
                         "the read-back is by ID: the pull's watermarks do not move")

    def test_duplicate_and_badly_signed_webhooks_are_harmless(self):
        move = self.sent()
        self.person_pays(move, move.amount_total)
        event = self.event("INVOICE", move.clarus_xero_id)
        self.assertEqual(self.deliver([event], key="not-the-key").status_code, 401)
        self.assertFalse(self.Event.search([]), "a bad signature stores nothing")
        self.assertFalse(self.import_jobs(), "and queues nothing")
        later = self.event("INVOICE", move.clarus_xero_id, date="2026-12-01T10:00:05.000")
        for delivery in ([event], [event], [later]):
            self.assertEqual(self.deliver(delivery).status_code, 200)
        self.assertEqual(len(self.Event.search([])), 2, "the repeated delivery is dropped")
        self.assertEqual(len(self.import_jobs()), 1, "two events of one record: one job")
        self.Event._process_connection(self.connection)
        self.deliver([event])
        self.Event._process_connection(self.connection)
        self.env.invalidate_all()
        self.assertEqual(len(self.odoo_payments(move)), 1, "paid once")
        self.assertEqual(set(self.Event.search([]).mapped("state")), {"done"})

    def test_event_for_a_record_odoo_does_not_hold_is_not_ours(self):
        self.assertEqual(self.deliver([self.event("CONTACT", "0a0b0c0d-not-ours")]).status_code,
                         200)
        event = self.Event.search([])
        self.assertEqual(event.state, "ignored")
        self.assertIn("Not ours", event.result)
        self.assertFalse(self.import_jobs())
