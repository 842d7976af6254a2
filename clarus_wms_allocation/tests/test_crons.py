"""The allocation scheduled actions as production runs them: committed data, Odoo's cron
runner in its own cursor. Not a TransactionCase: the retry after a receipt only exists
once the receipt's transaction has committed. The orders are cancelled afterwards so no
other test allocates them; the class's warehouse, with its stock, stays."""

import uuid

from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged


@tagged("post_install", "-at_install")
class TestAllocationCronsOnCommittedData(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        tag = uuid.uuid4().hex[:5].upper()
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            warehouse = env["stock.warehouse"].create({
                "name": f"Cron WH {tag}", "code": f"C{tag[:4]}",
                "clarus_allocation_required": True})
            product = env["product.product"].create({
                "name": f"Cron widget {tag}", "is_storable": True, "type": "consu",
                "invoice_policy": "delivery", "list_price": 10.0})
            customer = env["res.partner"].create({"name": f"Cron customer {tag}"})
            cls.warehouse_id, cls.product_id, cls.customer_id = (
                warehouse.id, product.id, customer.id)
        cls.addClassCleanup(cls._cancel_orders)

    @classmethod
    def _cancel_orders(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            orders = env["sale.order"].search([("warehouse_id", "=", cls.warehouse_id),
                                               ("state", "=", "sale")])
            orders._action_cancel()

    def env_in_new_transaction(self):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def order(self, env, qty):
        order = env["sale.order"].create({
            "partner_id": self.customer_id, "warehouse_id": self.warehouse_id,
            "order_line": [Command.create({"product_id": self.product_id,
                                           "product_uom_qty": qty})]})
        order.action_confirm()
        return order

    def reserved(self, env, order_id):
        moves = env["sale.order"].browse(order_id).order_line.move_ids.filtered(
            lambda m: m.picking_code == "outgoing" and m.state not in ("done", "cancel"))
        return sum(moves.mapped("quantity"))

    def test_allocation_cron_allocates_committed_orders(self):
        env = self.env_in_new_transaction()
        warehouse = env["stock.warehouse"].browse(self.warehouse_id)
        product = env["product.product"].browse(self.product_id)
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 3)
        order = self.order(env, 3)
        # The cron must see it.
        env.cr.commit()  # pylint: disable=invalid-commit
        env.ref("clarus_wms_allocation.clarus_allocation_cron").method_direct_trigger()
        # Read what the cron committed.
        env.cr.commit()  # pylint: disable=invalid-commit
        env.invalidate_all()
        self.assertEqual(self.reserved(env, order.id), 3)

    def test_receipt_leaves_the_retry_to_its_own_cron_run(self):
        env = self.env_in_new_transaction()
        warehouse = env["stock.warehouse"].browse(self.warehouse_id)
        order = self.order(env, 5)
        env["clarus.allocation.wizard"].create(
            {"mode": "partial", "warehouse_ids": [self.warehouse_id]}).action_run()
        self.assertEqual(self.reserved(env, order.id), 0, "nothing in stock yet")
        self.assertTrue(order.order_line.clarus_exception, "the line is short")
        suppliers = env.ref("stock.stock_location_suppliers")
        receipt = env["stock.picking"].create({
            "picking_type_id": warehouse.in_type_id.id, "location_id": suppliers.id,
            "location_dest_id": warehouse.lot_stock_id.id,
            "move_ids": [Command.create({
                "product_id": self.product_id, "product_uom_qty": 5,
                "location_id": suppliers.id, "location_dest_id": warehouse.lot_stock_id.id})],
        })
        receipt.action_confirm()
        receipt.move_ids.write({"quantity": 5, "picked": True})
        receipt.button_validate()
        # The receipt's own transaction.
        env.cr.commit()  # pylint: disable=invalid-commit
        self.assertEqual(self.reserved(env, order.id), 0,
                         "the receipt's transaction did not allocate")
        retry = env.ref("clarus_wms_allocation.clarus_allocation_retry_cron")
        self.assertTrue(env["ir.cron.trigger"].search_count([("cron_id", "=", retry.id)]),
                        "the receipt asked for a retry run")
        retry.method_direct_trigger()
        # Read what the cron committed.
        env.cr.commit()  # pylint: disable=invalid-commit
        env.invalidate_all()
        self.assertEqual(self.reserved(env, order.id), 5)
