"""Payments, allocations and statuses made in Xero, applied to the bound Odoo documents.

Each payment is made in the emulator the way a person in Xero makes it (the Accounting
API through the SDK); the document is then read back from Xero as the pull reads it,
and applied. After each apply Odoo's residual equals Xero's AmountDue to the cent.
"""

from decimal import Decimal

import requests

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import XeroEmulatorCase


@tagged("post_install", "-at_install")
class TestPaymentsIn(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        self.bank = self.company_data["default_journal_bank"]
        self.map_journal(self.bank, "090")
        self.today = fields.Date.today()
        self.PaymentIn = self.env["clarus.xero.payment.in"]
        self.gateway = self.connection._gateway()

    # ---------------------------------------------------------------- helpers

    def map_journal(self, journal, code):
        ref = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "account"),
            ("code", "=", code)])
        return self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "journal",
            "journal_id": journal.id, "xero_reference_id": ref.id})

    def call(self, method, *args):
        data, _headers, _status = self.gateway._call(
            self.gateway.accounting, method, self.connection.tenant_id, *args)
        return data

    def sent(self, move_type="out_invoice", lines=None, **vals):
        """A posted document, pushed to Xero and bound."""
        move = self.make_invoice(move_type=move_type, lines=lines, **vals)
        self.push()
        self.assertTrue(move.clarus_xero_id, "the document must be in Xero for these tests")
        return move

    def pay_in_xero(self, move, amount, code="090", reference="Bank transfer"):
        """A payment a person enters in Xero; returns its PaymentID."""
        key = "CreditNote" if move.move_type in ("out_refund", "in_refund") else "Invoice"
        id_field = "CreditNoteID" if key == "CreditNote" else "InvoiceID"
        data = self.call("create_payment", {
            key: {id_field: move.clarus_xero_id}, "Account": {"Code": code},
            "Date": self.today.isoformat(), "Amount": float(amount), "Reference": reference})
        return data["Payments"][0]["PaymentID"]

    def read_from_xero(self, move):
        kind = "credit_note" if move.move_type in ("out_refund", "in_refund") else "invoice"
        return self.gateway.read_by_ids(kind, self.connection.tenant_id,
                                        [move.clarus_xero_id])[move.clarus_xero_id]

    def apply(self, move):
        kind = "credit_note" if move.move_type in ("out_refund", "in_refund") else "invoice"
        element = self.read_from_xero(move)
        text = self.PaymentIn._apply_document(self.connection, kind, element, move)
        move.invalidate_recordset()
        return text, element

    def links(self, move):
        return self.env["clarus.xero.payment.link"].search([("move_id", "=", move.id)])

    def assert_residual_is_amount_due(self, move, element=None):
        element = element or self.read_from_xero(move)
        due = element.get("AmountDue", element.get("RemainingCredit"))
        move.invalidate_recordset()
        self.assertEqual(Decimal(str(abs(move.amount_residual))).quantize(Decimal("0.01")),
                         Decimal(str(due)).quantize(Decimal("0.01")),
                         "Odoo's residual is Xero's amount due, to the cent")

    # ---------------------------------------------------------------- payments

    def test_full_payment_in_xero_pays_the_invoice_in_the_mapped_journal(self):
        move = self.sent()
        payment_id = self.pay_in_xero(move, move.amount_total, reference="DD 2024-77")
        text, element = self.apply(move)
        self.assertEqual(element["Status"], "PAID")
        link = self.links(move)
        self.assertEqual((link.origin, link.xero_payment_id, link.state),
                         ("xero", payment_id, "active"))
        payment = link.payment_id
        self.assertEqual(payment.journal_id, self.bank)
        self.assertEqual(payment.date, self.today)
        self.assertEqual(payment.memo, "DD 2024-77")
        self.assertEqual((payment.payment_type, payment.partner_type), ("inbound", "customer"))
        self.assertIn(move, payment.reconciled_invoice_ids)
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertIn(payment.display_name, text)
        self.assert_residual_is_amount_due(move, element)
        self.assertFalse(self.env["clarus.xero.job"].search([("kind", "=", "payment")]),
                         "a payment made in Xero is never sent back")
        self.assertTrue(move.clarus_xero_last_import)

    def test_partial_payment_leaves_xero_amount_due_open(self):
        move = self.sent(lines=[(self.product_a, 3, 76.67)])
        self.pay_in_xero(move, Decimal("100.01"))
        _text, element = self.apply(move)
        self.assertEqual(element["Status"], "AUTHORISED")
        self.assertEqual(move.payment_state, "partial")
        self.assert_residual_is_amount_due(move, element)
        self.pay_in_xero(move, Decimal("19.99"))
        _text, element = self.apply(move)
        self.assertEqual(len(self.links(move)), 2)
        self.assert_residual_is_amount_due(move, element)

    def test_a_pull_that_reads_payments_next_leaves_them_to_that_read(self):
        move = self.sent()
        payment_id = self.pay_in_xero(move, 70)
        calls = self.calls_total()
        element = self.read_from_xero(move)
        self.assertEqual(self.PaymentIn.with_context(clarus_xero_payments_follow=True)
                         ._apply_document(self.connection, "invoice", element, move), "")
        self.assertEqual(self.calls_total(), calls + 1, "only the document was read")
        self.assertFalse(self.links(move))
        payment = self.call("get_payment", payment_id)["Payments"][0]
        self.assertIn("registered", self.PaymentIn._apply_payment(self.connection, payment))
        self.assert_residual_is_amount_due(move)

    def test_applying_twice_changes_nothing(self):
        move = self.sent()
        self.pay_in_xero(move, 50)
        self.apply(move)
        payments = self.env["account.payment"].search([("partner_id", "=", move.partner_id.id)])
        residual = move.amount_residual
        self.assertTrue(move.clarus_xero_last_import)
        imported = fields.Datetime.to_datetime("2026-01-01 08:00:00")
        move.clarus_xero_last_import = imported
        text, element = self.apply(move)
        self.assertEqual(text, "")
        self.assertEqual(move.clarus_xero_last_import, imported, "nothing was imported")
        self.assertEqual(
            self.env["account.payment"].search([("partner_id", "=", move.partner_id.id)]),
            payments)
        self.assertEqual(move.amount_residual, residual)
        payment_element = self.call("get_payment", self.links(move).xero_payment_id)
        self.assertEqual(self.PaymentIn._apply_payment(
            self.connection, payment_element["Payments"][0]), "")
        self.assert_residual_is_amount_due(move, element)

    def test_a_payment_sent_from_odoo_is_not_applied_again(self):
        move = self.sent()
        payment_id = self.pay_in_xero(move, 40)
        # As the payment sync records what it sent: Odoo's own payment, linked.
        own = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids, clarus_xero_sync_write=True,
        ).create({"amount": 40, "journal_id": self.bank.id})._create_payments()
        self.env["clarus.xero.payment.link"].create({
            "connection_id": self.connection.id, "payment_id": own.id, "move_id": move.id,
            "amount": 40, "xero_payment_id": payment_id, "origin": "odoo"})
        text, element = self.apply(move)
        self.assertEqual(text, "")
        self.assertEqual(len(self.links(move)), 1)
        self.assert_residual_is_amount_due(move, element)

    def test_a_payment_odoo_is_still_sending_is_not_registered_twice(self):
        move = self.sent()
        own = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids, clarus_xero_sync_write=True,
        ).create({"amount": 40, "journal_id": self.bank.id})._create_payments()
        # Sent, but Xero's answer was lost: the link has no Xero ID yet.
        self.env["clarus.xero.payment.link"].create({
            "connection_id": self.connection.id, "payment_id": own.id, "move_id": move.id,
            "amount": 40, "origin": "odoo"})
        payment_id = self.pay_in_xero(move, 40)
        text, element = self.apply(move)
        self.assertIn("left for now", text)
        self.assertEqual(len(self.links(move)), 1)
        payment = self.call("get_payment", payment_id)["Payments"][0]
        self.assertIn("left for now", self.PaymentIn._apply_payment(self.connection, payment))
        self.assertEqual(len(self.links(move)), 1)
        self.assert_residual_is_amount_due(move, element)

    def test_payment_read_from_payments_endpoint_is_registered(self):
        move = self.sent()
        payment_id = self.pay_in_xero(move, 30)
        element = self.call("get_payment", payment_id)["Payments"][0]
        text = self.PaymentIn._apply_payment(self.connection, element)
        self.assertIn("registered", text)
        self.assertEqual(self.links(move).xero_payment_id, payment_id)
        self.assert_residual_is_amount_due(move)

    def test_vendor_bill_paid_in_xero_goes_out_to_the_supplier(self):
        purchase_tax = self.company_data["default_tax_purchase"]
        self.map_tax(self.connection, purchase_tax, "INPUT2")
        bill = self.env["account.move"].create({
            "move_type": "in_invoice", "partner_id": self.partner_b.id,
            "invoice_date": self.today, "ref": "SUP-PAY-1",
            "invoice_line_ids": [fields.Command.create({
                "product_id": self.product_a.id, "quantity": 2, "price_unit": 45.5,
                "tax_ids": [fields.Command.set(purchase_tax.ids)]})]})
        bill.action_post()
        self.push()
        self.assertTrue(bill.clarus_xero_id)
        self.pay_in_xero(bill, 60)
        _text, element = self.apply(bill)
        payment = self.links(bill).payment_id
        self.assertEqual((payment.payment_type, payment.partner_type), ("outbound", "supplier"))
        self.assert_residual_is_amount_due(bill, element)

    def test_deleted_payment_is_unreconciled_cancelled_and_noted(self):
        move = self.sent()
        payment_id = self.pay_in_xero(move, move.amount_total)
        self.apply(move)
        payment = self.links(move).payment_id
        self.call("delete_payment", payment_id, {"Status": "DELETED"})
        text, element = self.apply(move)
        self.assertEqual(element["Status"], "AUTHORISED")
        self.assertEqual(payment.state, "canceled")
        self.assertEqual(self.links(move).state, "deleted")
        self.assertEqual(move.payment_state, "not_paid")
        self.assertIn("deleted or reversed in Xero", text)
        self.assertIn("deleted or reversed in Xero", move.message_ids[0].body)
        self.assert_residual_is_amount_due(move, element)
        self.assertEqual(self.apply(move)[0], "", "a deletion is applied once")

    def test_deleted_payment_read_from_payments_endpoint(self):
        move = self.sent()
        payment_id = self.pay_in_xero(move, 25)
        self.apply(move)
        self.call("delete_payment", payment_id, {"Status": "DELETED"})
        element = self.call("get_payment", payment_id)["Payments"][0]
        self.assertEqual(element["Status"], "DELETED")
        text = self.PaymentIn._apply_payment(self.connection, element)
        self.assertIn("cancelled", text)
        self.assertEqual(self.links(move).payment_id.state, "canceled")
        self.assert_residual_is_amount_due(move)
        self.assertEqual(self.PaymentIn._apply_payment(self.connection, element), "")

    def test_odoo_payment_deleted_in_xero_is_cancelled_here_and_not_sent_again(self):
        move = self.sent()
        own = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids, clarus_xero_sync_write=True,
        ).create({"amount": 60, "journal_id": self.bank.id})._create_payments()
        # As the payment sync leaves it once Xero answered: Odoo's payment, in Xero.
        payment_id = self.pay_in_xero(move, 60)
        self.env["clarus.xero.payment.link"].create({
            "connection_id": self.connection.id, "payment_id": own.id, "move_id": move.id,
            "amount": 60, "xero_payment_id": payment_id, "origin": "odoo"})
        self.call("delete_payment", payment_id, {"Status": "DELETED"})
        text, element = self.apply(move)
        self.assertIn("deleted or reversed in Xero", text)
        self.assertEqual(own.state, "canceled")
        self.assertEqual(self.links(move).state, "deleted")
        self.assert_residual_is_amount_due(move, element)
        self.assertFalse(self.env["clarus.xero.job"].search(
            [("kind", "like", "payment"), ("direction", "=", "export")]),
            "what Xero deleted is not deleted there again")

    def test_no_loop_over_three_pull_and_push_cycles(self):
        move = self.sent()
        self.pay_in_xero(move, 90)
        for _cycle in range(3):
            self.apply(move)
            self.push()
        self.assertEqual(len([p for p in self.xero_documents("Payments")
                              if p["Status"] == "AUTHORISED"]), 1)
        self.assertEqual(len(self.links(move)), 1)
        self.assertEqual(len(self.links(move).payment_id), 1)
        self.assert_residual_is_amount_due(move)

    def test_payment_into_an_unmapped_bank_account_fails_naming_it(self):
        move = self.sent()
        self.pay_in_xero(move, 20, code="091")
        element = self.read_from_xero(move)
        with self.assertRaises(UserError) as caught:
            self.PaymentIn._apply_document(self.connection, "invoice", element, move)
        message = str(caught.exception)
        self.assertIn("091 Business Savings Account", message)
        self.assertIn("Payment journal", message)
        self.assertFalse(self.links(move))
        self.assertEqual(move.amount_residual, move.amount_total)

    def test_do_not_import_skips_the_document(self):
        move = self.sent()
        move.write({"clarus_xero_no_import": True,
                    "clarus_xero_no_import_reason": "Settled by the collection agency"})
        self.pay_in_xero(move, move.amount_total)
        text, _element = self.apply(move)
        self.assertIn("skipped", text)
        self.assertIn("Settled by the collection agency", text)
        self.assertFalse(self.links(move))
        self.assertEqual(move.payment_state, "not_paid")

    # ---------------------------------------------------------------- credit notes

    def test_credit_note_allocated_in_xero_reconciles_that_amount(self):
        invoice = self.sent()
        credit_note = self.sent(move_type="out_refund", lines=[(self.product_a, 1, 80.0)])
        self.call("create_credit_note_allocation", credit_note.clarus_xero_id, {
            "Allocations": [{"Invoice": {"InvoiceID": invoice.clarus_xero_id},
                             "Amount": 50.0, "Date": self.today.isoformat()}]})
        text, element = self.apply(invoice)
        self.assertIn("applied", text)
        self.assert_residual_is_amount_due(invoice, element)
        self.assert_residual_is_amount_due(credit_note)
        self.assertEqual(self.apply(credit_note)[0], "",
                         "the same allocation read from the credit note changes nothing")
        self.assertEqual(self.apply(invoice)[0], "")
        self.assert_residual_is_amount_due(credit_note)

    def test_refund_paid_on_a_credit_note_in_xero(self):
        credit_note = self.sent(move_type="out_refund", lines=[(self.product_a, 1, 80.0)])
        self.pay_in_xero(credit_note, 30, reference="Refund by transfer")
        _text, element = self.apply(credit_note)
        payment = self.links(credit_note).payment_id
        self.assertEqual((payment.payment_type, payment.partner_type), ("outbound", "customer"))
        self.assertEqual(payment.memo, "Refund by transfer")
        self.assert_residual_is_amount_due(credit_note, element)

    def test_credit_note_allocation_deleted_in_xero_is_unreconciled(self):
        invoice = self.sent()
        credit_note = self.sent(move_type="out_refund", lines=[(self.product_a, 1, 80.0)])
        answer = self.person("allocate", credit_note_id=credit_note.clarus_xero_id,
                             invoice_id=invoice.clarus_xero_id,
                             amount=float(credit_note.amount_total))
        self.apply(invoice)
        self.assertEqual(credit_note.payment_state, "paid")
        self.person("delete-allocation", credit_note_id=credit_note.clarus_xero_id,
                    allocation_id=answer["allocation"]["AllocationID"])
        text, element = self.apply(invoice)
        self.assertIn("no longer applied", text)
        self.assertEqual(self.links(invoice).state, "deleted")
        self.assert_residual_is_amount_due(invoice, element)
        self.assert_residual_is_amount_due(credit_note)

    # ---------------------------------------------------------------- over/prepayments

    def person(self, action, **body):
        """What a person does in Xero's screens (the emulator's person routes)."""
        response = requests.post(f"{self.xero_url}/_emulator/person/{action}", timeout=10,
                                 json=dict(body, tenant_id=self.connection.tenant_id))
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def contact_id(self, partner):
        return self.env["clarus.xero.binding"]._get(self.connection, partner).xero_id

    def test_overpayment_shows_as_such_and_its_allocation_reconciles(self):
        invoice = self.sent()
        made = self.person("overpayment", type="RECEIVE-OVERPAYMENT",
                           contact_id=self.contact_id(invoice.partner_id),
                           bank_account_code="090", amount=300.0, reference="Paid twice",
                           currency_code=invoice.currency_id.name,
                           allocations=[{"invoice_id": invoice.clarus_xero_id,
                                         "amount": 100.0}])
        xero_id = made["overpayment"]["OverpaymentID"]
        element = self.call("get_overpayment", xero_id)["Overpayments"][0]
        text = self.PaymentIn._apply_prepayment(self.connection, "overpayment", element)
        self.assertIn("Overpayment", text)
        link = self.env["clarus.xero.payment.link"].search([
            ("xero_payment_id", "=", xero_id), ("move_id", "=", False)])
        payment = link.payment_id
        self.assertEqual((payment.amount, payment.journal_id), (300.0, self.bank))
        self.assertIn("overpayment", payment.memo)
        self.assertIn("Paid twice", payment.memo)
        self.assert_residual_is_amount_due(invoice)
        credit = payment.move_id.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable")
        self.assertAlmostEqual(-credit.amount_residual, float(element["RemainingCredit"]), 2,
                               msg="what Xero left unallocated stays the customer's credit")
        self.assertEqual(self.PaymentIn._apply_prepayment(self.connection, "overpayment",
                                                          element), "")
        self.assertEqual(self.apply(invoice)[0], "", "the invoice's list says the same")
        self.assertEqual(self.env["account.payment"].search_count(
            [("partner_id", "=", invoice.partner_id.id)]), 1)

    def test_prepayment_allocated_later_reaches_odoo_from_the_invoice(self):
        invoice = self.sent()
        made = self.person("prepayment", type="RECEIVE-PREPAYMENT",
                           contact_id=self.contact_id(invoice.partner_id),
                           bank_account_code="090", amount=500.0, reference="Deposit",
                           currency_code=invoice.currency_id.name)
        xero_id = made["prepayment"]["PrepaymentID"]
        self.person("allocate", prepayment_id=xero_id, invoice_id=invoice.clarus_xero_id,
                    amount=float(invoice.amount_total))
        text, element = self.apply(invoice)
        self.assertEqual(element["Status"], "PAID")
        self.assertIn("Prepayment", text)
        self.assertEqual(invoice.payment_state, "paid")
        self.assert_residual_is_amount_due(invoice, element)
        payment = self.env["clarus.xero.payment.link"].search([
            ("xero_payment_id", "=", xero_id), ("move_id", "=", False)]).payment_id
        self.assertIn("prepayment", payment.memo)
        prepayment = self.call("get_prepayment", xero_id)["Prepayments"][0]
        credit = payment.move_id.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable")
        self.assertAlmostEqual(-credit.amount_residual, float(prepayment["RemainingCredit"]), 2)
        self.assertEqual(self.apply(invoice)[0], "")

    def test_supplier_prepayment_pays_a_bill(self):
        purchase_tax = self.company_data["default_tax_purchase"]
        self.map_tax(self.connection, purchase_tax, "INPUT2")
        bill = self.env["account.move"].create({
            "move_type": "in_invoice", "partner_id": self.partner_b.id,
            "invoice_date": self.today, "ref": "SUP-PRE-1",
            "invoice_line_ids": [fields.Command.create({
                "product_id": self.product_a.id, "quantity": 2, "price_unit": 35.0,
                "tax_ids": [fields.Command.set(purchase_tax.ids)]})]})
        bill.action_post()
        self.push()
        made = self.person("prepayment", type="SPEND-PREPAYMENT",
                           contact_id=self.contact_id(bill.partner_id),
                           bank_account_code="090", amount=50.0, reference="Deposit paid",
                           currency_code=bill.currency_id.name,
                           allocations=[{"invoice_id": bill.clarus_xero_id, "amount": 50.0}])
        element = self.call("get_prepayment",
                            made["prepayment"]["PrepaymentID"])["Prepayments"][0]
        self.PaymentIn._apply_prepayment(self.connection, "prepayment", element)
        payment = self.env["clarus.xero.payment.link"].search([
            ("xero_payment_id", "=", element["PrepaymentID"]), ("move_id", "=", False)]
        ).payment_id
        self.assertEqual((payment.payment_type, payment.partner_type), ("outbound", "supplier"))
        self.assertEqual(bill.payment_state, "partial")
        self.assert_residual_is_amount_due(bill)

    def test_overpayment_bank_account_comes_from_its_bank_transaction(self):
        invoice = self.sent()
        savings = self.env["account.journal"].create({
            "name": "Savings", "code": "SAV", "type": "bank",
            "company_id": self.env.company.id})
        self.map_journal(savings, "091")
        made = self.person("overpayment", type="RECEIVE-OVERPAYMENT",
                           contact_id=self.contact_id(invoice.partner_id),
                           bank_account_code="091", amount=40.0,
                           currency_code=invoice.currency_id.name)
        element = made["overpayment"]
        with self.assertRaises(UserError) as caught:
            self.PaymentIn._apply_prepayment(self.connection, "overpayment", element)
        self.assertIn("accounting.banktransactions.read", str(caught.exception))
        self.connection.scope += " accounting.banktransactions.read"
        self.authorize(self.connection)
        self.gateway = self.connection._gateway()
        self.PaymentIn._apply_prepayment(self.connection, "overpayment", element)
        payment = self.env["clarus.xero.payment.link"].search([
            ("xero_payment_id", "=", element["OverpaymentID"])]).payment_id
        self.assertEqual(payment.journal_id, savings)

    # ---------------------------------------------------------------- statuses

    def test_voided_in_xero_flags_the_responsible_user_and_cancels_nothing(self):
        move = self.sent()
        user = self.env.user
        move.invoice_user_id = user
        self.call("update_invoice", move.clarus_xero_id,
                  {"Invoices": [{"InvoiceID": move.clarus_xero_id, "Status": "VOIDED"}]})
        text, element = self.apply(move)
        self.assertEqual(element["Status"], "VOIDED")
        self.assertIn("voided in Xero", text)
        self.assertEqual(move.state, "posted", "never cancelled silently")
        self.assertEqual(move.clarus_xero_status, "VOIDED")
        activity = move.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, user)
        self.assertIn("voided in Xero", activity.summary)
        self.apply(move)
        self.assertEqual(len(move.activity_ids), 1, "flagged once")

    def test_voided_bill_without_a_responsible_user_flags_its_creator(self):
        purchase_tax = self.company_data["default_tax_purchase"]
        self.map_tax(self.connection, purchase_tax, "INPUT2")
        bill = self.env["account.move"].create({
            "move_type": "in_invoice", "partner_id": self.partner_b.id,
            "invoice_date": self.today, "ref": "SUP-VOID-1", "invoice_user_id": False,
            "invoice_line_ids": [fields.Command.create({
                "product_id": self.product_a.id, "quantity": 1, "price_unit": 10.0,
                "tax_ids": [fields.Command.set(purchase_tax.ids)]})]})
        bill.action_post()
        self.push()
        self.person("void", invoice_id=bill.clarus_xero_id)
        text, element = self.apply(bill)
        self.assertEqual(element["Status"], "VOIDED")
        self.assertIn("voided in Xero", text)
        self.assertEqual(bill.activity_ids.user_id, bill.create_uid)
        self.assertEqual(bill.state, "posted")

    def test_paid_status_moves_odoo_only_through_the_payment(self):
        move = self.sent()
        self.pay_in_xero(move, move.amount_total)
        element = self.read_from_xero(move)
        self.assertEqual(element["Status"], "PAID")
        element["Payments"] = []  # a PAID status with no payment Odoo could register
        self.PaymentIn._apply_document(self.connection, "invoice", element, move)
        move.invalidate_recordset()
        self.assertEqual(move.clarus_xero_status, "PAID")
        self.assertEqual(move.payment_state, "not_paid")
        self.assertEqual(move.amount_residual, move.amount_total)
