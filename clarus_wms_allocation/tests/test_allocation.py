from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import AllocationCase


@tagged("post_install", "-at_install")
class TestAllocation(AllocationCase):
    def test_bulk_allocation_follows_priority_then_dates_then_id(self):
        self._stock(self.product_a, 10)
        older = self._order([(self.product_a, 6)], date_order=datetime(2025, 1, 1))
        urgent = self._order([(self.product_a, 6)], priority="2",
                             date_order=datetime(2025, 3, 1))
        committed = self._order([(self.product_a, 4)], date_order=datetime(2025, 2, 1),
                                commitment_date=datetime(2025, 4, 1))
        twin = self._order([(self.product_a, 1)], date_order=datetime(2025, 1, 1))

        wizard = self._bulk()

        self.assertEqual(self._reserved(urgent, self.product_a), 6)
        self.assertEqual(self._reserved(committed, self.product_a), 4)
        self.assertEqual(self._reserved(older, self.product_a), 0)
        self.assertEqual(self._reserved(twin, self.product_a), 0,
                         "same dates: the lower order id is served first")
        self.assertEqual(self.product_a.with_context(
            warehouse_id=self.warehouse.id).free_qty, 0)
        self.assertEqual(wizard.exception_order_ids, older | twin)
        self.assertEqual(older.clarus_fulfilment_stage, "exception")
        self.assertEqual(self._line(older, self.product_a).clarus_shortfall_qty, 6)
        self.assertEqual(urgent.clarus_fulfilment_stage, "allocated")

    def test_all_or_nothing_against_partial(self):
        self._stock(self.product_a, 10)
        self._stock(self.product_b, 3)
        big = self._order([(self.product_a, 5), (self.product_b, 5)])
        small = self._order([(self.product_a, 5)], date_order=datetime(2025, 2, 1))

        self._bulk("all_or_nothing")
        self.assertEqual(self._reserved(big, self.product_a), 0)
        self.assertEqual(self._reserved(big, self.product_b), 0)
        self.assertEqual(self._reserved(small, self.product_a), 5)
        self.assertTrue(self._line(big, self.product_b).clarus_exception)
        self.assertTrue(self._line(big, self.product_a).clarus_exception)

        (big | small).action_clarus_deallocate()
        self.assertEqual(self._reserved(small, self.product_a), 0)
        self._bulk("partial")
        self.assertEqual(self._reserved(big, self.product_a), 5)
        self.assertEqual(self._reserved(big, self.product_b), 3)
        self.assertEqual(self._reserved(small, self.product_a), 5)
        self.assertFalse(self._line(big, self.product_a).clarus_exception)
        self.assertEqual(self._line(big, self.product_b).clarus_shortfall_qty, 2)

    def test_native_reservation_does_not_bypass_allocation(self):
        self._stock(self.product_a, 10)
        order = self._order([(self.product_a, 4)])
        picking = order.picking_ids
        self.assertEqual(self._reserved(order, self.product_a), 0, "not reserved at confirm")
        picking.action_assign()
        self.assertEqual(self._reserved(order, self.product_a), 0, "Check Availability defers")

        self._line(order, self.product_a).clarus_allocated_qty = 2
        self.assertEqual(self._reserved(order, self.product_a), 2)
        picking.move_ids.quantity = 3
        picking.move_ids.picked = True
        with self.assertRaisesRegex(UserError, "only 2.0 allocated"):
            picking.with_context(skip_backorder=True).button_validate()

    def test_manual_line_and_order_allocation(self):
        self._stock(self.product_a, 10)
        self._stock(self.product_b, 10)
        order = self._order([(self.product_a, 4), (self.product_b, 2)])
        line_a = self._line(order, self.product_a)
        self.assertEqual(order.clarus_fulfilment_stage, "to_allocate")

        line_a.clarus_allocated_qty = 3
        self.assertEqual(self._reserved(order, self.product_a), 3)
        self.assertEqual(line_a.clarus_unallocated_qty, 1)
        line_a.clarus_allocated_qty = 1
        self.assertEqual(self._reserved(order, self.product_a), 1)

        order.action_clarus_allocate()
        self.assertEqual(self._reserved(order, self.product_a), 4)
        self.assertEqual(self._reserved(order, self.product_b), 2)
        self.assertEqual(order.clarus_fulfilment_stage, "allocated")

        order.action_clarus_deallocate()
        self.assertEqual(self._reserved(order, self.product_a), 0)
        self.assertEqual(self._line(order, self.product_b).clarus_allocated_qty, 0)
        self.assertEqual(order.clarus_fulfilment_stage, "to_allocate")

    def test_exceptions_appear_and_clear_when_stock_arrives(self):
        order = self._order([(self.product_a, 5)])
        self._bulk()
        line = self._line(order, self.product_a)
        self.assertTrue(line.clarus_exception)
        self.assertEqual(line.clarus_shortfall_qty, 5)
        exceptions = self.env["sale.order.line"].search([("clarus_exception", "=", True)])
        self.assertIn(line, exceptions)

        self._receive(self.product_a, 3)
        self._retry_short_lines()
        self.assertEqual(self._reserved(order, self.product_a), 3)
        self.assertTrue(line.clarus_exception, "still 2 short")
        self.assertEqual(line.clarus_shortfall_qty, 2)

        self._receive(self.product_a, 5)
        self._retry_short_lines()
        self.assertEqual(self._reserved(order, self.product_a), 5)
        self.assertFalse(line.clarus_exception)
        self.assertEqual(order.clarus_fulfilment_stage, "allocated")

    def test_receipt_leaves_the_retry_to_its_own_job(self):
        order = self._order([(self.product_a, 5)])
        self._bulk()
        line = self._line(order, self.product_a)
        self.assertTrue(line.clarus_exception)
        cron = self.env.ref("clarus_wms_allocation.clarus_allocation_retry_cron")
        self.assertTrue(cron.active, "receipts rely on it")
        Trigger = self.env["ir.cron.trigger"].sudo()
        Trigger.search([("cron_id", "=", cron.id)]).unlink()

        self._validate_receipt(self.product_b, 4)
        self.assertFalse(Trigger.search_count([("cron_id", "=", cron.id)]),
                         "nobody is short of that product")

        self._validate_receipt(self.product_a, 5)
        self.assertEqual(self._reserved(order, self.product_a), 0,
                         "nothing is allocated inside the receipt's transaction")
        self.assertTrue(line.clarus_exception)
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)

        self._retry_short_lines()
        self.assertEqual(self._reserved(order, self.product_a), 5)
        self.assertFalse(line.clarus_exception)
        self.assertEqual(order.clarus_fulfilment_stage, "allocated")

    def test_quantity_change_after_allocation_adjusts_or_flags(self):
        self._stock(self.product_a, 8)
        order = self._order([(self.product_a, 5)])
        order.action_clarus_allocate()
        line = self._line(order, self.product_a)
        picking = order.picking_ids

        line.product_uom_qty = 3
        self.assertEqual(self._reserved(order, self.product_a), 3)
        self.assertEqual(line.clarus_allocated_qty, 3)
        self.assertEqual(line.clarus_change_state, "adjusted")
        self.assertEqual(picking.clarus_change_state, "adjusted")

        line.product_uom_qty = 7
        self.assertEqual(self._reserved(order, self.product_a), 3)
        self.assertEqual(line.clarus_unallocated_qty, 4)
        self.assertEqual(line.clarus_change_state, "attention")
        self.assertEqual(picking.clarus_change_state, "attention")
        self.assertEqual(order.clarus_change_state, "attention")
        self.assertIn("changed from 3.0 to 7.0", picking.message_ids[:1].body)

        order.action_clarus_allocate()
        self.assertEqual(self._reserved(order, self.product_a), 7)
        self.assertFalse(line.clarus_change_state)
        self.assertFalse(picking.clarus_change_state)

    def test_several_warehouses_allocate_from_their_own_stock(self):
        north = self._warehouse("North WH", "NRW")
        self._stock(self.product_a, 5)
        self._stock(self.product_a, 5, north)
        here = self._order([(self.product_a, 8)])
        there = self._order([(self.product_a, 3)], warehouse=north)

        self._bulk(warehouse_ids=[north.id])
        self.assertEqual(self._reserved(here, self.product_a), 0, "other warehouse left alone")
        self.assertEqual(self._reserved(there, self.product_a), 3)

        self._bulk(warehouse_ids=[self.warehouse.id, north.id])
        self.assertEqual(self._reserved(here, self.product_a), 5, "never from North's stock")
        self.assertEqual(self._line(here, self.product_a).clarus_shortfall_qty, 3)

        positions = self.env["clarus.stock.position"].search([
            ("product_id", "=", self.product_a.id),
            ("location_id", "in", (self.warehouse.lot_stock_id | north.lot_stock_id).ids),
        ])
        figures = {
            p.warehouse_id: (p.on_hand_qty, p.allocated_qty, p.available_qty,
                             p.unallocated_demand_qty) for p in positions}
        self.assertEqual(figures[self.warehouse], (5, 5, 0, 3))
        self.assertEqual(figures[north], (5, 3, 2, 0))

    def test_board_follows_the_order_through_its_stages(self):
        self._stock(self.product_a, 5)
        order = self._order([(self.product_a, 5)])
        self.assertEqual(order.clarus_fulfilment_stage, "to_allocate")
        order.action_clarus_allocate()
        self.assertEqual(order.clarus_fulfilment_stage, "allocated")
        picking = order.picking_ids
        picking.move_ids.picked = True
        self.assertEqual(order.clarus_fulfilment_stage, "picking")
        with self.assertRaises(UserError):
            order.action_clarus_deallocate()
        picking.action_put_in_pack()
        self.assertEqual(order.clarus_fulfilment_stage, "packed")
        picking.button_validate()
        self.assertEqual(order.clarus_fulfilment_stage, "shipped")

    def test_scheduled_allocation(self):
        self._stock(self.product_a, 2)
        order = self._order([(self.product_a, 2)])
        cron = self.env.ref("clarus_wms_allocation.clarus_allocation_cron")
        self.assertFalse(cron.active, "opt-in")
        self.env["clarus.allocation.engine"]._cron_allocate()
        self.assertEqual(self._reserved(order, self.product_a), 2)

    def test_bulk_filters_by_customer_and_order_date(self):
        self._stock(self.product_a, 10)
        other = self.env["res.partner"].create({"name": "Other Customer"})
        mine = self._order([(self.product_a, 1)], date_order=datetime(2025, 1, 10))
        theirs = self._order([(self.product_a, 1)], partner=other,
                             date_order=datetime(2025, 1, 10))
        late = self._order([(self.product_a, 1)], date_order=datetime(2025, 6, 1))

        self._bulk(partner_ids=[other.id])
        self.assertEqual(self._reserved(theirs, self.product_a), 1)
        self.assertEqual(self._reserved(mine, self.product_a), 0)

        self._bulk(date_from=datetime(2025, 1, 1), date_to=datetime(2025, 1, 31))
        self.assertEqual(self._reserved(mine, self.product_a), 1)
        self.assertEqual(self._reserved(late, self.product_a), 0)
