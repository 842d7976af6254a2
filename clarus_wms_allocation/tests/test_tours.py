from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import AllocationCase


@tagged("post_install", "-at_install")
class TestTours(AllocationCase, HttpCase):
    """The warehouse screens clicked through in a real browser.

    Odoo skips these when no Chromium is installed (`.ci/run` installs it)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write({"name": "Tour Customer", "street": "9 Tour Street"})
        cls.product_a.name = "Tour Widget"

    def test_allocate_from_the_order_board(self):
        self._stock(self.product_a, 8)
        order = self._order([(self.product_a, 5)])
        self.assertEqual(order.clarus_fulfilment_stage, "to_allocate")

        self.start_tour("/odoo", "clarus_wms_allocate_from_board", login="admin", timeout=120)

        self.env.invalidate_all()
        line = self._line(order, self.product_a)
        self.assertEqual(line.clarus_allocated_qty, 5)
        self.assertEqual(self._reserved(order, self.product_a), 5)
        self.assertEqual(order.clarus_fulfilment_stage, "allocated")

    def test_print_the_shipping_label_of_a_delivery(self):
        carrier = self.env["delivery.carrier"].create({
            "name": "Tour Freight",
            "product_id": self.env["product.product"].create({
                "name": "Tour Freight", "type": "service"}).id,
        })
        self._stock(self.product_a, 3)
        order = self._order([(self.product_a, 3)])
        order.action_clarus_allocate()
        picking = order.picking_ids
        picking.carrier_id = carrier
        picking.carrier_tracking_ref = "TRK-TOUR-7"
        self._ship(order)
        self.assertEqual(order.clarus_fulfilment_stage, "shipped")
        label = picking.clarus_shipment_label_ids
        self.assertEqual(label.tracking_reference, "TRK-TOUR-7")

        # Without wkhtmltopdf the web client shows the report as HTML in the page, which
        # is what the tour reads; set that state so the run does not depend on the host.
        report_model = type(self.env["ir.actions.report"])
        with patch.object(report_model, "get_wkhtmltopdf_state", lambda self: "install"):
            self.start_tour("/odoo", "clarus_wms_print_label", login="admin", timeout=120)

        content, report_format = self.env["ir.actions.report"]._render_qweb_pdf(
            "clarus_wms_allocation.clarus_shipment_label_report_label", label.ids)
        # Under test Odoo renders the HTML that wkhtmltopdf would print.
        self.assertEqual(report_format, "html")
        html = content.decode()
        self.assertIn(picking.name, html)
        self.assertIn("TRK-TOUR-7", html)
        self.assertIn("9 Tour Street", html)
        self.assertEqual(html.count('class="clarus_shipment_line"'), 1)

    def test_run_a_shift_from_the_board(self):
        warehouse = self._warehouse("Shift WH", "SHW")
        warehouse.delivery_steps = "pick_pack_ship"
        self.env.company.clarus_ship_then_bill = True
        self._stock(self.product_a, 8, warehouse=warehouse)
        order = self._order([(self.product_a, 5)], warehouse=warehouse,
                            commitment_date=fields.Datetime.now() - timedelta(days=1))
        self.assertTrue(order.clarus_board_late)

        report_model = type(self.env["ir.actions.report"])
        with patch.object(report_model, "get_wkhtmltopdf_state", lambda self: "install"):
            self.start_tour(
                "/odoo", "clarus_wms_run_a_shift_from_the_board", login="admin", timeout=180)

        self.env.invalidate_all()
        self.assertEqual(order.clarus_priority, "1", "raised from the card")
        self.assertEqual(order.clarus_fulfilment_stage, "shipped")
        self.assertEqual(self._line(order, self.product_a).qty_delivered, 5)
        self.assertEqual(
            order.picking_ids.mapped(lambda p: (p.picking_type_id, p.state)),
            [(warehouse.pick_type_id, "done"), (warehouse.pack_type_id, "done"),
             (warehouse.out_type_id, "done")])
        delivery = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        self.assertEqual(delivery.clarus_shipment_label_ids.line_ids.quantity, 5)
        self.assertEqual(order.invoice_ids.invoice_line_ids.filtered(
            lambda ln: ln.product_id == self.product_a).quantity, 5, "shipped, then billed")
        self.assertFalse(order.clarus_board_late)
