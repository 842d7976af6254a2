from odoo.tests import Form, tagged

from .common import AllocationCase


@tagged("post_install", "-at_install")
class TestShipping(AllocationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.clarus_ship_then_bill = True
        cls.carrier = cls.env["delivery.carrier"].create({
            "name": "Clarus Freight",
            "product_id": cls.env["product.product"].create({
                "name": "Freight", "type": "service"}).id,
        })

    def _invoice_quantities(self, invoice):
        return {
            line.product_id: line.quantity
            for line in invoice.invoice_line_ids.filtered(lambda ln: ln.display_type == "product")
        }

    def test_partial_shipment_leaves_a_backorder_and_invoices_what_shipped(self):
        self._stock(self.product_a, 6)
        self._stock(self.product_b, 4)
        order = self._order([(self.product_a, 10), (self.product_b, 4)])
        order.action_clarus_allocate()

        picking = self._ship(order)
        self.assertEqual(picking.state, "done")
        backorder = order.picking_ids.filtered(lambda p: p.backorder_id == picking)
        self.assertEqual(backorder.move_ids.product_id, self.product_a)
        self.assertEqual(backorder.move_ids.product_uom_qty, 4)
        self.assertEqual(backorder.move_ids.quantity, 0, "the rest waits for allocation")
        self.assertEqual(self._line(order, self.product_a).qty_delivered, 6)

        invoice = picking.clarus_invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.clarus_picking_ids, picking)
        self.assertEqual(self._invoice_quantities(invoice),
                         {self.product_a: 6, self.product_b: 4})

        self._receive(self.product_a, 4)
        self._bulk()
        second = self._ship(order)
        self.assertEqual(self._invoice_quantities(second.clarus_invoice_ids),
                         {self.product_a: 4})
        self.assertEqual(self._line(order, self.product_a).qty_invoiced, 10)
        self.assertEqual(order.clarus_fulfilment_stage, "shipped")

    def test_return_after_posting_is_credited(self):
        self._stock(self.product_a, 5)
        order = self._order([(self.product_a, 5)])
        order.action_clarus_allocate()
        picking = self._ship(order)

        wizard = Form(self.env["stock.return.picking"].with_context(
            active_id=picking.id, active_model="stock.picking")).save()
        wizard.product_return_moves.quantity = 2
        returned = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        returned.move_ids.picked = True
        returned.button_validate()

        credit = returned.clarus_invoice_ids
        self.assertEqual(credit.move_type, "out_refund")
        self.assertEqual(credit.state, "posted")
        self.assertEqual(self._invoice_quantities(credit), {self.product_a: 2})
        self.assertEqual(self._line(order, self.product_a).qty_invoiced, 3)

    def test_without_the_setting_nothing_is_invoiced(self):
        self.env.company.clarus_ship_then_bill = False
        self._stock(self.product_a, 1)
        order = self._order([(self.product_a, 1)])
        order.action_clarus_allocate()
        picking = self._ship(order)
        self.assertEqual(picking.state, "done")
        self.assertFalse(order.invoice_ids)

    def test_label_keeps_and_prints_exactly_the_shipped_lines(self):
        self._stock(self.product_a, 3)
        order = self._order([(self.product_a, 5), (self.product_b, 2)])
        order.action_clarus_allocate()
        picking = order.picking_ids
        picking.carrier_id = self.carrier
        picking.clarus_carrier_service = "Next Day"
        picking.move_ids.filtered("quantity").picked = True
        picking.with_context(skip_backorder=True).button_validate()
        picking.carrier_tracking_ref = "TRK-0042"

        label = picking.clarus_shipment_label_ids
        self.assertEqual(len(label), 1)
        self.assertEqual(
            [(ln.product_id, ln.quantity) for ln in label.line_ids], [(self.product_a, 3)])
        self.assertEqual(label.carrier_id, self.carrier)
        self.assertEqual(label.carrier_service, "Next Day")
        self.assertEqual(label.tracking_reference, "TRK-0042")
        self.assertEqual(label.order_reference, order.name)
        self.assertEqual(label.package_count, 1)
        self.assertAlmostEqual(label.weight, 1.5)
        self.assertIn("Dock Road", label.ship_to_address)
        self.assertEqual(picking.clarus_invoice_ids.clarus_picking_ids.carrier_tracking_ref,
                         "TRK-0042")

        for xmlid in ("clarus_shipment_label_report_label",
                      "clarus_shipment_label_report_packing_slip"):
            html, _type = self.env["ir.actions.report"]._render_qweb_html(
                f"clarus_wms_allocation.{xmlid}", label.ids)
            html = html.decode()
            self.assertEqual(html.count('class="clarus_shipment_line"'), 1, xmlid)
            self.assertIn("Alloc Widget", html)
            self.assertNotIn("Alloc Gadget", html, "the unshipped line is not on the label")
            self.assertIn("3.00", html)
            self.assertIn("TRK-0042", html)

    def test_first_shipment_invoice_carries_delivery_charge_and_services_once(self):
        self._stock(self.product_a, 6)
        self._stock(self.product_b, 4)
        installation = self.env["product.product"].create({
            "name": "Installation", "type": "service", "invoice_policy": "order",
            "list_price": 80.0})
        engineer_visit = self.env["product.product"].create({
            "name": "Engineer visit", "type": "service", "invoice_policy": "delivery",
            "list_price": 50.0})
        order = self._order([(self.product_a, 10), (self.product_b, 4), (installation, 2),
                             (engineer_visit, 1)], confirm=False)
        order.set_delivery_line(self.carrier, 15.0)
        order.action_confirm()
        order.action_clarus_allocate()
        delivery_line = order.order_line.filtered("is_delivery")
        self.assertEqual(delivery_line.price_unit, 15.0)

        first = self._ship(order)
        invoice = first.clarus_invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(self._invoice_quantities(invoice), {
            self.product_a: 6, self.product_b: 4, installation: 2,
            self.carrier.product_id: 1,
        }, "goods as shipped, the delivery charge and the service in full")
        self.assertEqual(
            invoice.invoice_line_ids.filtered(
                lambda ln: ln.product_id == self.carrier.product_id).sale_line_ids,
            delivery_line, "the delivery line is billed as the order's delivery line")
        self.assertNotIn(engineer_visit, invoice.invoice_line_ids.product_id,
                         "a service invoiced on delivered quantities waits to be delivered")

        self._receive(self.product_a, 4)
        self._bulk()
        second = self._ship(order)
        self.assertEqual(self._invoice_quantities(second.clarus_invoice_ids),
                         {self.product_a: 4}, "charges and services are not billed twice")
        for line in order.order_line.filtered(lambda ln: ln.product_id.is_storable):
            self.assertEqual(line.qty_invoiced, line.qty_delivered, line.product_id.name)
        self.assertEqual(delivery_line.qty_invoiced, 1)
        self.assertEqual(self._line(order, installation).qty_invoiced, 2)
        self.assertEqual(self._line(order, engineer_visit).qty_to_invoice, 0,
                         "nothing delivered, nothing billed, nothing owed back")
        self.assertEqual(order.invoice_status, "no",
                         "all that shipped is billed; the visit waits for its delivery")
