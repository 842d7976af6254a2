import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from psycopg2 import errors as pg_errors

from odoo import api
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.orm.environments import Transaction
from odoo.tests.common import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger

STOCK = 10.0


@tagged("post_install", "-at_install")
class TestConcurrentAllocation(BaseCase):
    """Two allocation runs in two real transactions compete for the same stock.

    The data is committed (each run needs its own connection), then cleaned up."""

    #: The warehouse's delivery route; multi-step variants live in test_multistep.
    delivery_steps = "ship_only"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.addClassCleanup(cls._clean_up)
        suffix = uuid.uuid4().hex[:4].upper()
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {"tracking_disable": True})
            warehouse = env["stock.warehouse"].create({
                "name": f"Concurrency WH {suffix}", "code": f"C{suffix}"[:5],
                "clarus_allocation_required": True, "delivery_steps": cls.delivery_steps,
            })
            product = env["product.product"].create({
                "name": f"Contended Widget {suffix}", "is_storable": True, "type": "consu"})
            partner = env["res.partner"].create({"name": f"Racer {suffix}"})
            env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, STOCK)
            orders = env["sale.order"].create([{
                "partner_id": partner.id,
                "warehouse_id": warehouse.id,
                "order_line": [Command.create({"product_id": product.id,
                                               "product_uom_qty": STOCK})],
            } for _i in range(2)])
            orders.action_confirm()
            cls.warehouse_id, cls.product_id = warehouse.id, product.id
            cls.order_ids = orders.ids

    @classmethod
    def _clean_up(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {"tracking_disable": True})
            orders = env["sale.order"].browse(cls.order_ids)
            orders.picking_ids.move_ids._do_unreserve()
            orders._action_cancel()
            orders.unlink()
            cr.execute("DELETE FROM stock_quant WHERE product_id = %s", [cls.product_id])
            env["product.product"].browse(cls.product_id).active = False
            env["stock.warehouse"].browse(cls.warehouse_id).active = False

    def _env(self, cr):
        # Bind the transaction to the known registry: looking the registry up by name
        # would wait for the lock the test runner holds while loading modules.
        cr.transaction = Transaction(self.registry)
        return api.Environment(cr, api.SUPERUSER_ID, {})

    def _allocate(self, order_id, barrier=None, hold=0.0):
        """Allocate one order in a transaction of its own; True if it committed."""
        try:
            with self.registry.cursor() as cr:
                env = self._env(cr)
                order = env["sale.order"].browse(order_id)
                order.order_line.mapped("clarus_allocated_qty")  # snapshot taken here
                if barrier:
                    barrier.wait(timeout=10)
                env["clarus.allocation.engine"]._allocate_orders(order)
                env.flush_all()
                time.sleep(hold)  # keep the lock while the other run waits for it
            return True
        except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected):
            return False

    def _state(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            quants = env["stock.quant"].search([("product_id", "=", self.product_id)])
            moves = env["sale.order"].browse(self.order_ids).order_line.move_ids
            return (sum(quants.mapped("quantity")), sum(quants.mapped("reserved_quantity")),
                    [sum(moves.filtered(lambda m, o=o: m.sale_line_id.order_id.id == o)
                         .mapped("clarus_allocated_qty")) for o in self.order_ids])

    @mute_logger("odoo.sql_db")
    def test_two_runs_at_once_never_over_allocate(self):
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(self._allocate, order_id, barrier, 0.5)
                       for order_id in self.order_ids]
            committed = [f.result(timeout=60) for f in futures]

        on_hand, reserved, allocated = self._state()
        self.assertEqual(sorted(committed), [False, True],
                         "the runs overlapped: the one that waited was refused")
        self.assertLessEqual(reserved, on_hand)
        self.assertEqual(sum(allocated), reserved, "allocation is the reservation")
        self.assertEqual(sorted(allocated), [0.0, STOCK])

        # The run that lost is retried (as Odoo retries a request after a
        # serialisation failure) and finds nothing left to take.
        for order_id, ok in zip(self.order_ids, committed, strict=True):
            if not ok:
                self.assertTrue(self._allocate(order_id))
        on_hand, reserved, allocated = self._state()
        self.assertEqual(reserved, STOCK)
        self.assertEqual(sorted(allocated), [0.0, STOCK])
