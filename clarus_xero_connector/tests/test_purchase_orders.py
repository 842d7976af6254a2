"""Purchase orders in Xero: what a buyer sees on the order and what Xero holds."""

from datetime import datetime

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from clarus_xero_emulator.msjson import date_to_ms

from .common import XeroEmulatorCase


@tagged("post_install", "-at_install")
class PurchaseOrderCase(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        self.purchase_tax = self.company_data["default_tax_purchase"]
        self.map_tax(self.connection, self.purchase_tax, "INPUT2")
        self.vendor = self.env["res.partner"].create({"name": "Harbour Supplies Ltd"})
        self.bolt = self._create_product(name="Hex bolt", default_code="BOLT-10",
                                         standard_price=2.5)
        self.nut = self._create_product(name="Hex nut", default_code="NUT-10",
                                        standard_price=0.5)
        self.connection.missing_items_policy = "create"

    def make_order(self, lines=None, vendor=None, confirm=True, **vals):
        order = self.env["purchase.order"].create({
            "partner_id": (vendor or self.vendor).id,
            "partner_ref": "HS-4471",
            "order_line": [
                Command.create({
                    "product_id": product.id, "product_qty": qty, "price_unit": price,
                    "tax_ids": [Command.set(self.purchase_tax.ids)],
                    "date_planned": datetime(2026, 12, 20, 10, 0),
                })
                for product, qty, price in (lines or [(self.bolt, 100, 2.5)])
            ],
            **vals,
        })
        if confirm:
            self.assertIs(order.button_confirm(), True, "no question asked")
        return order

    def xero_orders(self, order):
        return [po for po in self.xero_documents("PurchaseOrders")
                if po.get("PurchaseOrderNumber") == order.name]

    def xero_order(self, order):
        found = self.xero_orders(order)
        self.assertEqual(len(found), 1, "exactly one Xero purchase order for %s" % order.name)
        return found[0]

    def order_jobs(self, order):
        return self.jobs_for(order, "purchase_order")


@tagged("post_install", "-at_install")
class TestPurchaseOrderSync(PurchaseOrderCase):
    def test_confirmed_order_lands_authorised_with_lines_date_and_reference(self):
        order = self.make_order(lines=[(self.bolt, 100, 2.5), (self.nut, 200, 0.5)])
        self.assertEqual(self.order_jobs(order).state, "pending")
        self.push()
        po = self.xero_order(order)
        self.assertEqual(po["Status"], "AUTHORISED")
        self.assertEqual(po["Reference"], "HS-4471")
        self.assertEqual(po["DeliveryDate"], date_to_ms("2026-12-20"))
        self.assertEqual(po["Contact"]["Name"], "Harbour Supplies Ltd",
                         "the vendor became a Xero contact first")
        lines = {line["ItemCode"]: line for line in po["LineItems"]}
        self.assertEqual(set(lines), {"BOLT-10", "NUT-10"}, "the products became Xero items")
        self.assertEqual(float(lines["BOLT-10"]["Quantity"]), 100)
        self.assertEqual(float(lines["NUT-10"]["UnitAmount"]), 0.5)
        self.assertTrue(po.get("DeliveryAddress"), "the warehouse's address goes along")
        self.assertEqual(order.clarus_xero_po_status, "AUTHORISED")
        self.assertEqual(order.clarus_xero_po_number, order.name)
        self.assertTrue(order.clarus_xero_po_exported_at)
        self.assertEqual(order.clarus_xero_sync_state, "synced")
        self.assertIn(order, self.env["purchase.order"].search(
            [("clarus_xero_po_status", "not in", [False, "DELETED"])]), "the In Xero filter")

    def test_changes_after_confirmation_make_one_update(self):
        order = self.make_order()
        self.push()
        order.order_line.product_qty = 150
        order.order_line.price_unit = 2.25
        order.write({"date_planned": datetime(2027, 1, 15, 10, 0), "partner_ref": "HS-4480"})
        site = self.env["res.partner"].create({
            "name": "Quay Street site", "street": "1 Quay Street", "city": "Auckland"})
        order.dest_address_id = site
        jobs = self.order_jobs(order).filtered(lambda job: job.state == "pending")
        self.assertEqual(len(jobs), 1, "several edits before the push make one job")
        self.push()
        po = self.xero_order(order)
        self.assertEqual(float(po["LineItems"][0]["Quantity"]), 150)
        self.assertEqual(float(po["LineItems"][0]["UnitAmount"]), 2.25)
        self.assertEqual(po["DeliveryDate"], date_to_ms("2027-01-15"))
        self.assertEqual(po["Reference"], "HS-4480")
        self.assertIn("1 Quay Street", po["DeliveryAddress"])
        self.assertEqual(po["Status"], "AUTHORISED")

    def test_rfq_goes_as_draft_only_when_drafts_are_on(self):
        quiet = self.make_order(confirm=False)
        self.assertFalse(self.order_jobs(quiet), "an RFQ stays in Odoo by default")
        self.connection.purchase_order_send_drafts = True
        rfq = self.make_order(confirm=False)
        self.push()
        self.assertEqual(self.xero_order(rfq)["Status"], "DRAFT")
        self.assertEqual(rfq.clarus_xero_po_status, "DRAFT")
        self.assertFalse(self.xero_orders(quiet))
        rfq.button_confirm()
        self.push()
        self.assertEqual(self.xero_order(rfq)["Status"], "AUTHORISED")

    def test_cancel_deletes_the_order_in_xero(self):
        order = self.make_order()
        self.push()
        order.button_cancel()
        with self.assertRaisesRegex(UserError, "is in Xero"), self.cr.savepoint():
            order.unlink()
        self.push()
        self.assertEqual(self.xero_order(order)["Status"], "DELETED")
        self.assertEqual(order.clarus_xero_po_status, "DELETED")
        self.assertNotIn(order, self.env["purchase.order"].search(
            [("clarus_xero_po_status", "not in", [False, "DELETED"])]))
        order.unlink()
        self.assertFalse(order.exists(), "deleted in Xero, it may go in Odoo")

    def test_a_deletion_whose_answer_was_lost_is_not_sent_again(self):
        order = self.make_order()
        self.push()
        order.button_cancel()
        self.control("POST", "/faults", {"mode": "timeout", "hold": 1.5, "count": 1,
                                         "method": "POST",
                                         "path_prefix": "/api.xro/2.0/PurchaseOrders"})
        self.connection.request_timeout = 1
        self.push()
        job = self.order_jobs(order).sorted("id")[-1]
        self.assertTrue(job.outcome_unknown, "the answer was lost")
        self.assertEqual(self.xero_order(order)["Status"], "DELETED", "Xero applied it")
        self.control("POST", "/clock", {"advance_seconds": 400})  # past the idempotency key
        job.next_attempt_at = fields.Datetime.now()
        self.push()
        self.assertEqual(job.state, "done", "found deleted, not refused by a resend")
        self.assertEqual(order.clarus_xero_po_status, "DELETED")

    def test_cancel_before_the_push_drops_the_job(self):
        order = self.make_order()
        job = self.order_jobs(order)
        order.button_cancel()
        self.assertEqual(job.state, "cancelled")
        self.push()
        self.assertFalse(self.xero_orders(order), "Xero never hears of it")

    def test_cancelling_an_order_billed_in_xero_shows_xero_refusal(self):
        order = self.make_order()
        self.push()
        gateway = self.connection._gateway()
        gateway.send_batch("purchase_order", self.connection.tenant_id, [
            {"PurchaseOrderID": self.xero_order(order)["PurchaseOrderID"], "Status": "BILLED"}],
            None)
        order.button_cancel()
        self.push()
        job = self.order_jobs(order).filtered(lambda j: j.state == "failed")
        self.assertEqual(len(job), 1)
        self.assertIn("not of valid status", job.error_message)
        self.assertEqual(order.clarus_xero_sync_state, "error")
        self.assertIn("not of valid status", order.clarus_xero_last_error)
        self.assertIn(order, self.env["purchase.order"].search(
            [("clarus_xero_has_error", "=", True)]), "the Xero error filter")
        self.assertEqual(self.xero_order(order)["Status"], "BILLED")

    def bill(self, order):
        bill = self.env["account.move"].browse(order.action_create_invoice()["res_id"])
        bill.invoice_date = fields.Date.today()
        bill.action_post()
        self.assertEqual(order.invoice_status, "invoiced")
        # What posting a vendor bill does for its orders.
        order._clarus_xero_queue_update()
        return bill

    def test_fully_billed_order_becomes_billed_in_xero(self):
        order = self.make_order()
        self.push()
        bill = self.bill(order)
        self.push()
        self.assertEqual(self.xero_order(order)["Status"], "BILLED")
        self.assertEqual(order.clarus_xero_po_status, "BILLED")
        self.assertEqual(order.invoice_ids, bill, "the Xero page lists the order's bills")

    def test_order_billed_before_it_reached_xero_ends_billed(self):
        order = self.make_order()
        self.bill(order)
        self.push()
        self.assertEqual(self.xero_order(order)["Status"], "BILLED",
                         "created AUTHORISED (Xero creates none BILLED), then billed")
        self.assertEqual(order.clarus_xero_po_status, "BILLED")

    def test_a_change_after_billing_stays_in_odoo_without_an_error(self):
        order = self.make_order()
        self.push()
        self.bill(order)
        self.push()
        self.assertEqual(self.xero_order(order)["Status"], "BILLED")
        order.partner_ref = "HS-4471-B"
        self.push()
        last = self.order_jobs(order).sorted("id")[-1]
        self.assertEqual(last.state, "done", "not retried against Xero's refusal")
        self.assertIn("BILLED", last.response_summary or "")
        self.assertNotEqual(order.clarus_xero_sync_state, "error")
        xero = self.xero_order(order)
        self.assertEqual((xero["Status"], xero.get("Reference")), ("BILLED", "HS-4471"),
                         "Xero keeps the billed order as it was")

    def test_a_purchase_user_confirms_and_the_order_is_queued(self):
        buyer = self.env["res.users"].create({
            "name": "Buyer", "login": "clarus-buyer", "company_id": self.env.company.id,
            "company_ids": [Command.set(self.env.company.ids)],
            "group_ids": [Command.set(self.env.ref("purchase.group_purchase_user").ids)]})
        order = self.make_order(confirm=False)
        self.assertIs(order.with_user(buyer).button_confirm(), True)
        self.push()
        self.assertEqual(self.xero_order(order)["Status"], "AUTHORISED")

    def test_shipping_line_goes_without_item_on_the_shipping_account(self):
        self.connection.missing_items_policy = "ask"
        shipping = self.connection.shipping_product_id
        self.assertTrue(shipping)
        order = self.make_order(lines=[(shipping, 1, 45.0)])
        self.push()
        line = self.xero_order(order)["LineItems"][0]
        self.assertNotIn("ItemCode", line)
        self.assertEqual(line["AccountCode"], "425")

    def test_save_to_xero_follows_connection_and_vendor(self):
        self.vendor.clarus_xero_po_save = "never"
        kept = self.make_order()
        self.assertFalse(kept.clarus_xero_save)
        self.assertFalse(self.order_jobs(kept))
        self.connection.purchase_order_save_default = False
        other = self.env["res.partner"].create({"name": "Other vendor"})
        self.assertFalse(self.make_order(vendor=other).clarus_xero_save)
        other.clarus_xero_po_save = "always"
        order = self.make_order(vendor=other)
        self.assertTrue(order.clarus_xero_save)
        self.push()
        self.assertEqual(self.xero_order(order)["Status"], "AUTHORISED")


@tagged("post_install", "-at_install")
class TestPurchaseOrderMissingItems(PurchaseOrderCase):
    def setUp(self):
        super().setUp()
        self.connection.missing_items_policy = "ask"

    def confirm_and_dialog(self, order):
        action = order.button_confirm()
        self.assertEqual(action["res_model"], "clarus.xero.missing.items.wizard")
        self.assertEqual(order.state, "purchase", "the order is confirmed anyway")
        self.assertFalse(self.order_jobs(order), "nothing goes before the choice")
        return self.env[action["res_model"]].browse(action["res_id"])

    def xero_item_codes(self):
        gateway = self.connection._gateway()
        data, _h, _s = gateway._call(gateway.accounting, "get_items", self.connection.tenant_id)
        return {item["Code"] for item in data["Items"]}

    def test_create_them_in_xero(self):
        order = self.make_order(confirm=False)
        wizard = self.confirm_and_dialog(order)
        self.assertEqual(wizard.product_ids, self.bolt)
        self.assertIn("Hex bolt", order.clarus_xero_out_reason)
        wizard.action_create_items()
        self.assertEqual(self.jobs_for(self.bolt, "item").state, "pending")
        self.assertIn("product.product,%s" % self.bolt.id, self.order_jobs(order).depends_on)
        self.push()
        self.assertIn("BOLT-10", self.xero_item_codes())
        self.assertEqual(self.xero_order(order)["Status"], "AUTHORISED")
        self.assertFalse(order.clarus_xero_hold)

    def test_keep_the_order_back_then_send_it(self):
        order = self.make_order(confirm=False)
        self.confirm_and_dialog(order).action_keep_back()
        self.assertEqual(order.clarus_xero_hold, "kept")
        self.assertIn("Hex bolt", order.clarus_xero_hold_reason)
        self.assertIn("Kept back", order.clarus_xero_out_reason)
        order.order_line.product_qty = 5
        self.push()
        self.assertFalse(self.xero_orders(order), "a kept-back order stays out, edits too")
        self.assertFalse(self.order_jobs(order))
        action = order.action_clarus_xero_send()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.action_create_items()
        self.push()
        self.assertEqual(float(self.xero_order(order)["LineItems"][0]["Quantity"]), 5)

    def test_new_missing_product_on_an_order_in_xero_holds_its_update(self):
        self.env["clarus.xero.job"].sudo()._enqueue(self.connection, self.bolt, "item")
        order = self.make_order()
        self.push()
        self.assertEqual(self.xero_order(order)["Status"], "AUTHORISED")
        order.write({"order_line": [Command.create({
            "product_id": self.nut.id, "product_qty": 3, "price_unit": 0.5,
            "tax_ids": [Command.set(self.purchase_tax.ids)]})]})
        self.assertEqual(order.clarus_xero_hold, "ask")
        self.assertIn("Hex nut", order.clarus_xero_out_reason)
        self.assertFalse(self.order_jobs(order).filtered(lambda job: job.state == "pending"))
        self.push()
        self.assertEqual(len(self.xero_order(order)["LineItems"]), 1, "Xero keeps the last")
        action = order.action_clarus_xero_send()
        self.env[action["res_model"]].browse(action["res_id"]).action_create_items()
        self.push()
        self.assertEqual(len(self.xero_order(order)["LineItems"]), 2)

    def test_always_create_stops_asking(self):
        first = self.make_order(confirm=False)
        wizard = self.confirm_and_dialog(first)
        wizard.always_create = True
        wizard.action_create_items()
        self.assertEqual(self.connection.missing_items_policy, "create")
        second = self.make_order(lines=[(self.nut, 10, 0.5)])
        self.assertEqual(self.jobs_for(self.nut, "item").state, "pending")
        self.push()
        self.assertEqual(self.xero_order(second)["Status"], "AUTHORISED")
        self.assertIn("NUT-10", self.xero_item_codes())


    def test_only_a_manager_changes_the_connection_from_the_dialog(self):
        buyer = new_test_user(self.env, login="clarus-po-buyer",
                              groups="purchase.group_purchase_user")
        order = self.make_order(confirm=False).with_user(buyer)
        action = order.button_confirm()
        wizard = self.env[action["res_model"]].with_user(buyer).browse(action["res_id"])
        wizard.always_create = True
        wizard.action_create_items()
        self.assertEqual(self.connection.missing_items_policy, "ask",
                         "a buyer's choice covers this order only")
        self.push()
        self.assertEqual(self.xero_order(order)["Status"], "AUTHORISED")

@tagged("post_install", "-at_install")
class TestPurchaseOrderKeptOut(PurchaseOrderCase):
    def test_do_not_sync_on_the_order(self):
        order = self.make_order(confirm=False)
        order.write({"clarus_xero_no_sync": True,
                     "clarus_xero_no_sync_reason": "Private purchase"})
        order.button_confirm()
        self.push()
        self.assertFalse(self.order_jobs(order))
        self.assertFalse(self.xero_orders(order))
        self.assertEqual(order.clarus_xero_sync_state, "excluded")
        self.assertIn("Private purchase", order.clarus_xero_out_reason)

    def test_do_not_sync_on_the_vendor(self):
        self.vendor.write({"clarus_xero_no_sync": True,
                           "clarus_xero_no_sync_reason": "Intercompany supplier"})
        order = self.make_order()
        self.push()
        self.assertFalse(self.order_jobs(order))
        self.assertFalse(self.xero_orders(order))
        self.assertIn("Intercompany supplier", order.clarus_xero_out_reason)
        self.assertIn("Harbour Supplies Ltd", order.clarus_xero_out_reason)
        self.assertIn(order, self.env["purchase.order"].search([
            "|", ("clarus_xero_no_sync", "=", True),
            ("partner_id.commercial_partner_id.clarus_xero_no_sync", "=", True)]))

    def test_bad_order_fails_alone_and_the_batch_lands(self):
        too_long = self._create_product(name="Long code", default_code="L" * 31)
        good_one = self.make_order()
        bad = self.make_order(lines=[(too_long, 1, 10.0)])
        good_two = self.make_order(lines=[(self.nut, 5, 0.5)])
        self.push()
        self.assertEqual(self.xero_order(good_one)["Status"], "AUTHORISED")
        self.assertEqual(self.xero_order(good_two)["Status"], "AUTHORISED")
        self.assertFalse(self.xero_orders(bad))
        self.assertEqual(self.order_jobs(bad).state, "failed")
        self.assertEqual(bad.clarus_xero_sync_state, "error")
        self.assertIn("31 characters", bad.clarus_xero_last_error)
        self.assertIn("at most 30", bad.clarus_xero_last_error)
        self.assertFalse(self.jobs_for(too_long, "item"), "no item is tried for that code")


    def test_a_vendor_without_a_name_fails_alone_and_the_rest_lands(self):
        nameless = self.env["res.partner"].create({
            "type": "invoice", "email": "accounts@nameless.example"})
        self.assertFalse(nameless.name, "Odoo lets an address go without a name")
        bad = self.make_order(vendor=nameless)
        good = self.make_order()
        self.push()
        contact_job = self.jobs_for(nameless, "contact")
        self.assertEqual(contact_job.state, "failed")
        self.assertIn("has no name", contact_job.error_message)
        self.assertEqual(self.order_jobs(bad).state, "waiting",
                         "the order waits for its vendor, naming the failure")
        self.assertIn("has no name", self.order_jobs(bad).waits_for_error)
        self.assertEqual(self.xero_order(good)["Status"], "AUTHORISED")
        self.assertFalse(self.xero_orders(bad))

@tagged("post_install", "-at_install")
class TestPurchaseOrderViews(PurchaseOrderCase):
    def test_form_list_and_search_show_xero(self):
        Order = self.env["purchase.order"]
        form = Order.get_views([(False, "form")])["views"]["form"]["arch"]
        for field in ("clarus_xero_po_number", "clarus_xero_po_status",
                      "clarus_xero_po_exported_at", "clarus_xero_sync_state",
                      "clarus_xero_last_error", "invoice_ids", "clarus_xero_save",
                      "clarus_xero_out_reason"):
            self.assertIn(f'name="{field}"', form)
        self.assertIn('name="action_clarus_xero_send"', form)
        self.assertIn('name="action_view_clarus_xero_jobs"', form)
        # The RFQ and the purchase order menus have their own list and search views.
        for list_xmlid, search_xmlid in (
                ("purchase.purchase_order_kpis_tree", "purchase.view_purchase_order_filter"),
                ("purchase.purchase_order_view_tree", "purchase.purchase_order_view_search")):
            views = Order.get_views([(self.env.ref(list_xmlid).id, "list"),
                                     (self.env.ref(search_xmlid).id, "search")])["views"]
            self.assertIn('name="clarus_xero_po_status"', views["list"]["arch"])
            for name in ("clarus_xero_in", "clarus_xero_not_in", "clarus_xero_error",
                         "clarus_xero_excluded"):
                self.assertIn(f'name="{name}"', views["search"]["arch"])

    def test_filters_find_the_orders(self):
        sent = self.make_order()
        held = self.make_order()
        held.write({"clarus_xero_no_sync": True, "clarus_xero_no_sync_reason": "Test"})
        self.assertEqual(self.order_jobs(held).state, "cancelled",
                         "flagged before the push: its queued job is dropped")
        self.push()
        Order = self.env["purchase.order"]
        search = Order.get_views([(False, "search")])["views"]["search"]["arch"]
        self.assertIn("clarus_xero_has_error", search)
        in_xero = Order.search([("clarus_xero_po_status", "not in", [False, "DELETED"])])
        self.assertIn(sent, in_xero)
        self.assertNotIn(held, in_xero)
        self.assertNotIn(sent, Order.search([("clarus_xero_has_error", "=", True)]))
