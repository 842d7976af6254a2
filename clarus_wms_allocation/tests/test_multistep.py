"""Allocation in two-step (pick -> ship) and three-step (pick -> pack -> ship) routes.

Odoo 19 creates only the pick at confirmation (Stock -> Output or Packing Zone); the pack
and ship moves are pushed when the step before them is done, and reserve what it brought.
Allocation reserves on the pick and must keep every guarantee it gives in one step.
"""

from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from . import test_concurrency
from .common import AllocationCase


class MultiStepTests:
    """Run by the two- and three-step classes below, on top of :class:`AllocationCase`."""

    steps = None
    # Odoo's loader runs inherited test methods only when told to.
    allow_inherited_tests_method = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse.delivery_steps = cls.steps
        cls.env.company.clarus_ship_then_bill = True
        wh = cls.warehouse
        cls.chain = (
            [wh.pick_type_id, wh.out_type_id] if cls.steps == "pick_ship"
            else [wh.pick_type_id, wh.pack_type_id, wh.out_type_id])

    # ---- helpers ---------------------------------------------------------------------

    def _open_picking(self, order, picking_type):
        return order.picking_ids.filtered(
            lambda p: p.picking_type_id == picking_type and p.state not in ("done", "cancel"))

    def _pick_moves(self, order, product):
        return order.order_line.move_ids.filtered(
            lambda m: m.picking_type_id == self.warehouse.pick_type_id
            and m.product_id == product and m.state not in ("done", "cancel"))

    def _held_on_pick(self, order, product):
        return sum(self._pick_moves(order, product).mapped("quantity"))

    def _free(self, product):
        return product.with_context(location=self.warehouse.lot_stock_id.id).free_qty

    def _validate(self, order, picking_type):
        """Do one step with what it holds; the rest goes to a backorder."""
        picking = self._open_picking(order, picking_type)
        self.assertTrue(picking, f"{order.name} has an open {picking_type.name}")
        picking.move_ids.filtered("quantity").picked = True
        picking.with_context(skip_backorder=True).button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def _run_chain(self, order, step=0):
        """Pick, (pack,) ship what is allocated, from ``step`` (0 is the pick) on;
        returns the delivery to the customer."""
        for picking_type in self.chain[step:]:
            picking = self._validate(order, picking_type)
        return picking

    def _invoiced(self, invoice):
        return {
            line.product_id: line.quantity
            for line in invoice.invoice_line_ids.filtered(lambda ln: ln.display_type == "product")
        }

    # ---- guarantees ------------------------------------------------------------------

    def test_the_pick_is_reserved_by_allocation_only_and_never_beyond_the_stock(self):
        self._stock(self.product_a, 5)
        first = self._order([(self.product_a, 4)], date_order=datetime(2025, 1, 1))
        second = self._order([(self.product_a, 4)], date_order=datetime(2025, 1, 2))
        pick = first.picking_ids
        self.assertEqual(pick.picking_type_id, self.warehouse.pick_type_id,
                         "the route starts with a pick out of Stock")
        self.assertEqual(self._held_on_pick(first, self.product_a), 0, "not reserved at confirm")
        (first | second).picking_ids.action_assign()
        self.assertEqual(self._held_on_pick(first, self.product_a), 0,
                         "Check Availability leaves the pick to allocation")
        self.assertEqual(self._held_on_pick(second, self.product_a), 0)

        self._bulk()
        self.assertEqual(self._held_on_pick(first, self.product_a), 4)
        self.assertEqual(self._held_on_pick(second, self.product_a), 1)
        self.assertEqual(self._free(self.product_a), 0)
        line = self._line(second, self.product_a)
        self.assertEqual((line.clarus_allocated_qty, line.clarus_shortfall_qty), (1, 3))
        self.assertEqual(second.clarus_fulfilment_stage, "exception")
        third = self._order([(self.product_a, 2)])
        with self.assertRaisesRegex(UserError, "No stock is free"):
            third.action_clarus_allocate()
        self.assertEqual(self._held_on_pick(third, self.product_a), 0)

        pick = self._open_picking(second, self.warehouse.pick_type_id)
        pick.move_ids.quantity = 2
        pick.move_ids.picked = True
        with self.assertRaisesRegex(UserError, "only 1.0 allocated"):
            pick.with_context(skip_backorder=True).button_validate()

    def test_stock_position_counts_the_pick_once(self):
        self._stock(self.product_a, 5)
        first = self._order([(self.product_a, 4)], date_order=datetime(2025, 1, 1))
        self._order([(self.product_a, 4)], date_order=datetime(2025, 1, 2))

        def figures():
            self.env.flush_all()
            self.env["clarus.stock.position"].invalidate_model()  # a view: rows are re-read
            positions = self.env["clarus.stock.position"].search([
                ("product_id", "=", self.product_a.id),
                ("warehouse_id", "=", self.warehouse.id)])
            return {p.location_id: (p.on_hand_qty, p.allocated_qty, p.available_qty,
                                    p.unallocated_demand_qty) for p in positions}

        self.assertEqual(figures(), {self.warehouse.lot_stock_id: (5, 0, 5, 8)})
        self._bulk()
        self.assertEqual(figures(), {self.warehouse.lot_stock_id: (5, 5, 0, 3)})

        picking = self._validate(first, self.warehouse.pick_type_id)
        self.assertEqual(figures(), {
            self.warehouse.lot_stock_id: (1, 1, 0, 3),
            picking.location_dest_id: (4, 0, 0, 0),
        }, "picked stock is on its way: not demand, not allocatable, not counted twice")

    def test_priority_decides_who_gets_scarce_stock(self):
        self._stock(self.product_a, 6)
        older = self._order([(self.product_a, 4)], date_order=datetime(2025, 1, 1))
        urgent = self._order([(self.product_a, 4)], priority="2",
                             date_order=datetime(2025, 3, 1))
        committed = self._order([(self.product_a, 2)], date_order=datetime(2025, 2, 1),
                                commitment_date=datetime(2025, 2, 10))

        self._bulk()
        self.assertEqual(self._held_on_pick(urgent, self.product_a), 4)
        self.assertEqual(self._held_on_pick(committed, self.product_a), 2)
        self.assertEqual(self._held_on_pick(older, self.product_a), 0)
        self.assertEqual(older.clarus_fulfilment_stage, "exception")
        self.assertEqual(urgent.clarus_fulfilment_stage, "allocated")

        self._validate_receipt(self.product_a, 3)
        self.assertEqual(self._held_on_pick(older, self.product_a), 0,
                         "a receipt does not reserve the pick by itself")
        self._retry_short_lines()
        self.assertEqual(self._held_on_pick(older, self.product_a), 3)
        self.assertEqual(self._line(older, self.product_a).clarus_shortfall_qty, 1)

    def test_deallocate_releases_the_pick_until_it_is_picked(self):
        self._stock(self.product_a, 5)
        order = self._order([(self.product_a, 5)])
        order.action_clarus_allocate()
        self.assertEqual(self._held_on_pick(order, self.product_a), 5)
        self.assertEqual(self._free(self.product_a), 0)

        order.action_clarus_deallocate()
        self.assertEqual(self._held_on_pick(order, self.product_a), 0)
        self.assertEqual(self._line(order, self.product_a).clarus_allocated_qty, 0)
        self.assertEqual(self._free(self.product_a), 5)
        self.assertEqual(order.clarus_fulfilment_stage, "to_allocate")

        self._line(order, self.product_a).clarus_allocated_qty = 3
        self.assertEqual(self._held_on_pick(order, self.product_a), 3)
        self._validate(order, self.warehouse.pick_type_id)
        line = self._line(order, self.product_a)
        self.assertEqual((line.clarus_open_qty, line.clarus_allocated_qty), (5, 3),
                         "the picked 3 stay allocated on their way to the customer")
        order.action_clarus_deallocate()
        self.assertEqual(line.clarus_allocated_qty, 3, "what is picked cannot be released")
        with self.assertRaisesRegex(UserError, "already picked and on their way"):
            line.clarus_allocated_qty = 2

        line.clarus_allocated_qty = 5
        self.assertEqual(self._held_on_pick(order, self.product_a), 2,
                         "the rest is allocated on the pick's backorder")
        self.assertEqual(line.clarus_allocated_qty, 5)

    def test_partial_shipment_is_invoiced_as_shipped(self):
        self._stock(self.product_a, 6)
        self._stock(self.product_b, 4)
        order = self._order([(self.product_a, 10), (self.product_b, 4)])
        order.action_clarus_allocate()

        first_pick = self._validate(order, self.warehouse.pick_type_id)
        self.assertFalse(order.invoice_ids, "nothing is billed before it leaves")
        backorder = self._open_picking(order, self.warehouse.pick_type_id)
        self.assertEqual(backorder.backorder_id, first_pick)
        self.assertEqual(backorder.move_ids.product_uom_qty, 4)
        self.assertEqual(backorder.move_ids.quantity, 0, "the rest waits for allocation")
        for picking_type in self.chain[1:]:
            delivery = self._validate(order, picking_type)
        self.assertEqual(self._line(order, self.product_a).qty_delivered, 6)
        invoice = delivery.clarus_invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(self._invoiced(invoice), {self.product_a: 6, self.product_b: 4})
        self.assertEqual(order.invoice_ids, invoice, "the pick and pack bill nothing")
        self.assertEqual(order.clarus_fulfilment_stage, "exception",
                         "4 still to deliver and none free")

        self._validate_receipt(self.product_a, 4)
        self._retry_short_lines()
        self.assertEqual(self._held_on_pick(order, self.product_a), 4)
        self.assertEqual(order.clarus_fulfilment_stage, "allocated")
        second = self._run_chain(order)
        self.assertEqual(self._invoiced(second.clarus_invoice_ids), {self.product_a: 4})
        for line in order.order_line:
            self.assertEqual(line.qty_invoiced, line.qty_delivered, line.product_id.name)
        self.assertEqual(self._line(order, self.product_a).qty_invoiced, 10)
        self.assertEqual(order.clarus_fulfilment_stage, "shipped")

    def test_quantity_change_after_allocation_adjusts_or_flags(self):
        self._stock(self.product_a, 8)
        order = self._order([(self.product_a, 5)])
        order.action_clarus_allocate()
        line = self._line(order, self.product_a)
        pick = order.picking_ids

        line.product_uom_qty = 3
        self.assertEqual(self._held_on_pick(order, self.product_a), 3)
        self.assertEqual(line.clarus_allocated_qty, 3)
        self.assertEqual(line.clarus_change_state, "adjusted")
        self.assertEqual(pick.clarus_change_state, "adjusted")

        line.product_uom_qty = 7
        self.assertEqual(self._held_on_pick(order, self.product_a), 3)
        self.assertEqual(line.clarus_unallocated_qty, 4)
        self.assertEqual(line.clarus_change_state, "attention")
        self.assertEqual(pick.clarus_change_state, "attention")
        self.assertEqual(order.clarus_change_state, "attention")
        self.assertIn("changed from 3.0 to 7.0", pick.message_ids[:1].body)

        order.action_clarus_allocate()
        self.assertEqual(self._held_on_pick(order, self.product_a), 7)
        self.assertFalse(line.clarus_change_state)
        self.assertFalse(pick.clarus_change_state)
        self.assertEqual(self._free(self.product_a), 1)

    def test_more_ordered_after_the_pick_is_flagged_and_allocated_on_a_new_pick(self):
        self._stock(self.product_a, 8)
        order = self._order([(self.product_a, 5)])
        order.action_clarus_allocate()
        self._validate(order, self.warehouse.pick_type_id)
        line = self._line(order, self.product_a)

        line.product_uom_qty = 7
        self.assertEqual(self._held_on_pick(order, self.product_a), 0,
                         "the 2 more wait for allocation on a pick of their own")
        self.assertEqual(self._pick_moves(order, self.product_a).product_uom_qty, 2)
        self.assertEqual((line.clarus_open_qty, line.clarus_allocated_qty), (7, 5))
        self.assertEqual(line.clarus_change_state, "attention")

        order.action_clarus_allocate()
        self.assertEqual(self._held_on_pick(order, self.product_a), 2)
        self.assertEqual(line.clarus_allocated_qty, 7)
        self.assertFalse(line.clarus_change_state)
        self.assertEqual(self._free(self.product_a), 1)

    def test_less_ordered_after_the_pick_puts_the_surplus_back_without_allocation(self):
        self._stock(self.product_a, 5)
        order = self._order([(self.product_a, 5)])
        order.action_clarus_allocate()
        picked = self._validate(order, self.warehouse.pick_type_id)
        line = self._line(order, self.product_a)

        line.product_uom_qty = 3
        self.assertEqual((line.clarus_open_qty, line.clarus_allocated_qty), (3, 3))
        self.assertEqual(line.clarus_change_state, "adjusted")
        back = order.order_line.move_ids.filtered(
            lambda m: m.location_id == picked.location_dest_id
            and m.location_dest_id == self.warehouse.lot_stock_id)
        self.assertEqual(back.product_uom_qty, 2, "Odoo puts the 2 no longer ordered back")
        self.assertEqual(back.state, "assigned",
                         "reserved by Odoo: putting stock back is not allocation's")
        self.assertEqual(order.clarus_fulfilment_stage, "picking")
        back.picked = True
        back.picking_id.button_validate()
        self.assertEqual(self._free(self.product_a), 2)

        self._run_chain(order, step=1)
        self.assertEqual(line.qty_delivered, 3)
        self.assertEqual(line.qty_invoiced, 3)
        self.assertEqual(order.clarus_fulfilment_stage, "shipped")

    def test_board_follows_the_chain(self):
        self._stock(self.product_a, 5)
        order = self._order([(self.product_a, 5)])
        self.assertEqual(order.clarus_fulfilment_stage, "to_allocate")
        order.action_clarus_allocate()
        self.assertEqual(order.clarus_fulfilment_stage, "allocated")

        pick = self._open_picking(order, self.warehouse.pick_type_id)
        pick.move_ids.picked = True
        self.assertEqual(order.clarus_fulfilment_stage, "picking", "pick in progress")
        with self.assertRaisesRegex(UserError, "Picking has begun"):
            order.action_clarus_deallocate()
        pick.button_validate()
        self.assertEqual(pick.state, "done")
        self.assertEqual(order.clarus_fulfilment_stage, "picking", "picked, not packed yet")
        with self.assertRaisesRegex(UserError, "already picked"):
            order.action_clarus_deallocate()

        if self.steps == "pick_pack_ship":
            pack = self._validate(order, self.warehouse.pack_type_id)
            self.assertEqual(pack.state, "done")
        else:
            ship = self._open_picking(order, self.warehouse.out_type_id)
            ship.action_put_in_pack()
            self.assertTrue(ship.move_line_ids.result_package_id)
        self.assertEqual(order.clarus_fulfilment_stage, "packed")
        line = self._line(order, self.product_a)
        self.assertEqual((line.clarus_open_qty, line.clarus_allocated_qty), (5, 5))

        self._validate(order, self.warehouse.out_type_id)
        self.assertEqual(order.clarus_fulfilment_stage, "shipped")
        self.assertEqual(line.qty_delivered, 5)
        self.assertEqual(line.qty_invoiced, 5)


@tagged("post_install", "-at_install")
class TestTwoStepAllocation(MultiStepTests, AllocationCase):
    steps = "pick_ship"


@tagged("post_install", "-at_install")
class TestThreeStepAllocation(MultiStepTests, AllocationCase):
    steps = "pick_pack_ship"


@tagged("post_install", "-at_install")
class TestConcurrentThreeStepAllocation(test_concurrency.TestConcurrentAllocation):
    """Two runs at once over the picks of a three-step route: one waits and is refused,
    never reserving what the other holds."""

    delivery_steps = "pick_pack_ship"
    allow_inherited_tests_method = True
