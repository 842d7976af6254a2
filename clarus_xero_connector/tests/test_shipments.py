"""The warehouse side and the connector together: what shipped is what Xero bills."""

from decimal import Decimal

from odoo import Command
from odoo.tests import tagged

from .common import XeroEmulatorCase


@tagged("post_install", "-at_install")
class TestShipThenBillToXero(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        if "clarus_ship_then_bill" not in self.env["res.company"]._fields:
            self.skipTest("clarus_wms_allocation is not installed")
        self.env.user.group_ids |= (self.env.ref("sales_team.group_sale_manager")
                                    | self.env.ref("stock.group_stock_manager"))
        self.env.company.clarus_ship_then_bill = True
        self.warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1)
        option = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "tracking_option"),
            ("name", "=", "North")])
        self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "tracking",
            "warehouse_id": self.warehouse.id, "xero_reference_id": option.id})
        carrier_product = self.env["product.product"].create({"name": "Freight",
                                                             "type": "service"})
        self.carrier = self.env["delivery.carrier"].create(
            {"name": "Fast Freight", "product_id": carrier_product.id})
        self.product_a.write({"is_storable": True, "invoice_policy": "delivery",
                              "default_code": "SHIP-A"})
        self.env["stock.quant"]._update_available_quantity(
            self.product_a, self.warehouse.lot_stock_id, 3)

    def test_partial_shipment_is_billed_in_xero_with_tracking(self):
        order = self.env["sale.order"].create({
            "partner_id": self.partner_a.id, "warehouse_id": self.warehouse.id,
            "carrier_id": self.carrier.id,
            "order_line": [Command.create({"product_id": self.product_a.id,
                                           "product_uom_qty": 5, "price_unit": 20.0,
                                           "tax_ids": [Command.set(
                                               self.company_data["default_tax_sale"].ids)]})],
        })
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.quantity = 3
        picking.move_ids.picked = True
        picking.carrier_tracking_ref = "1Z-SHIPPED-3"
        picking.with_context(cancel_backorder=False)._action_done()
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_line_ids.quantity, 3)
        self.push()
        xero = self.xero_invoice(invoice)
        line = xero["LineItems"][0]
        self.assertEqual(Decimal(str(line["Quantity"])), Decimal("3"))
        self.assertEqual(line["Tracking"][0]["Option"], "North")
        self.assertEqual(Decimal(str(xero["Total"])), Decimal(str(invoice.amount_total)))
        gateway = self.connection._gateway()
        history, _h, _s = gateway._call(gateway.accounting, "get_invoice_history",
                                        self.connection.tenant_id, xero["InvoiceID"])
        self.assertIn("1Z-SHIPPED-3", " ".join(h["Details"] for h in history["HistoryRecords"]))

    def test_tracking_reference_entered_after_billing_still_reaches_xero(self):
        order = self.env["sale.order"].create({
            "partner_id": self.partner_a.id, "warehouse_id": self.warehouse.id,
            "carrier_id": self.carrier.id,
            "order_line": [Command.create({"product_id": self.product_a.id,
                                           "product_uom_qty": 2, "price_unit": 20.0})],
        })
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.quantity = 2
        picking.move_ids.picked = True
        picking._action_done()
        self.push()
        picking.carrier_tracking_ref = "LATE-REF-9"
        self.push()
        xero = self.xero_invoice(order.invoice_ids)
        gateway = self.connection._gateway()
        history, _h, _s = gateway._call(gateway.accounting, "get_invoice_history",
                                        self.connection.tenant_id, xero["InvoiceID"])
        self.assertIn("LATE-REF-9", " ".join(h["Details"] for h in history["HistoryRecords"]))

    def test_each_shipment_is_noted_on_its_own_invoice(self):
        order = self.env["sale.order"].create({
            "partner_id": self.partner_a.id, "warehouse_id": self.warehouse.id,
            "carrier_id": self.carrier.id,
            "order_line": [Command.create({"product_id": self.product_a.id,
                                           "product_uom_qty": 5, "price_unit": 20.0})],
        })
        order.action_confirm()
        first = order.picking_ids
        first.action_assign()
        first.move_ids.quantity = 3
        first.move_ids.picked = True
        first.carrier_tracking_ref = "1Z-FIRST"
        first._action_done()  # leaves a backorder for the other 2
        self.env["stock.quant"]._update_available_quantity(
            self.product_a, self.warehouse.lot_stock_id, 2)
        second = order.picking_ids - first
        second.action_assign()
        second.move_ids.quantity = 2
        second.move_ids.picked = True
        second.carrier_tracking_ref = "1Z-SECOND"
        second._action_done()
        self.assertEqual(len(order.invoice_ids), 2, "one invoice per shipment")
        self.push()
        gateway = self.connection._gateway()
        notes = {}
        for invoice in order.invoice_ids:
            xero = self.xero_invoice(invoice)
            history, _h, _s = gateway._call(gateway.accounting, "get_invoice_history",
                                            self.connection.tenant_id, xero["InvoiceID"])
            notes[invoice.invoice_line_ids.quantity] = " ".join(
                h["Details"] for h in history["HistoryRecords"])
        self.assertIn("1Z-FIRST", notes[3])
        self.assertNotIn("1Z-SECOND", notes[3])
        self.assertIn("1Z-SECOND", notes[2])
        self.assertNotIn("1Z-FIRST", notes[2], "the second invoice notes its own shipment")
