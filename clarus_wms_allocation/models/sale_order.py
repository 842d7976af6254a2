from odoo import api, fields, models
from odoo.exceptions import UserError

from clarus_allocation_planner import (
    MODE_ALL_OR_NOTHING,
    MODE_PARTIAL,
    OrderFacts,
    chain_progress,
    fulfilment_stage,
)

from .clarus_allocation_engine import OPEN_MOVE_STATES
from .sale_order_line import CHANGE_STATES

PRIORITIES = [("0", "Normal"), ("1", "High"), ("2", "Urgent"), ("3", "Critical")]
STAGES = [
    ("to_allocate", "To Allocate"),
    ("allocated", "Allocated"),
    ("picking", "Picking"),
    ("packed", "Packed"),
    ("shipped", "Shipped"),
    ("exception", "Exception"),
]
MODES = [(MODE_PARTIAL, "Partial per Line"), (MODE_ALL_OR_NOTHING, "All or Nothing per Order")]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    clarus_priority = fields.Selection(
        PRIORITIES, string="Allocation Priority", default="0", required=True, index=True,
        help="Higher priority orders get scarce stock first; then commitment date, order "
        "date and order number decide.")
    clarus_allocation_mode = fields.Selection(
        MODES, string="Last Allocation Mode", readonly=True, copy=False,
        help="How this order was last allocated; retries after receipts use the same.")
    clarus_fulfilment_stage = fields.Selection(
        STAGES, string="Fulfilment Stage", store=True, index=True,
        compute="_compute_clarus_fulfilment_stage", group_expand=True)
    clarus_change_state = fields.Selection(
        CHANGE_STATES, string="Changed After Allocation", store=True,
        compute="_compute_clarus_change_state")

    @api.depends(
        "state", "order_line.clarus_open_qty", "order_line.clarus_allocated_qty",
        "order_line.clarus_exception", "order_line.qty_delivered",
        "order_line.move_ids.state", "order_line.move_ids.picked",
        "order_line.move_ids.move_orig_ids",
        "order_line.move_ids.move_line_ids.result_package_id",
        "order_line.move_ids.move_line_ids.package_id")
    def _compute_clarus_fulfilment_stage(self):
        for order in self:
            if order.state != "sale":
                order.clarus_fulfilment_stage = False
                continue
            order.clarus_fulfilment_stage = fulfilment_stage(order._clarus_order_facts())

    def _clarus_order_facts(self):
        lines = self.order_line.filtered(lambda ln: not ln.display_type)
        picked, packed = chain_progress(
            move._clarus_chain_move() for move in lines._clarus_chain_moves())
        return OrderFacts(
            open_quantity=sum(lines.mapped("clarus_open_qty")),
            allocated_quantity=sum(lines.mapped("clarus_allocated_qty")),
            shipped_quantity=sum(lines.mapped("qty_delivered")),
            has_shortfall=any(lines.mapped("clarus_exception")),
            picked=picked,
            packed=packed,
        )

    @api.depends("order_line.clarus_change_state")
    def _compute_clarus_change_state(self):
        for order in self:
            states = set(order.order_line.mapped("clarus_change_state"))
            order.clarus_change_state = (
                "attention" if "attention" in states else "adjusted" if "adjusted" in states
                else False)

    def _clarus_check_allocatable(self):
        for order in self:
            if order.state != "sale":
                raise UserError(self.env._(
                    "%(order)s is not a confirmed sale order.", order=order.name))
            lines = order.order_line.filtered(lambda ln: ln.product_id.is_storable)
            missing = lines.filtered(lambda ln: not ln._clarus_chain_moves())
            undelivered = missing.filtered(
                lambda ln: ln.product_uom_id.compare(ln.qty_delivered, ln.product_uom_qty) < 0)
            if undelivered:
                raise UserError(undelivered[0]._clarus_no_move_message())

    def action_clarus_allocate(self):
        """Allocate what is free to these orders, line by line; short lines become
        exceptions. Refused, changing nothing, when nothing at all can be allocated."""
        self._clarus_check_allocatable()
        engine = self.env["clarus.allocation.engine"]
        with self.env.cr.savepoint():
            plan = engine._allocate_orders(self, MODE_PARTIAL)
            if plan.allocations and not plan.total_allocated:
                products = ", ".join(sorted(set(
                    self.order_line.filtered("clarus_exception").product_id.mapped(
                        "display_name"))))
                raise UserError(self.env._(
                    "No stock is free for %(orders)s (%(products)s). Nothing was allocated.",
                    orders=", ".join(self.mapped("name")), products=products))
        return True

    def action_clarus_deallocate(self):
        """Release every allocation of these orders (before picking begins)."""
        self._clarus_check_allocatable()
        moves = self.order_line.move_ids.filtered(
            lambda m: m.state in OPEN_MOVE_STATES and m._clarus_is_allocation_managed())
        if not moves:
            in_transit = self.order_line._clarus_chain_moves()
            if in_transit:
                raise UserError(self.env._(
                    "Everything allocated to %(orders)s is already picked (%(pickings)s): "
                    "there is nothing left to deallocate.",
                    orders=", ".join(self.mapped("name")),
                    pickings=", ".join(in_transit.picking_id.mapped("name"))))
        moves._clarus_deallocate()
        self.order_line.filtered("clarus_shortfall_qty").clarus_shortfall_qty = 0.0
        return True
