from datetime import datetime

from odoo.fields import Command
from odoo.tests import TransactionCase


class AllocationCase(TransactionCase):
    """A warehouse that allocates before picking, two products, a customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.warehouse = cls._warehouse("Allocation WH", "ALW")
        cls.customer = cls.env["res.partner"].create({
            "name": "Allocation Customer", "street": "1 Dock Road", "city": "Leeds",
            "zip": "LS1 1AA",
        })
        cls.product_a = cls._product("Alloc Widget")
        cls.product_b = cls._product("Alloc Gadget")

    @classmethod
    def _warehouse(cls, name, code):
        return cls.env["stock.warehouse"].create({
            "name": name, "code": code, "clarus_allocation_required": True,
        })

    @classmethod
    def _product(cls, name):
        return cls.env["product.product"].create({
            "name": name, "is_storable": True, "type": "consu", "invoice_policy": "delivery",
            "list_price": 10.0, "weight": 0.5,
        })

    def _stock(self, product, quantity, warehouse=None):
        location = (warehouse or self.warehouse).lot_stock_id
        self.env["stock.quant"]._update_available_quantity(product, location, quantity)

    def _receive(self, product, quantity, warehouse=None):
        """Stock arriving the way people count it in: an applied inventory."""
        location = (warehouse or self.warehouse).lot_stock_id
        quant = self.env["stock.quant"]._gather(product, location)[:1]
        on_hand = quant.quantity if quant else 0.0
        self.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": product.id, "location_id": location.id,
            "inventory_quantity": on_hand + quantity,
        }).action_apply_inventory()

    def _validate_receipt(self, product, quantity, warehouse=None):
        """Stock arriving from a supplier: a receipt, validated."""
        warehouse = warehouse or self.warehouse
        picking = self.env["stock.picking"].create({
            "picking_type_id": warehouse.in_type_id.id,
            "location_id": self.env.ref("stock.stock_location_suppliers").id,
            "location_dest_id": warehouse.lot_stock_id.id,
            "move_ids": [Command.create({
                "product_id": product.id, "product_uom_qty": quantity,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": warehouse.lot_stock_id.id,
            })],
        })
        picking.action_confirm()
        picking.move_ids.write({"quantity": quantity, "picked": True})
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def _retry_short_lines(self):
        """What the retry job does once the receipt's transaction has committed."""
        self.env["clarus.allocation.engine"]._cron_retry_exceptions()

    def _order(self, lines, priority="0", warehouse=None, partner=None, date_order=None,
               commitment_date=None, confirm=True):
        order = self.env["sale.order"].create({
            "partner_id": (partner or self.customer).id,
            "warehouse_id": (warehouse or self.warehouse).id,
            "clarus_priority": priority,
            "date_order": date_order or datetime(2025, 1, 1),
            "commitment_date": commitment_date,
            "order_line": [
                Command.create({"product_id": product.id, "product_uom_qty": qty})
                for product, qty in lines
            ],
        })
        if confirm:
            order.action_confirm()
            if date_order:
                # Confirmation stamps today's date; keep the one the test is about.
                order.date_order = date_order
        return order

    def _line(self, order, product):
        return order.order_line.filtered(lambda ln: ln.product_id == product)

    def _moves(self, order, product=None):
        moves = order.order_line.move_ids.filtered(lambda m: m.picking_code == "outgoing")
        return moves.filtered(lambda m: m.product_id == product) if product else moves

    def _reserved(self, order, product):
        moves = self._moves(order, product).filtered(lambda m: m.state not in ("done", "cancel"))
        return sum(moves.mapped("quantity"))

    def _bulk(self, mode="partial", **filters):
        # Kept to this test's warehouses: the database may hold other open orders.
        filters.setdefault("warehouse_ids", [self.warehouse.id])
        wizard = self.env["clarus.allocation.wizard"].create({"mode": mode, **filters})
        wizard.action_run()
        return wizard

    def _ship(self, order):
        """Pick everything allocated and validate, leaving the rest as a backorder."""
        picking = order.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel") and p.picking_type_code == "outgoing")
        picking.move_ids.filtered("quantity").picked = True
        picking.with_context(skip_backorder=True).button_validate()
        return picking
