"""Payments registered in Odoo go to Xero: one Xero payment per paid document, in the bank
account mapped to the journal, exactly once; undoing the payment here deletes it there."""

import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from odoo import fields
from odoo.tests import new_test_user, tagged

from ..models.clarus_xero_job import SYNC_CONTEXT_KEY
from .common import XeroEmulatorCase


@tagged("post_install", "-at_install")
class TestPaymentsOut(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        self.product_a.default_code = "WIDGET-A"
        self.bank = self.company_data["default_journal_bank"]
        self.cash = self.company_data["default_journal_cash"]
        self.map_journal(self.bank, "090")
        self.today = fields.Date.today()

    # ---------------------------------------------------------------- helpers

    def map_journal(self, journal, code):
        ref = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "account"),
            ("code", "=", code)])
        self.assertTrue(ref, f"Xero account {code} imported")
        return self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "journal",
            "journal_id": journal.id, "xero_reference_id": ref.id})

    def pay(self, moves, amount=None, journal=None, memo=None, sync=False):
        """Register a payment with Odoo's own wizard, as a user does (``sync``: as the
        pull does, with the sync's own context)."""
        vals = {"journal_id": (journal or self.bank).id, "payment_date": self.today,
                "group_payment": True}
        if amount is not None:
            vals["amount"] = amount
        if memo:
            vals["communication"] = memo
        context = {SYNC_CONTEXT_KEY: True} if sync else {}
        wizard = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids, **context).create(vals)
        return wizard._create_payments()

    def sent_invoice(self, price=100.0, qty=2):
        move = self.make_invoice(lines=[(self.product_a, qty, price)])
        self.push()
        self.assertTrue(move.clarus_xero_id, "the invoice is in Xero before it is paid")
        return move

    def push_until_done(self, rounds=20):
        Job = self.env["clarus.xero.job"]
        for _round in range(rounds):
            Job.search([("state", "=", "pending")]).write(
                {"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
            Job._requeue_stuck(older_than=timedelta(0))
            self.push()
            if not Job.search_count([("state", "in", ("pending", "running"))]):
                return
        self.fail("the queue did not drain")

    def xero_invoice_of(self, move):
        return next(i for i in self.xero_documents("Invoices")
                    if i["InvoiceID"] == move.clarus_xero_id)

    def xero_payments(self, status="AUTHORISED"):
        return [p for p in self.xero_documents("Payments") if p["Status"] == status]

    def payment_writes(self):
        return [r for r in self.xero_requests()
                if r["method"] in ("PUT", "POST") and "/Payments" in r["path"]]

    def wait_for(self, probe, seconds=5.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = probe()
            if found:
                return found
            time.sleep(0.1)
        self.fail("the emulator never logged it")

    def assert_due_matches(self, move):
        move.invalidate_recordset(["amount_residual"])
        self.assertEqual(Decimal(str(self.xero_invoice_of(move)["AmountDue"])),
                         Decimal(str(round(move.amount_residual, 2))),
                         "Xero's amount due is Odoo's residual, to the cent")

    # ------------------------------------------------------------------ tests

    def test_full_payment_lands_once(self):
        move = self.sent_invoice()
        payment = self.pay(move, memo="Thanks ACME")
        self.assertEqual(move.payment_state, "paid")
        link = payment.clarus_xero_link_ids
        self.assertEqual(len(link), 1)
        self.assertEqual(self.jobs_for(link, "payment").state, "pending")
        self.push()

        xero = self.xero_payments()
        self.assertEqual(len(xero), 1)
        self.assertEqual(xero[0]["Account"]["Code"], "090")
        self.assertEqual(Decimal(str(xero[0]["Amount"])), Decimal("230.00"))
        self.assertEqual(xero[0]["Reference"], "Thanks ACME")
        self.assertEqual(xero[0]["Invoice"]["InvoiceID"], move.clarus_xero_id)
        self.assertEqual(link.xero_payment_id, xero[0]["PaymentID"])
        self.assertEqual(link.origin, "odoo")
        self.assertEqual(payment.clarus_xero_payment_state, "sent")
        self.assertEqual(self.xero_invoice_of(move)["Status"], "PAID")
        self.assert_due_matches(move)
        # Nothing more goes on later runs.
        self.push()
        self.assertEqual(len(self.xero_payments()), 1)
        self.assertEqual(len(self.payment_writes()), 1)

    def test_partial_payment_leaves_the_same_amount_due(self):
        move = self.sent_invoice(price=33.33, qty=3)
        self.pay(move, amount=50.0)
        self.assertEqual(move.payment_state, "partial")
        self.push()
        self.assertEqual(Decimal(str(self.xero_payments()[0]["Amount"])), Decimal("50.00"))
        self.assertEqual(self.xero_invoice_of(move)["Status"], "AUTHORISED")
        self.assert_due_matches(move)

    def test_one_payment_for_two_invoices_is_two_xero_payments(self):
        first = self.sent_invoice(price=100.0)
        second = self.sent_invoice(price=40.0)
        payment = self.pay(first | second)
        self.assertEqual(len(payment), 1)
        links = payment.clarus_xero_link_ids
        self.assertEqual(sorted(links.mapped("amount")), [92.0, 230.0])
        self.push()
        by_invoice = {p["Invoice"]["InvoiceID"]: p for p in self.xero_payments()}
        self.assertEqual(Decimal(str(by_invoice[first.clarus_xero_id]["Amount"])),
                         Decimal("230.00"))
        self.assertEqual(Decimal(str(by_invoice[second.clarus_xero_id]["Amount"])),
                         Decimal("92.00"))
        self.assertEqual(set(links.mapped("xero_payment_id")),
                         {p["PaymentID"] for p in by_invoice.values()})
        for move in first | second:
            self.assert_due_matches(move)

    def test_a_batch_of_payments_goes_in_one_call(self):
        moves = [self.sent_invoice(price=10.0 * n) for n in (1, 2, 3, 4)]
        for move in moves:
            self.pay(move)
        self.push()
        writes = self.payment_writes()
        self.assertEqual(len(writes), 1, "four payments, one PUT /Payments")
        self.assertEqual(writes[0]["method"], "PUT")
        self.assertEqual(len(self.xero_payments()), 4)
        for move in moves:
            self.assert_due_matches(move)

    def test_a_payment_waits_for_its_invoice(self):
        move = self.make_invoice()
        payment = self.pay(move)
        job = self.jobs_for(payment.clarus_xero_link_ids, "payment")
        self.assertEqual(job.depends_on, [f"account.move,{move.id}"])
        self.push()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.jobs_for(move, "invoice").state, "done")
        self.assertEqual(len(self.xero_payments()), 1)
        self.assert_due_matches(move)

    def test_unreconcile_deletes_the_xero_payment(self):
        move = self.sent_invoice()
        payment = self.pay(move)
        self.push()
        link = payment.clarus_xero_link_ids
        payment.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(move.payment_state, "not_paid")
        self.assertEqual(self.jobs_for(link, "payment_delete").state, "pending")
        self.push()
        self.assertEqual(link.state, "deleted")
        self.assertEqual(self.xero_payments(), [])
        self.assertEqual(len(self.xero_payments("DELETED")), 1)
        self.assertEqual(self.xero_invoice_of(move)["Status"], "AUTHORISED")
        self.assert_due_matches(move)

    def test_reconciled_again_before_the_push_deletes_nothing(self):
        move = self.sent_invoice()
        payment = self.pay(move)
        self.push()
        link = payment.clarus_xero_link_ids
        payment.move_id.line_ids.remove_move_reconcile()
        deletion = self.jobs_for(link, "payment_delete")
        self.assertEqual(deletion.state, "pending")
        (payment.move_id.line_ids | move.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable").reconcile()
        self.assertEqual(deletion.state, "cancelled")
        self.assertEqual(payment.clarus_xero_link_ids, link, "the same Xero payment stands")
        self.push()
        self.assertEqual(len(self.xero_payments()), 1)
        self.assertEqual(len(self.payment_writes()), 1)
        self.assert_due_matches(move)

    def test_cancel_deletes_the_xero_payment(self):
        move = self.sent_invoice()
        payment = self.pay(move)
        self.push()
        payment.action_cancel()
        self.push()
        self.assertEqual(payment.clarus_xero_link_ids.state, "deleted")
        self.assertEqual(payment.clarus_xero_payment_state, "deleted")
        self.assertEqual(self.xero_payments(), [])
        self.assert_due_matches(move)

    def test_reset_to_draft_deletes_and_posting_again_sends_again(self):
        move = self.sent_invoice()
        payment = self.pay(move)
        self.push()
        payment.action_draft()
        self.push()
        self.assertEqual(self.xero_payments(), [])
        payment.action_post()
        (payment.move_id.line_ids | move.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
            and not line.reconciled).reconcile()
        self.push()
        self.assertEqual(len(self.xero_payments()), 1)
        self.assert_due_matches(move)

    def test_undone_before_the_push_sends_nothing(self):
        move = self.sent_invoice()
        payment = self.pay(move)
        link = payment.clarus_xero_link_ids
        payment.action_draft()
        self.assertEqual(link.state, "deleted")
        self.assertEqual(self.jobs_for(link, "payment").state, "cancelled")
        self.assertFalse(self.jobs_for(link, "payment_delete"))
        self.push()
        self.assertEqual(self.payment_writes(), [])

    def test_lost_answer_lands_once(self):
        move = self.sent_invoice()
        payment = self.pay(move, memo="LOST-1")
        self.control("POST", "/faults", {"mode": "timeout", "hold": 1.5, "count": 1,
                                         "path_prefix": "/api.xro/2.0/Payments",
                                         "method": "PUT"})
        self.connection.request_timeout = 1
        self.push()
        link = payment.clarus_xero_link_ids
        job = self.jobs_for(link, "payment")
        self.assertEqual(job.state, "pending")
        self.assertTrue(job.outcome_unknown)
        # Xero forgot the request's Idempotency-Key: only the look-up prevents a resend.
        self.control("POST", "/clock", {"advance_seconds": 400})
        self.push_until_done()
        self.assertEqual(job.state, "done")
        xero = self.xero_payments()
        self.assertEqual(len(xero), 1, "one payment in Xero, never two")
        self.assertEqual(link.xero_payment_id, xero[0]["PaymentID"])
        # The one send is the one whose answer was lost (logged once its hold is over).
        writes = self.wait_for(lambda: [w for w in self.payment_writes()
                                        if w["status"] == "timeout"])
        self.assertEqual([w["status"] for w in self.payment_writes()], ["timeout"])
        self.assertEqual(writes[0]["method"], "PUT")
        self.assert_due_matches(move)

    def test_unmapped_journal_fails_alone_with_what_to_do(self):
        good, bad = self.sent_invoice(price=10.0), self.sent_invoice(price=20.0)
        paid_by_bank = self.pay(good)
        paid_in_cash = self.pay(bad, journal=self.cash)
        self.push()
        self.assertEqual(self.jobs_for(paid_by_bank.clarus_xero_link_ids).state, "done")
        job = self.jobs_for(paid_in_cash.clarus_xero_link_ids)
        self.assertEqual(job.state, "failed")
        self.assertIn(self.cash.display_name, job.error_message)
        self.assertIn("not mapped to a Xero bank account", job.error_message)
        self.assertEqual(paid_in_cash.clarus_xero_payment_state, "error")
        self.assertIn("not mapped", paid_in_cash.clarus_xero_last_error)
        self.assertIn("not mapped", paid_in_cash.message_ids[:1].body)
        self.assertEqual(len(self.xero_payments()), 1)
        # Mapped, retried: it goes.
        self.map_journal(self.cash, "091")
        job.action_retry()
        self.push()
        self.assertEqual(job.state, "done")
        self.assert_due_matches(bad)

    def test_xero_refusal_fails_alone_with_its_reason(self):
        # Xero refuses payments into an account that is not a bank account.
        self.map_journal(self.cash, "200")
        good, bad = self.sent_invoice(price=10.0), self.sent_invoice(price=20.0)
        self.pay(good)
        refused = self.pay(bad, journal=self.cash)
        self.push()
        self.assertEqual(len(self.payment_writes()), 1, "both went in one call")
        job = self.jobs_for(refused.clarus_xero_link_ids)
        self.assertEqual(job.state, "failed")
        self.assertIn("BANK account", job.error_message)
        self.assertIn("BANK account", refused.clarus_xero_last_error)
        self.assertEqual([p["Invoice"]["InvoiceID"] for p in self.xero_payments()],
                         [good.clarus_xero_id])
        self.assert_due_matches(good)
        self.assertEqual(self.xero_invoice_of(bad)["AmountDue"], 46.0, "nothing applied")

    def test_overpaying_what_xero_still_holds_due_fails_alone(self):
        move = self.sent_invoice()
        # Finance took part of it in Xero meanwhile: Odoo's full payment is too much there.
        gateway = self.connection._gateway()
        gateway._call(gateway.accounting, "create_payments", self.connection.tenant_id,
                      {"Payments": [{"Invoice": {"InvoiceID": move.clarus_xero_id},
                                     "Account": {"Code": "090"}, "Amount": 100.0,
                                     "Date": str(self.today)}]}, summarize_errors=False)
        payment = self.pay(move)
        self.push()
        job = self.jobs_for(payment.clarus_xero_link_ids)
        self.assertEqual(job.state, "failed")
        self.assertIn("exceeds the amount outstanding", job.error_message)

    def test_a_payment_in_another_currency_fails_before_sending(self):
        eur = self.setup_other_currency("EUR")
        move = self.sent_invoice()
        wizard = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids).create({
                "journal_id": self.bank.id, "payment_date": self.today,
                "currency_id": eur.id, "amount": 460.0})
        payment = wizard._create_payments()
        self.push()
        job = self.jobs_for(payment.clarus_xero_link_ids)
        self.assertEqual(job.state, "failed")
        self.assertIn("The payment is in EUR but", job.error_message)
        self.assertIn("register the payment in USD", job.error_message)
        self.assertEqual(self.payment_writes(), [], "refused before anything was sent")

    def test_a_refund_paid_out_is_a_credit_note_payment(self):
        refund = self.make_invoice(move_type="out_refund", lines=[(self.product_a, 1, 50.0)])
        self.push()
        self.assertTrue(refund.clarus_xero_id)
        payment = self.pay(refund)
        self.assertEqual(payment.payment_type, "outbound")
        self.push()
        xero = self.xero_payments()
        self.assertEqual(len(xero), 1)
        self.assertEqual(xero[0]["CreditNote"]["CreditNoteID"], refund.clarus_xero_id)
        note = next(c for c in self.xero_documents("CreditNotes")
                    if c["CreditNoteID"] == refund.clarus_xero_id)
        self.assertEqual(note["Status"], "PAID")
        self.assertEqual(Decimal(str(note["RemainingCredit"])), Decimal("0"))

    def test_a_vendor_bill_payment_goes_to_xero(self):
        purchase_tax = self.company_data["default_tax_purchase"]
        self.map_tax(self.connection, purchase_tax, "INPUT2")
        bill = self.env["account.move"].create({
            "move_type": "in_invoice", "partner_id": self.partner_a.id,
            "invoice_date": self.today, "ref": "SUP-77",
            "invoice_line_ids": [(0, 0, {"product_id": self.product_a.id, "quantity": 1,
                                         "price_unit": 80.0,
                                         "tax_ids": [(6, 0, purchase_tax.ids)]})]})
        bill.action_post()
        self.push()
        self.assertTrue(bill.clarus_xero_id)
        self.pay(bill, amount=30.0)
        self.push()
        xero = self.xero_payments()
        self.assertEqual(len(xero), 1)
        self.assertEqual(xero[0]["PaymentType"], "ACCPAYPAYMENT")
        self.assert_due_matches(bill)

    def test_lost_deletion_answer_deletes_once(self):
        move = self.sent_invoice()
        payment = self.pay(move)
        self.push()
        link = payment.clarus_xero_link_ids
        payment.action_cancel()
        self.control("POST", "/faults", {"mode": "timeout", "hold": 1.5, "count": 1,
                                         "path_prefix": "/api.xro/2.0/Payments/",
                                         "method": "POST"})
        self.connection.request_timeout = 1
        self.push()
        job = self.jobs_for(link, "payment_delete")
        self.assertTrue(job.outcome_unknown)
        self.control("POST", "/clock", {"advance_seconds": 400})
        self.push_until_done()
        self.assertEqual(job.state, "done")
        self.assertEqual(link.state, "deleted")
        self.wait_for(lambda: [w for w in self.payment_writes() if w["status"] == "timeout"])
        deletions = [w for w in self.payment_writes() if w["method"] == "POST"]
        self.assertEqual(len(deletions), 1, "found deleted in Xero, not deleted again")
        self.assert_due_matches(move)

    def test_a_billing_user_registers_a_payment_that_goes_and_sees_it(self):
        move = self.sent_invoice()
        biller = new_test_user(self.env, login="clarus-biller",
                               groups="account.group_account_invoice",
                               company_id=self.env.company.id)
        wizard = self.env["account.payment.register"].with_user(biller).with_context(
            active_model="account.move", active_ids=move.ids).create({
                "journal_id": self.bank.id, "payment_date": self.today})
        payment = wizard._create_payments()
        self.assertEqual(payment.clarus_xero_payment_state, "queued")
        self.push()
        payment.invalidate_recordset()
        self.assertEqual(payment.clarus_xero_payment_state, "sent")
        self.assertEqual(payment.clarus_xero_link_ids.sync_state, "sent")
        self.assertEqual(len(self.xero_payments()), 1)

    def test_the_backlog_takes_its_payments_along(self):
        # Invoiced and paid before the company was connected.
        self.connection.active = False
        move = self.make_invoice()
        payment = self.pay(move, amount=100.0)
        self.assertFalse(payment.clarus_xero_link_ids)
        self.connection.active = True
        self.connection.action_queue_posted_invoices()
        self.assertEqual(len(payment.clarus_xero_link_ids), 1)
        self.push()
        self.assertEqual(self.jobs_for(move, "invoice").state, "done")
        self.assertEqual(Decimal(str(self.xero_payments()[0]["Amount"])), Decimal("100.00"))
        self.assert_due_matches(move)

    def test_send_payments_off_queues_nothing(self):
        self.connection.send_payments = False
        move = self.sent_invoice()
        payment = self.pay(move)
        self.assertFalse(payment.clarus_xero_link_ids)
        self.assertFalse(self.env["clarus.xero.job"].search(
            [("kind", "in", ("payment", "payment_delete"))]))
        self.push()
        self.assertEqual(self.payment_writes(), [])

    def test_a_payment_registered_by_the_sync_queues_nothing(self):
        move = self.sent_invoice()
        payment = self.pay(move, sync=True)
        self.assertFalse(payment.clarus_xero_link_ids)
        self.assertFalse(self.env["clarus.xero.job"].search([("kind", "=", "payment")]))

    def test_a_payment_made_in_xero_is_never_sent_back(self):
        move = self.sent_invoice()
        payment = self.pay(move, sync=True)
        self.env["clarus.xero.payment.link"].create({
            "connection_id": self.connection.id, "payment_id": payment.id,
            "move_id": move.id, "amount": 230.0, "xero_payment_id": "from-xero",
            "origin": "xero"})
        # A later change made in Odoo (unreconcile, then reconcile again) sends nothing.
        payment.move_id.line_ids.remove_move_reconcile()
        (payment.move_id.line_ids | move.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable").reconcile()
        self.assertFalse(self.env["clarus.xero.job"].search(
            [("kind", "in", ("payment", "payment_delete"))]))
        self.assertEqual(payment.clarus_xero_payment_state, "received")

    def test_do_not_sync_flag_keeps_the_payment_here(self):
        move = self.sent_invoice()
        payment = self.pay(move, amount=50.0)
        payment.action_draft()
        payment.write({"clarus_xero_no_sync": True,
                       "clarus_xero_no_sync_reason": "Paid by the parent company"})
        payment.action_post()
        (payment.move_id.line_ids | move.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
            and not line.reconciled).reconcile()
        self.push()
        self.assertEqual(self.payment_writes(), [])
        self.assertEqual(Counter(payment.clarus_xero_link_ids.mapped("state")),
                         Counter({"deleted": 1}))
