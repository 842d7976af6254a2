"""Sale orders and deliveries show what Xero holds of them, and their flags keep it out."""

import json
from ast import literal_eval

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import XeroEmulatorCase


class OrderXeroCase(XeroEmulatorCase):
    """Confirmed orders of a stocked product, shipped and invoiced as a user does."""

    def setUp(self):
        super().setUp()
        self.env.user.group_ids |= (self.env.ref("sales_team.group_sale_manager")
                                    | self.env.ref("stock.group_stock_manager"))
        self.tax = self.company_data["default_tax_sale"]
        self.warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1)
        self.product_a.write({"is_storable": True, "invoice_policy": "delivery",
                              "default_code": "ORD-A"})
        self.env["stock.quant"]._update_available_quantity(
            self.product_a, self.warehouse.lot_stock_id, 50)

    # ------------------------------------------------------------ helpers

    def _order(self, qty=2, tax=None, partner=None, confirm=True):
        order = self.env["sale.order"].create({
            "partner_id": (partner or self.partner_a).id, "warehouse_id": self.warehouse.id,
            "order_line": [Command.create({
                "product_id": self.product_a.id, "product_uom_qty": qty, "price_unit": 20.0,
                "tax_ids": [Command.set((tax or self.tax).ids)]})],
        })
        if confirm:
            order.action_confirm()
        return order

    def _ship(self, order, tracking_ref=None):
        picking = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        picking.action_assign()
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        if tracking_ref:
            picking.carrier_tracking_ref = tracking_ref
        picking._action_done()
        return picking

    def _invoice(self, order):
        """Invoice what was delivered and not invoiced yet, as the order's button does
        (unless Invoice What Shipped already did it at validation)."""
        posted = order.invoice_ids.filtered(lambda m: m.state == "posted")
        if order.invoice_status == "to invoice":
            order._create_invoices().action_post()
        return order.invoice_ids.filtered(lambda m: m.state == "posted") - posted

    def _shipped_and_invoiced(self, tax=None, partner=None, tracking_ref=None):
        order = self._order(tax=tax, partner=partner)
        picking = self._ship(order, tracking_ref)
        return order, picking, self._invoice(order)

    def _failing_tax(self):
        return self.tax.copy({"name": "Not mapped to Xero"})

    def _filter_domain(self, model, name):
        """The domain of a filter of the model's default search view, as the UI uses it."""
        arch = self.env[model].get_views([(False, "search")])["views"]["search"]["arch"]
        marker = f'name="{name}"'
        self.assertIn(marker, arch)
        tag = arch[arch.rindex("<filter", 0, arch.index(marker)):]
        domain = tag[tag.index('domain="') + len('domain="'):]
        return literal_eval(domain[:domain.index('"')].replace("&apos;", "'"))

    def _filtered(self, model, name, records):
        return self.env[model].search(
            self._filter_domain(model, name) + [("id", "in", records.ids)])



@tagged("post_install", "-at_install")
class TestOrderXeroFields(OrderXeroCase):
    # ------------------------------------------------------------ sale orders

    def test_order_shows_its_documents_as_xero_holds_them(self):
        order = self._order()
        self.assertFalse(order.clarus_xero_sync_state, "nothing invoiced, nothing to say")
        self._ship(order)
        invoice = self._invoice(order)
        order.invalidate_recordset()
        self.assertEqual(order.clarus_xero_sync_state, "queued")
        self.assertFalse(order.clarus_xero_move_ids.clarus_xero_number)

        self.push()
        order.invalidate_recordset()
        invoice.invalidate_recordset()
        self.assertEqual(order.clarus_xero_sync_state, "synced")
        self.assertFalse(order.clarus_xero_last_error)
        self.assertEqual(order.clarus_xero_move_ids, invoice)
        xero = self.xero_invoice(invoice)
        self.assertEqual(invoice.clarus_xero_number, xero["InvoiceNumber"])
        self.assertEqual(invoice.clarus_xero_status, xero["Status"])
        self.assertTrue(invoice.clarus_xero_exported_at)

        refund = invoice._reverse_moves()
        refund.action_post()
        order.invalidate_recordset()
        self.assertEqual(order.clarus_xero_move_ids, invoice | refund,
                         "the credit note counts as the order's too")
        self.assertEqual(order.clarus_xero_sync_state, "queued")
        self.push()
        order.invalidate_recordset()
        self.assertEqual(order.clarus_xero_sync_state, "synced")
        self.assertTrue(refund.clarus_xero_number)

    def test_order_error_names_the_document_and_its_reason(self):
        order, _picking, invoice = self._shipped_and_invoiced(tax=self._failing_tax())
        self.push()
        order.invalidate_recordset()
        self.assertEqual(order.clarus_xero_sync_state, "error")
        self.assertIn(invoice.name, order.clarus_xero_last_error)
        self.assertIn("no Xero tax rate", order.clarus_xero_last_error)

    def test_order_filters_find_the_right_orders(self):
        sent, _p, _i = self._shipped_and_invoiced()
        failing, _p, _i = self._shipped_and_invoiced(tax=self._failing_tax())
        cancelled, _p, cancelled_invoice = self._shipped_and_invoiced()
        flagged = self._order()
        flagged.write({"clarus_xero_no_sync": True,
                       "clarus_xero_no_sync_reason": "Staff purchase"})
        self.jobs_for(cancelled_invoice, "invoice").action_cancel()
        self.push()
        uninvoiced = self._order()
        orders = sent | failing | cancelled | flagged | uninvoiced

        self.assertEqual(self._filtered("sale.order", "clarus_xero_error", orders), failing)
        self.assertEqual(self._filtered("sale.order", "clarus_xero_not_sent", orders),
                         cancelled, "an order with nothing invoiced has nothing to send")
        self.assertEqual(self._filtered("sale.order", "clarus_xero_excluded", orders), flagged)
        SaleOrder = self.env["sale.order"]
        self.assertEqual(
            SaleOrder.search([("clarus_xero_sync_state", "=", "synced"),
                              ("id", "in", orders.ids)]), sent)
        self.assertEqual(
            SaleOrder.search([("clarus_xero_sync_state", "!=", "error"),
                              ("id", "in", orders.ids)]), orders - failing)
        self.assertEqual(
            SaleOrder.search([("clarus_xero_sync_state", "=", False),
                              ("id", "in", orders.ids)]), uninvoiced)
        for order in orders:
            self.assertEqual(
                order.clarus_xero_sync_state,
                {sent: "synced", failing: "error", cancelled: "not_sent",
                 flagged: "excluded", uninvoiced: False}[order])

    def test_flagged_customer_shows_do_not_sync_on_its_orders(self):
        self.partner_b.write({"clarus_xero_no_sync": True,
                              "clarus_xero_no_sync_reason": "Intercompany"})
        order, _picking, invoice = self._shipped_and_invoiced(partner=self.partner_b)
        self.assertFalse(self.jobs_for(invoice))
        self.assertEqual(order.clarus_xero_sync_state, "excluded")
        self.assertIn(order, self.env["sale.order"].search(
            self._filter_domain("sale.order", "clarus_xero_excluded")))

    # ------------------------------------------------------------ do not sync

    def test_flagged_order_keeps_later_invoices_and_credit_notes_out(self):
        order = self._order(qty=4)
        order.write({"clarus_xero_no_sync": True,
                     "clarus_xero_no_sync_reason": "Settled outside Xero"})
        self._ship(order)
        invoice = self._invoice(order)
        self.assertTrue(invoice, "the invoice was made after the flag was set")
        refund = invoice._reverse_moves()
        refund.action_post()
        self.assertFalse(self.jobs_for(invoice))
        self.assertFalse(self.jobs_for(refund))
        self.push()
        self.assertIsNone(self.xero_invoice(invoice))
        self.assertFalse([c for c in self.xero_documents("CreditNotes")
                          if c.get("CreditNoteNumber") == refund.name])
        self.assertEqual(order.clarus_xero_sync_state, "excluded")
        self.assertEqual(self._filtered("sale.order", "clarus_xero_excluded", order), order)

    def test_order_flagged_after_queueing_keeps_what_has_not_gone_out(self):
        order, picking, invoice = self._shipped_and_invoiced(tracking_ref="TRK-LATE-FLAG")
        queued = self.jobs_for(invoice)
        self.assertEqual(set(queued.mapped("kind")), {"invoice", "history"})
        order.write({"clarus_xero_no_sync": True,
                     "clarus_xero_no_sync_reason": "Invoiced by the franchise"})
        self.assertEqual(set(queued.mapped("state")), {"cancelled"})
        self.assertTrue(invoice.message_ids.filtered(
            lambda m: "cancelled" in (m.body or "")), "the invoice says why nothing went")
        self.push()
        self.assertIsNone(self.xero_invoice(invoice))
        self.assertEqual(order.clarus_xero_sync_state, "excluded")
        self.assertEqual(picking.clarus_xero_sync_state, "excluded")

    def test_order_flag_needs_a_reason(self):
        order = self._order(confirm=False)
        with self.assertRaisesRegex(Exception, "Say why"):
            order.write({"clarus_xero_no_sync": True})

    # ------------------------------------------------------------ deliveries

    def test_delivery_shows_its_shipment_note_and_invoices(self):
        order, picking, invoice = self._shipped_and_invoiced(tracking_ref="TRK-ORD-1")
        self.assertEqual(picking.clarus_xero_invoice_ids, invoice)
        self.assertEqual(picking.clarus_xero_sync_state, "queued")
        self.push()
        picking.invalidate_recordset()
        invoice.invalidate_recordset()
        self.assertEqual(picking.clarus_xero_sync_state, "synced")
        self.assertFalse(picking.clarus_xero_last_error)
        self.assertEqual(picking.clarus_xero_invoice_ids.clarus_xero_number,
                         self.xero_invoice(invoice)["InvoiceNumber"])
        self.assertEqual(order.clarus_xero_sync_state, "synced")

    def test_delivery_filters_find_the_right_deliveries(self):
        _o, noted, _i = self._shipped_and_invoiced(tracking_ref="TRK-OK")
        _o, untracked, _i = self._shipped_and_invoiced()
        _o, failing, _i = self._shipped_and_invoiced(tax=self._failing_tax(),
                                                     tracking_ref="TRK-FAIL")
        flagged_order = self._order()
        flagged = flagged_order.picking_ids
        flagged.write({"clarus_xero_no_sync": True,
                       "clarus_xero_no_sync_reason": "Sample shipment"})
        unordered = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.out_type_id.id, "partner_id": self.partner_a.id,
            "carrier_tracking_ref": "TRK-NO-ORDER",
            "move_ids": [Command.create({
                "product_id": self.product_a.id, "product_uom_qty": 1,
                "location_id": self.warehouse.lot_stock_id.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id})],
        })
        unordered.action_confirm()
        unordered.move_ids.write({"quantity": 1, "picked": True})
        unordered._action_done()
        self.assertEqual(unordered.state, "done")
        self.push()
        pickings = noted | untracked | failing | flagged | unordered
        failing.invalidate_recordset()
        self.assertEqual(failing.clarus_xero_sync_state, "error")
        self.assertIn("no Xero tax rate", failing.clarus_xero_last_error,
                      "the note waits for its invoice, whose error is the one to fix")
        self.assertEqual(self._filtered("stock.picking", "clarus_xero_error", pickings), failing)
        self.assertEqual(self._filtered("stock.picking", "clarus_xero_not_sent", pickings),
                         untracked, "no tracking reference, no note; no order, nothing to bill")
        self.assertEqual(self._filtered("stock.picking", "clarus_xero_excluded", pickings),
                         flagged)
        self.assertEqual(self.env["stock.picking"].search(
            [("clarus_xero_sync_state", "=", "synced"), ("id", "in", pickings.ids)]), noted)

    def test_flagged_delivery_sends_no_note_but_its_invoice_goes(self):
        order = self._order()
        picking = order.picking_ids
        picking.write({"clarus_xero_no_sync": True,
                       "clarus_xero_no_sync_reason": "Carrier details are private"})
        self._ship(order, tracking_ref="TRK-PRIVATE")
        invoice = self._invoice(order)
        self.assertTrue(self.jobs_for(invoice, "invoice"))
        self.assertFalse(self.jobs_for(invoice, "history"))
        picking.carrier_tracking_ref = "TRK-PRIVATE-2"
        self.assertFalse(self.jobs_for(invoice, "history"), "not even after a later change")
        self.push()
        self.assertTrue(self.xero_invoice(invoice))
        self.assertEqual(picking.clarus_xero_sync_state, "excluded")
        self.assertEqual(order.clarus_xero_sync_state, "synced")

    def test_delivery_flagged_after_billing_sends_no_note(self):
        order, picking, invoice = self._shipped_and_invoiced(tracking_ref="TRK-WITHDRAWN")
        self.assertEqual(self.jobs_for(invoice, "history").state, "pending")
        picking.write({"clarus_xero_no_sync": True,
                       "clarus_xero_no_sync_reason": "Carrier details are private"})
        self.assertEqual(self.jobs_for(invoice, "history").state, "cancelled")
        self.assertEqual(self.jobs_for(invoice, "invoice").state, "pending")
        self.push()
        xero = self.xero_invoice(invoice)
        self.assertTrue(xero, "the invoice still goes")
        gateway = self.connection._gateway()
        history, _h, _s = gateway._call(gateway.accounting, "get_invoice_history",
                                        self.connection.tenant_id, xero["InvoiceID"])
        self.assertNotIn("TRK-WITHDRAWN",
                         " ".join(h.get("Details") or "" for h in history["HistoryRecords"]))
        self.assertEqual(order.clarus_xero_sync_state, "synced")

    def test_flagged_delivery_billed_by_invoice_what_shipped(self):
        if "clarus_ship_then_bill" not in self.env["res.company"]._fields:
            self.skipTest("clarus_wms_allocation is not installed")
        self.env.company.clarus_ship_then_bill = True
        order = self._order()
        picking = order.picking_ids
        picking.write({"clarus_xero_no_sync": True,
                       "clarus_xero_no_sync_reason": "Carrier details are private"})
        self._ship(order, tracking_ref="TRK-IWS")
        invoice = order.invoice_ids
        self.assertEqual(invoice.clarus_picking_ids, picking)
        self.assertEqual(picking.clarus_xero_invoice_ids, invoice)
        self.assertTrue(self.jobs_for(invoice, "invoice"))
        self.assertFalse(self.jobs_for(invoice, "history"))
        self.push()
        self.assertTrue(self.xero_invoice(invoice), "the invoice still goes")


# Waits for the form, opens its Xero tab and checks that the tab shows ``expected``.
XERO_TAB_CHECK = """
const expected = %s;
let tries = 0;
const check = () => {
    const tab = document.querySelector('.o_form_view a.nav-link[name="clarus_xero"]');
    if (!tab) {
        if (++tries > 50) { console.error('the form has no Xero tab'); }
        else { setTimeout(check, 200); }
        return;
    }
    tab.click();
    setTimeout(() => {
        const text = document.querySelector('.o_form_view .tab-pane.active').innerText;
        const missing = expected.filter((word) => !text.includes(word));
        if (missing.length) { console.error('the Xero tab misses ' + missing.join(', ')); }
        else { console.log('test successful'); }
    }, 1000);
};
check();
"""


@tagged("post_install", "-at_install")
class TestOrderXeroPages(OrderXeroCase, HttpCase):
    """The Xero tabs of an order and a delivery show, in a real browser, the error to fix
    and the documents Xero holds. Odoo skips this when no Chromium is installed."""

    def test_order_and_delivery_tabs_show_status_error_and_documents(self):
        self.env.user.group_ids |= self.env.ref("base.group_system")
        sent, _picking, invoice = self._shipped_and_invoiced(tracking_ref="TRK-UI")
        failing, failing_picking, _bad = self._shipped_and_invoiced(
            tax=self._failing_tax(), tracking_ref="TRK-UI-FAIL")
        self.push()
        checks = [
            (f"/odoo/action-sale.action_orders/{sent.id}",
             ["In Xero", invoice.name, self.xero_invoice(invoice)["InvoiceNumber"]]),
            (f"/odoo/action-sale.action_orders/{failing.id}", ["Error", "no Xero tax rate"]),
            (f"/odoo/action-stock.action_picking_tree_all/{failing_picking.id}",
             ["Error", "no Xero tax rate"]),
        ]
        for url, expected in checks:
            self.browser_js(url, XERO_TAB_CHECK % json.dumps(expected), ready="odoo.isReady",
                            login=self.env.user.login, timeout=60)
