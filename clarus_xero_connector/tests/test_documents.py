"""Sales documents out: totals, credit notes, shipments, contacts, bad input."""

from decimal import Decimal

from odoo import Command, fields
from odoo.tests import tagged

from .common import XeroEmulatorCase


@tagged("post_install", "-at_install")
class TestDocuments(XeroEmulatorCase):
    def gateway_put(self, method, body):
        gateway = self.connection._gateway()
        data, _headers, _status = gateway._call(gateway.accounting, method,
                                                self.connection.tenant_id, body)
        return data

    def assert_totals_equal(self, move):
        xero = self.xero_invoice(move)
        self.assertIsNotNone(xero, f"{move.name} is in Xero")
        self.assertEqual(Decimal(str(xero["Total"])), Decimal(str(move.amount_total)))
        self.assertEqual(Decimal(str(xero["TotalTax"])), Decimal(str(move.amount_tax)))

    def setUp(self):
        super().setUp()
        self.env.ref("product.decimal_price").digits = 4

    def _cent_lines(self):
        # Prices chosen so that per-line and global rounding give different tax totals.
        return [(self.product_a, 1, 0.33), (self.product_a, 1, 0.33), (self.product_a, 1, 0.33),
                (self.product_a, 3, 1.0333), (self.product_a, 7, 2.4567)]

    def test_totals_equal_to_the_cent_rounding_per_line(self):
        self.env.company.tax_calculation_rounding_method = "round_per_line"
        move = self.make_invoice(lines=self._cent_lines())
        self.push()
        self.assert_totals_equal(move)

    def test_totals_equal_to_the_cent_rounding_globally(self):
        self.env.company.tax_calculation_rounding_method = "round_globally"
        move = self.make_invoice(lines=self._cent_lines())
        self.push()
        self.assert_totals_equal(move)

    def test_discounts_and_unit_prices_with_four_decimals(self):
        move = self.make_invoice(post=False, lines=[(self.product_a, 3, 12.3456)])
        move.invoice_line_ids.discount = 12.5
        move.action_post()
        self.push()
        line = self.xero_invoice(move)["LineItems"][0]
        self.assertEqual(Decimal(str(line["UnitAmount"])), Decimal("12.3456"))
        self.assertEqual(Decimal(str(line["DiscountRate"])), Decimal("12.5"))
        self.assert_totals_equal(move)

    def test_tracked_items_follow_odoo_even_below_zero(self):
        self.connection.tracked_items = True
        self.product_a.write({"default_code": "TRACK-1", "is_storable": True})
        move = self.make_invoice(lines=[(self.product_a, 3, 40.0)])
        self.push()
        item = next(i for i in self.xero_documents("Items") if i["Code"] == "TRACK-1")
        self.assertTrue(item["IsTrackedAsInventory"])
        self.assertEqual(item["InventoryAssetAccountCode"], "630")
        self.assertEqual(Decimal(str(item["QuantityOnHand"])), Decimal("-3"))
        self.assert_totals_equal(move)

    def test_credit_note_is_allocated_to_its_invoice(self):
        invoice = self.make_invoice(lines=[(self.product_a, 4, 50.0)])
        self.push()
        reversal = self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": invoice.journal_id.id, "reason": "damaged",
                  "date": fields.Date.today()})
        credit = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        credit.invoice_line_ids[0].quantity = 1
        credit.action_post()
        self.push()
        notes = self.xero_documents("CreditNotes")
        self.assertEqual(len(notes), 1)
        self.assertEqual(notes[0]["Type"], "ACCRECCREDIT")
        self.assertEqual(Decimal(str(notes[0]["Total"])), Decimal(str(credit.amount_total)))
        self.assertEqual(Decimal(str(notes[0]["RemainingCredit"])), Decimal("0"))
        xero_invoice = self.xero_invoice(invoice)
        self.assertEqual(Decimal(str(xero_invoice["AmountDue"])),
                         Decimal(str(invoice.amount_total - credit.amount_total)))
        self.assertEqual(self.jobs_for(credit, "allocation").state, "done")

    def test_contacts_are_matched_not_duplicated(self):
        self.partner_a.write({"ref": "C-100", "email": "buyer@example.com"})
        self.gateway_put("create_contacts", {"Contacts": [
            {"Name": "Existing Name In Xero", "ContactNumber": "C-100"}]})
        self.partner_b.write({"email": "partner.b@example.com"})
        self.gateway_put("create_contacts", {"Contacts": [
            {"Name": "Partner B Ltd", "EmailAddress": "partner.b@example.com"}]})
        # Matching by email uses the contacts imported for initial matching.
        self.connection.action_import_reference_data()
        self.make_invoice(partner=self.partner_a)
        self.make_invoice(partner=self.partner_b)
        self.push()
        contacts = self.xero_documents("Contacts")
        self.assertEqual(len(contacts), 2, [c["Name"] for c in contacts])
        self.assertEqual(len(self.xero_documents("Invoices")), 2)
        by_number = {c.get("ContactNumber"): c for c in contacts}
        self.assertEqual(self.partner_a.clarus_xero_id, by_number["C-100"]["ContactID"])

    def test_unrelated_contact_with_the_same_name_gets_a_readable_new_name(self):
        self.partner_a.write({"ref": "C-200", "email": "a@example.com"})
        self.gateway_put("create_contacts", {"Contacts": [
            {"Name": self.partner_a.name, "EmailAddress": "someone.else@example.com",
             "ContactNumber": "OTHER-9"}]})
        self.make_invoice(partner=self.partner_a)
        self.push()
        names = sorted(c["Name"] for c in self.xero_documents("Contacts"))
        self.assertEqual(names, sorted([self.partner_a.name, f"{self.partner_a.name} (C-200)"]))
        self.assertEqual(len(self.xero_documents("Invoices")), 1)

    def test_history_note_carries_carrier_and_tracking(self):
        self.env.user.group_ids |= self.env.ref("sales_team.group_sale_manager")
        carrier_product = self.env["product.product"].create({"name": "Ship", "type": "service"})
        carrier = self.env["delivery.carrier"].create(
            {"name": "Fast Freight", "product_id": carrier_product.id})
        self.product_a.is_storable = True
        order = self.env["sale.order"].create({
            "partner_id": self.partner_a.id,
            "carrier_id": carrier.id,
            "order_line": [Command.create({"product_id": self.product_a.id,
                                           "product_uom_qty": 2, "price_unit": 30.0})],
        })
        warehouse = order.warehouse_id
        self.env["stock.quant"]._update_available_quantity(
            self.product_a, warehouse.lot_stock_id, 5)
        order.action_confirm()
        picking = order.picking_ids
        picking.carrier_tracking_ref = "TRACK-123456"
        picking.move_ids.quantity = 2
        picking.move_ids.picked = True
        picking.button_validate()
        invoice = order._create_invoices()
        invoice.action_post()
        self.push()
        xero_invoice = self.xero_invoice(invoice)
        history = self.gateway_put("get_invoice_history", xero_invoice["InvoiceID"])
        details = " ".join(h["Details"] for h in history["HistoryRecords"])
        self.assertIn("TRACK-123456", details)
        self.assertIn("Fast Freight", details)
        self.assertIn(order.name, xero_invoice["Reference"])


@tagged("post_install", "-at_install")
class TestBadInput(XeroEmulatorCase):
    """Each bad record fails alone with its own reason; the rest of the batch lands."""

    def setUp(self):
        super().setUp()
        self.good = self.make_invoice()

    def push_and_failed_job(self, move, kind="invoice"):
        self.push()
        self.assertTrue(self.xero_invoice(self.good), "the good invoice still lands")
        job = self.jobs_for(move, kind) if kind != "contact" else self.jobs_for(
            move.partner_id.commercial_partner_id, "contact")
        self.assertEqual(job.state, "failed")
        self.assertTrue(job.error_hint)
        return job

    def test_unknown_account_code(self):
        account = self.company_data["default_account_revenue"].copy({"code": "999111"})
        ref = self.env["clarus.xero.reference"].create({
            "connection_id": self.connection.id, "kind": "account", "code": "777",
            "name": "Removed in Xero", "status": "ARCHIVED"})
        self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "account", "account_id": account.id,
            "xero_reference_id": ref.id})
        bad = self.make_invoice(post=False)
        bad.invoice_line_ids.account_id = account
        bad.action_post()
        job = self.push_and_failed_job(bad)
        self.assertIn("777", job.error_message)

    def test_item_code_too_long(self):
        product = self._create_product(name="Long code", default_code="X" * 31)
        bad = self.make_invoice(lines=[(product, 1, 10.0)])
        self.push()
        item_job = self.jobs_for(product, "item")
        self.assertEqual(item_job.state, "failed")
        self.assertIn("at most 30", item_job.error_message)
        invoice_job = self.jobs_for(bad, "invoice")
        self.assertEqual(invoice_job.state, "waiting", "the invoice waits for its item")
        self.assertEqual(invoice_job.waits_for_id, item_job)
        self.assertTrue(self.xero_invoice(self.good))

    def test_currency_not_enabled_in_xero(self):
        eur = self.setup_other_currency("EUR")
        bad = self.make_invoice(currency_id=eur.id)
        job = self.push_and_failed_job(bad)
        self.assertIn("EUR is not enabled", job.error_message)

    def test_archived_xero_contact(self):
        self.partner_b.ref = "ARCH-1"
        gateway = self.connection._gateway()
        data, _h, _s = gateway._call(gateway.accounting, "create_contacts",
                                     self.connection.tenant_id,
                                     {"Contacts": [{"Name": "Old B", "ContactNumber": "ARCH-1"}]})
        contact_id = data["Contacts"][0]["ContactID"]
        gateway._call(gateway.accounting, "update_contact", self.connection.tenant_id,
                      contact_id, {"Contacts": [{"ContactID": contact_id,
                                                 "ContactStatus": "ARCHIVED"}]})
        bad = self.make_invoice(partner=self.partner_b)
        job = self.push_and_failed_job(bad, kind="contact")
        self.assertIn("ARCH-1", job.error_message)
        self.assertIn("archived", job.error_message)
        archived = [c for c in self.xero_documents("Contacts") if c["ContactID"] == contact_id]
        self.assertEqual(archived[0]["Name"], "Old B", "the archived contact is left alone")
        self.assertEqual(self.jobs_for(bad, "invoice").waits_for_id, job,
                         "the invoice waits for its customer")
