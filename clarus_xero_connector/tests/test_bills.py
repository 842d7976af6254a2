"""Vendor bills and refunds out: ACCPAY bills and ACCPAYCREDIT credit notes in Xero,
through the same queue as customer invoices, exactly once."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import XeroEmulatorCase

LOST_ANSWER = {"mode": "timeout", "hold": 1.5, "count": 1, "method": "POST"}


@tagged("post_install", "-at_install")
class TestBills(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        self.env.user.group_ids |= (self.env.ref("purchase.group_purchase_manager")
                                    | self.env.ref("stock.group_stock_manager")
                                    | self.env.ref("sales_team.group_sale_manager"))
        self.purchase_tax = self.company_data["default_tax_purchase"]
        self.map_tax(self.connection, self.purchase_tax, "INPUT2")
        self.product_a.default_code = "WIDGET-A"
        self.today = fields.Date.today()

    # ---------------------------------------------------------------- helpers

    def make_bill(self, partner=None, lines=None, ref="SUP-1", date=None, post=True,
                  move_type="in_invoice", **vals):
        lines = lines or [(self.product_a, 2, 30.0)]
        bill = self.env["account.move"].create({
            "move_type": move_type,
            "partner_id": (partner or self.partner_a).id,
            "invoice_date": date or self.today,
            "ref": ref,
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": qty, "price_unit": price,
                "tax_ids": [Command.set(self.purchase_tax.ids)]})
                for product, qty, price in lines],
            **vals,
        })
        if post:
            bill.action_post()
        return bill

    def xero_bills(self, number=None, collection="Invoices", doc_type="ACCPAY"):
        field = "InvoiceNumber" if collection == "Invoices" else "CreditNoteNumber"
        return [d for d in self.xero_documents(collection) if d["Type"] == doc_type
                and (number is None or d.get(field) == number)]

    def xero_bill(self, bill):
        return next(d for d in self.xero_documents("Invoices")
                    if d["InvoiceID"] == bill.clarus_xero_id)

    def contact_id(self, partner):
        return self.env["clarus.xero.binding"]._get(self.connection, partner).xero_id

    def map_account(self, account, code):
        ref = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "account"),
            ("code", "=", code)])
        self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "account",
            "account_id": account.id, "xero_reference_id": ref.id})

    def map_warehouse(self, warehouse, option_name):
        option = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "tracking_option"),
            ("name", "=", option_name)])
        self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "tracking",
            "warehouse_id": warehouse.id, "xero_reference_id": option.id})

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

    def bill_writes(self):
        return len([r for r in self.xero_requests()
                    if r["method"] in ("PUT", "POST") and r["path"].endswith("/Invoices")])

    def lose_the_next_answer(self, collection="Invoices"):
        """Xero saves the next batch of documents, but its answer never comes back."""
        self.control("POST", "/faults", dict(LOST_ANSWER,
                                             path_prefix=f"/api.xro/2.0/{collection}"))
        self.connection.request_timeout = 1

    def outlive_the_idempotency_key(self):
        """The retry comes after Xero forgot the request's Idempotency-Key (6 minutes):
        only the look-up stands between the retry and a second bill."""
        self.control("POST", "/clock", {"advance_seconds": 400})

    def receive_and_bill(self, order, ref):
        """Confirm the purchase order, receive everything, create the bill with Odoo's
        own action and post it."""
        order.button_confirm()
        receipt = order.picking_ids
        for move in receipt.move_ids:
            move.quantity = move.product_uom_qty
        receipt.move_ids.picked = True
        receipt.button_validate()
        self.assertEqual(receipt.state, "done")
        action = order.action_create_invoice()
        bill = self.env["account.move"].browse(action["res_id"])
        bill.write({"invoice_date": self.today, "ref": ref})
        bill.action_post()
        return bill

    # ------------------------------------------------------------------ tests

    def test_bill_from_a_received_purchase_order_lands_as_accpay(self):
        self.product_a.write({"is_storable": True, "purchase_method": "receive"})
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1)
        self.map_warehouse(warehouse, "South")
        order = self.env["purchase.order"].create({
            "partner_id": self.partner_a.id,
            "picking_type_id": warehouse.in_type_id.id,
            "order_line": [Command.create({
                "product_id": self.product_a.id, "product_qty": 3, "price_unit": 20.0,
                "tax_ids": [Command.set(self.purchase_tax.ids)]})],
        })
        bill = self.receive_and_bill(order, "SUP-INV-4411")
        self.map_account(bill.invoice_line_ids.account_id, "429")
        self.assertEqual(self.jobs_for(bill, "invoice").state, "pending")
        self.push()

        self.assertEqual(self.jobs_for(bill, "invoice").state, "done")
        xero = self.xero_bill(bill)
        self.assertEqual(xero["Type"], "ACCPAY")
        self.assertEqual(xero["InvoiceNumber"], "SUP-INV-4411")
        self.assertEqual(xero["Contact"]["ContactID"], self.contact_id(self.partner_a))
        self.assertNotIn("Reference", xero, "Xero's Reference is for sales invoices only")
        self.assertEqual(Decimal(str(xero["Total"])), Decimal(str(bill.amount_total)))
        [line] = xero["LineItems"]
        self.assertTrue(line["Description"].startswith(f"{order.name}: "), line["Description"])
        self.assertEqual(line["ItemCode"], "WIDGET-A")
        self.assertEqual(line["AccountCode"], "429")
        self.assertEqual(line["TaxType"], "INPUT2")
        self.assertEqual([(t["Name"], t["Option"]) for t in line["Tracking"]],
                         [("Region", "South")])
        self.assertEqual(bill.clarus_xero_sync_state, "synced")
        self.assertEqual(bill.clarus_xero_number, "SUP-INV-4411")

    def test_posting_a_bill_queues_its_vendor_and_items_first(self):
        bill = self.make_bill(ref="SUP-Q")
        job = self.jobs_for(bill, "invoice")
        self.assertEqual(job.state, "pending")
        self.assertEqual(set(job.depends_on), {
            f"res.partner,{self.partner_a.id}", f"product.product,{self.product_a.id}"})
        self.assertTrue(self.jobs_for(self.partner_a, "contact"))
        self.assertTrue(self.jobs_for(self.product_a, "item"))
        self.assertEqual(bill.clarus_xero_sync_state, "queued")

    def test_vendor_refund_lands_as_accpaycredit_allocated_to_its_bill(self):
        bill = self.make_bill(ref="SUP-9", lines=[(self.product_a, 4, 25.0)])
        self.push()
        reversal = self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=bill.ids,
        ).create({"journal_id": bill.journal_id.id, "date": self.today})
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.write({"ref": "SUP-CR-9", "invoice_date": self.today})
        refund.action_post()
        self.push()

        self.assertEqual(self.jobs_for(refund, "credit_note").state, "done")
        [credit] = self.xero_bills("SUP-CR-9", "CreditNotes", "ACCPAYCREDIT")
        self.assertEqual(credit["Contact"]["ContactID"], self.contact_id(self.partner_a))
        self.assertEqual(Decimal(str(credit["Total"])), Decimal(str(refund.amount_total)))
        self.assertEqual(credit["LineItems"][0]["AccountCode"], "310",
                         "an unmapped expense account goes to the default expense account")
        self.assertEqual(credit["LineItems"][0]["TaxType"], "INPUT2")
        self.assertEqual(credit["Allocations"][0]["Invoice"]["InvoiceID"], bill.clarus_xero_id)
        self.assertEqual(self.xero_bill(bill)["Status"], "PAID")

    def test_lost_answer_on_a_bill_is_looked_up_not_created_twice(self):
        # The same vendor already billed with this number, on another day.
        earlier = self.make_bill(ref="SUP-77", date=self.today - timedelta(days=3))
        self.push()
        bill = self.make_bill(ref="SUP-77", lines=[(self.product_a, 5, 8.0)])
        self.lose_the_next_answer()
        self.push()
        job = self.jobs_for(bill, "invoice")
        self.assertEqual(job.state, "pending")
        self.assertTrue(job.outcome_unknown, "looked up before it is sent again")
        writes_before = self.bill_writes()
        self.outlive_the_idempotency_key()
        self.push_until_done()

        self.assertEqual(job.state, "done")
        xero_bills = self.xero_bills("SUP-77")
        self.assertEqual(len(xero_bills), 2, "one Xero bill per Odoo bill, none twice")
        self.assertEqual({b["InvoiceID"] for b in xero_bills},
                         {earlier.clarus_xero_id, bill.clarus_xero_id})
        self.assertNotEqual(earlier.clarus_xero_id, bill.clarus_xero_id)
        self.assertEqual(Decimal(str(self.xero_bill(bill)["Total"])),
                         Decimal(str(bill.amount_total)))
        self.assertEqual(self.bill_writes(), writes_before, "found, not sent again")

    def test_lost_answer_on_a_vendor_refund_is_looked_up_not_created_twice(self):
        earlier = self.make_bill(move_type="in_refund", ref="SUP-CR-5",
                                 date=self.today - timedelta(days=1))
        self.push()
        refund = self.make_bill(move_type="in_refund", ref="SUP-CR-5",
                                lines=[(self.product_a, 1, 12.0)])
        self.lose_the_next_answer("CreditNotes")
        self.push()
        job = self.jobs_for(refund, "credit_note")
        self.assertTrue(job.outcome_unknown)
        self.outlive_the_idempotency_key()
        self.push_until_done()
        self.assertEqual(job.state, "done")
        credits = self.xero_bills("SUP-CR-5", "CreditNotes", "ACCPAYCREDIT")
        self.assertEqual(len(credits), 2, "one Xero credit note per Odoo refund")
        self.assertEqual({c["CreditNoteID"] for c in credits},
                         {earlier.clarus_xero_id, refund.clarus_xero_id})

    def test_two_bills_with_one_vendor_reference_both_land(self):
        first = self.make_bill(ref="SUP-SAME", lines=[(self.product_a, 1, 10.0)])
        second = self.make_bill(ref="SUP-SAME", lines=[(self.product_a, 3, 10.0)])
        self.push()
        xero_bills = self.xero_bills("SUP-SAME")
        self.assertEqual(len(xero_bills), 2)
        self.assertEqual(sorted(Decimal(str(b["Total"])) for b in xero_bills),
                         sorted(Decimal(str(m.amount_total)) for m in first | second))
        self.assertEqual({b["InvoiceID"] for b in xero_bills},
                         {first.clarus_xero_id, second.clarus_xero_id})

    def test_two_bills_with_one_key_and_a_lost_answer_each_land_once(self):
        first = self.make_bill(ref="SUP-TWIN", lines=[(self.product_a, 1, 10.0)])
        second = self.make_bill(ref="SUP-TWIN", lines=[(self.product_a, 3, 10.0)])
        self.push_prerequisites()
        self.lose_the_next_answer()
        self.push()
        self.assertTrue(self.jobs_for(first, "invoice").outcome_unknown)
        self.outlive_the_idempotency_key()
        self.push_until_done()
        xero_bills = self.xero_bills("SUP-TWIN")
        self.assertEqual(len(xero_bills), 2, "both found, neither created again")
        by_id = {b["InvoiceID"]: Decimal(str(b["Total"])) for b in xero_bills}
        self.assertEqual(by_id[first.clarus_xero_id], Decimal(str(first.amount_total)))
        self.assertEqual(by_id[second.clarus_xero_id], Decimal(str(second.amount_total)))

    def push_prerequisites(self):
        """Send the contacts and items now, so that the next push sends only documents."""
        Job = self.env["clarus.xero.job"]
        documents = Job.search([("kind", "in", ("invoice", "credit_note")),
                                ("state", "=", "pending")])
        documents.write({"next_attempt_at": fields.Datetime.now() + timedelta(hours=1)})
        self.push()
        documents.write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})

    def test_tracked_item_bill_raises_quantity_on_hand_at_odoo_cost(self):
        self.connection.tracked_items = True
        self.product_a.write({"default_code": "TRACK-B", "is_storable": True})
        bill = self.make_bill(ref="SUP-STOCK", post=False, lines=[(self.product_a, 4, 12.5)])
        bill.invoice_line_ids.discount = 20
        bill.action_post()
        self.push()
        item = next(i for i in self.xero_documents("Items") if i["Code"] == "TRACK-B")
        self.assertTrue(item["IsTrackedAsInventory"])
        self.assertEqual(Decimal(str(item["QuantityOnHand"])), Decimal("4"))
        # Odoo's cost: the net price of the bill line, 12.50 less 20%, in Xero's base
        # currency (the test company's currency is foreign to the NZ organisation).
        xero = self.xero_bill(bill)
        self.assertEqual(Decimal(str(item["TotalCostPool"])),
                         (Decimal("40") / Decimal(str(xero["CurrencyRate"]))).quantize(
                             Decimal("0.01")))
        [line] = xero["LineItems"]
        self.assertEqual(Decimal(str(line["UnitAmount"])), Decimal("10"))
        self.assertEqual(line["ItemCode"], "TRACK-B")
        self.assertEqual(line["AccountCode"], "630", "bought stock is an inventory asset")

    def test_shipping_line_on_a_bill_goes_on_425_without_item_code(self):
        shipping = self.connection.shipping_product_id
        self.assertTrue(shipping, "the module ships a shipping and handling product")
        shipping.default_code = "SHIPPING"
        bill = self.make_bill(ref="SUP-FREIGHT",
                              lines=[(self.product_a, 2, 30.0), (shipping, 1, 15.0)])
        self.assertFalse(self.jobs_for(shipping), "shipping is never a Xero item")
        self.push()
        lines = {line["Description"]: line for line in self.xero_bill(bill)["LineItems"]}
        freight = next(line for name, line in lines.items() if "Shipping" in name)
        self.assertNotIn("ItemCode", freight)
        self.assertEqual(freight["AccountCode"], "425")
        self.assertEqual(Decimal(str(freight["LineAmount"])), Decimal("15.00"))
        self.assertNotIn("SHIPPING", [i["Code"] for i in self.xero_documents("Items")])

    def test_delivery_line_on_a_customer_invoice_goes_on_260(self):
        freight = self.env["product.product"].create(
            {"name": "Courier charge", "type": "service", "default_code": "COURIER"})
        self.env["delivery.carrier"].create({"name": "Courier", "product_id": freight.id})
        invoice = self.make_invoice(lines=[(self.product_a, 1, 50.0), (freight, 1, 9.5)])
        self.assertFalse(self.jobs_for(freight))
        self.push()
        xero = self.xero_invoice(invoice)
        self.assertEqual(xero["Type"], "ACCREC")
        courier = next(line for line in xero["LineItems"]
                       if "Courier" in line["Description"])
        self.assertNotIn("ItemCode", courier)
        self.assertEqual(courier["AccountCode"], "260")
        widget = next(line for line in xero["LineItems"] if line.get("ItemCode"))
        self.assertEqual(widget["AccountCode"], "200", "sales keep their own account")

    def test_exported_bill_is_locked_and_kept(self):
        bill = self.make_bill(ref="SUP-LOCK")
        self.push()
        with self.assertRaisesRegex(UserError, "credit note"):
            bill.button_draft()
        with self.assertRaisesRegex(UserError, "locked"):
            bill.write({"ref": "SUP-OTHER"})
        with self.assertRaisesRegex(UserError, "locked"):
            bill.invoice_line_ids.write({"price_unit": 99.0})
        with self.assertRaises(UserError):
            bill.unlink()
        bill.write({"narration": "Checked against the delivery note"})
        self.assertEqual(self.xero_bill(bill)["InvoiceNumber"], "SUP-LOCK")
        # Without the lock it may go back to draft, but Xero still holds it: kept.
        self.connection.lock_after_export = False
        bill.button_draft()
        with self.assertRaisesRegex(UserError, "exists in Xero"):
            bill.unlink()

    def test_exported_bill_can_still_be_paid(self):
        bill = self.make_bill(ref="SUP-PAY")
        self.push()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=bill.ids,
        ).create({})._create_payments()
        self.assertIn(bill.payment_state, ("paid", "in_payment"))

    def test_do_not_sync_bill_vendor_or_purchase_order(self):
        flagged_bill = self.make_bill(post=False)
        flagged_bill.write({"clarus_xero_no_sync": True,
                            "clarus_xero_no_sync_reason": "Intercompany recharge"})
        flagged_bill.action_post()
        self.partner_b.write({"clarus_xero_no_sync": True,
                              "clarus_xero_no_sync_reason": "Employee expenses"})
        vendor_bill = self.make_bill(partner=self.partner_b)
        self.product_a.purchase_method = "purchase"
        order = self.env["purchase.order"].create({
            "partner_id": self.partner_a.id, "clarus_xero_no_sync": True,
            "clarus_xero_no_sync_reason": "Bought for the owner",
            "order_line": [Command.create({"product_id": self.product_a.id,
                                           "product_qty": 1, "price_unit": 40.0})],
        })
        order.button_confirm()
        order_bill = self.env["account.move"].browse(order.action_create_invoice()["res_id"])
        order_bill.write({"invoice_date": self.today, "ref": "SUP-OWNER"})
        order_bill.action_post()
        for bill in flagged_bill | vendor_bill | order_bill:
            self.assertFalse(self.jobs_for(bill), bill.display_name)
        self.assertEqual(flagged_bill.clarus_xero_sync_state, "excluded")
        self.assertEqual(self.connection.action_queue_posted_invoices(), 0,
                         "the backlog leaves them out too")

    def test_vendor_bills_off_keeps_bills_home_and_the_backlog_sends_them_later(self):
        self.connection.send_vendor_bills = False
        bill = self.make_bill(ref="SUP-LATER")
        self.assertFalse(self.jobs_for(bill))
        self.assertEqual(self.connection.action_queue_posted_invoices(), 0)
        self.connection.send_vendor_bills = True
        self.assertEqual(self.connection.action_queue_posted_invoices(), 1)
        self.push()
        self.assertEqual(len(self.xero_bills("SUP-LATER")), 1)

    def test_reauthorisation_banner_shows_on_bills_the_connection_sends(self):
        bill = self.make_bill(ref="SUP-BANNER")
        self.connection.state = "needs_reauth"
        bill.invalidate_recordset(["clarus_xero_needs_reauth"])
        self.assertTrue(bill.clarus_xero_needs_reauth)
        self.connection.send_vendor_bills = False
        bill.invalidate_recordset(["clarus_xero_needs_reauth"])
        self.assertFalse(bill.clarus_xero_needs_reauth, "bills are not being sent at all")

    def test_bill_in_a_currency_xero_does_not_have_fails_alone(self):
        good = self.make_bill(ref="SUP-GOOD")
        eur = self.setup_other_currency("EUR")
        bad = self.make_bill(ref="SUP-EUR", currency_id=eur.id)
        self.push()
        self.assertEqual(len(self.xero_bills("SUP-GOOD")), 1, "the rest of the batch lands")
        self.assertFalse(self.xero_bills("SUP-EUR"))
        job = self.jobs_for(bad, "invoice")
        self.assertEqual(job.state, "failed")
        self.assertEqual(bad.clarus_xero_sync_state, "error")
        self.assertIn("EUR is not enabled", bad.clarus_xero_last_error)
        self.assertEqual(good.clarus_xero_sync_state, "synced")
        self.assertEqual(Counter(b["InvoiceNumber"] for b in self.xero_bills()),
                         Counter({"SUP-GOOD": 1}))

    def test_unmapped_purchase_tax_fails_alone_and_never_takes_a_sales_rate(self):
        self.connection.default_tax_type = "OUTPUT2"
        good = self.make_bill(ref="SUP-TAXED")
        unmapped = self.purchase_tax.copy({"name": "Unmapped purchase 15%"})
        bad = self.make_bill(ref="SUP-UNMAPPED", post=False)
        bad.invoice_line_ids.tax_ids = unmapped
        bad.action_post()
        self.push()
        self.assertEqual(good.clarus_xero_sync_state, "synced")
        self.assertFalse(self.xero_bills("SUP-UNMAPPED"))
        self.assertIn("no Xero tax rate", bad.clarus_xero_last_error)
        self.map_tax(self.connection, unmapped, "INPUT2")
        self.jobs_for(bad, "invoice").action_retry()
        self.push()
        [line] = self.xero_bills("SUP-UNMAPPED")[0]["LineItems"]
        self.assertEqual(line["TaxType"], "INPUT2")
