from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import AllocationCase


@tagged("post_install", "-at_install")
class TestBadInput(AllocationCase):
    """Each refusal says why and leaves stock and allocation as they were."""

    def setUp(self):
        super().setUp()
        self._stock(self.product_a, 10)
        self.order = self._order([(self.product_a, 4)])
        self.line = self._line(self.order, self.product_a)
        self.line.clarus_allocated_qty = 2

    def assertUnchanged(self):
        self.assertEqual(self.line.clarus_allocated_qty, 2)
        self.assertEqual(self._reserved(self.order, self.product_a), 2)
        self.assertEqual(self.product_a.with_context(
            warehouse_id=self.warehouse.id).free_qty, 8)

    def test_more_than_ordered(self):
        with self.assertRaisesRegex(UserError, "only 4.0 is still to deliver"):
            self.line.clarus_allocated_qty = 5
        self.assertUnchanged()

    def test_negative_quantity(self):
        with self.assertRaisesRegex(UserError, "cannot be negative"):
            self.line.clarus_allocated_qty = -1
        self.assertUnchanged()

    def test_more_than_free_stock(self):
        other = self._order([(self.product_a, 9)])
        with self.assertRaisesRegex(UserError, "Only 8.0 Units .* not 9.0. Nothing was changed"):
            self._line(other, self.product_a).clarus_allocated_qty = 9
        self.assertUnchanged()
        self.assertEqual(self._reserved(other, self.product_a), 0)

    def test_order_with_no_stock_at_all(self):
        empty = self._order([(self.product_b, 3)])
        with self.assertRaisesRegex(UserError, "No stock is free for .*Alloc Gadget"):
            empty.action_clarus_allocate()
        self.assertEqual(self._reserved(empty, self.product_b), 0)
        self.assertFalse(self._line(empty, self.product_b).clarus_exception)
        self.assertUnchanged()

    def test_product_without_a_warehouse_route(self):
        order = self._order([(self.product_b, 1)])
        order.picking_ids.action_cancel()
        with self.assertRaisesRegex(UserError, "no open delivery from a warehouse"):
            order.action_clarus_allocate()
        with self.assertRaisesRegex(UserError, "no open delivery from a warehouse"):
            self._line(order, self.product_b).clarus_allocated_qty = 1
        self.assertUnchanged()

    def test_draft_order(self):
        draft = self._order([(self.product_a, 1)], confirm=False)
        with self.assertRaisesRegex(UserError, "not a confirmed sale order"):
            draft.action_clarus_allocate()
        self.assertUnchanged()
