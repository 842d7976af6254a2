from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

# Moves a lead may make by dragging a card, and what each one does.
BOARD_DROPS = {
    ("to_allocate", "allocated"): "action_clarus_allocate",
    ("exception", "allocated"): "action_clarus_allocate",
    ("allocated", "to_allocate"): "action_clarus_deallocate",
    ("exception", "to_allocate"): "action_clarus_deallocate",
}


class SaleOrder(models.Model):
    _inherit = "sale.order"  # pylint: disable=consider-merging-classes-inherited

    # The board groups by the stage; a card dropped in another column writes it, and
    # write() turns that into an allocation, a deallocation or a refusal with its reason.
    clarus_fulfilment_stage = fields.Selection(readonly=False)

    clarus_board_ordered_qty = fields.Float(
        string="Ordered Quantity", digits="Product Unit", store=True,
        compute="_compute_clarus_board_stored_qty", aggregator="sum",
        help="Ordered quantity of the goods of this order (services excluded), in the "
        "lines' units.")
    clarus_board_allocated_qty = fields.Float(
        string="Allocated Quantity", digits="Product Unit", store=True,
        compute="_compute_clarus_board_stored_qty", aggregator="sum",
        help="Quantity reserved for this order by allocation on its open deliveries.")
    clarus_board_short_qty = fields.Float(
        string="Shortage", digits="Product Unit", store=True,
        compute="_compute_clarus_board_stored_qty", aggregator="sum",
        help="What the short lines still lack after the last allocation attempt.")
    clarus_board_picked_qty = fields.Float(
        string="Picked Quantity", digits="Product Unit",
        compute="_compute_clarus_board_progress",
        help="Quantity taken off the shelves: picked, or already gone further.")
    clarus_board_shipped_qty = fields.Float(
        string="Shipped Quantity", digits="Product Unit",
        compute="_compute_clarus_board_progress")
    clarus_board_late = fields.Boolean(
        string="Late", compute="_compute_clarus_board_lateness",
        search="_search_clarus_board_late",
        help="The commitment date has passed and the order is not shipped.")
    clarus_board_due_today = fields.Boolean(
        string="Due Today", compute="_compute_clarus_board_lateness",
        search="_search_clarus_board_due_today",
        help="The commitment date falls today.")

    @api.depends(
        "order_line.display_type", "order_line.product_id.is_storable",
        "order_line.product_uom_qty", "order_line.clarus_allocated_qty",
        "order_line.clarus_exception", "order_line.clarus_unallocated_qty")
    def _compute_clarus_board_stored_qty(self):
        for order in self:
            goods = order._clarus_board_goods_lines()
            order.clarus_board_ordered_qty = sum(goods.mapped("product_uom_qty"))
            order.clarus_board_allocated_qty = sum(goods.mapped("clarus_allocated_qty"))
            order.clarus_board_short_qty = sum(
                goods.filtered("clarus_exception").mapped("clarus_unallocated_qty"))

    @api.depends(
        "order_line.qty_delivered", "order_line.move_ids.picked",
        "order_line.move_ids.quantity", "order_line.move_ids.state")
    def _compute_clarus_board_progress(self):
        for order in self:
            picked = shipped = 0.0
            for line in order._clarus_board_goods_lines():
                shipped += line.qty_delivered
                picked += max(order._clarus_board_line_picked(line), line.qty_delivered)
            order.clarus_board_picked_qty = picked
            order.clarus_board_shipped_qty = shipped

    @api.depends("commitment_date", "clarus_fulfilment_stage", "state")
    def _compute_clarus_board_lateness(self):
        now = fields.Datetime.now()
        start, end = self._clarus_board_today()
        for order in self:
            committed = order.commitment_date
            order.clarus_board_late = bool(
                committed and committed < now and order.state == "sale"
                and order.clarus_fulfilment_stage != "shipped")
            order.clarus_board_due_today = bool(committed and start <= committed < end)

    def _search_clarus_board_late(self, operator, value):
        return self._clarus_board_boolean_search(operator, value, Domain([
            ("state", "=", "sale"),
            ("commitment_date", "<", fields.Datetime.now()),
            ("clarus_fulfilment_stage", "!=", "shipped"),
        ]))

    def _search_clarus_board_due_today(self, operator, value):
        start, end = self._clarus_board_today()
        return self._clarus_board_boolean_search(operator, value, Domain([
            ("commitment_date", ">=", start), ("commitment_date", "<", end),
        ]))

    @api.model
    def _clarus_board_boolean_search(self, operator, value, domain):
        if operator not in ("in", "not in"):
            return NotImplemented
        wanted = {bool(v) for v in value}
        if operator == "not in":
            wanted = {True, False} - wanted
        if wanted == {True, False}:
            return Domain.TRUE
        if not wanted:
            return Domain.FALSE
        return domain if True in wanted else ~domain

    @api.model
    def _clarus_board_today(self):
        """Today in the user's time zone, as naive UTC datetimes [start, end)."""
        tz = self.env.tz
        local_today = datetime.now(tz).date()
        return tuple(
            tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc)
            .replace(tzinfo=None)
            for day in (local_today, local_today + timedelta(days=1)))

    def _clarus_board_goods_lines(self):
        self.ensure_one()
        return self.order_line.filtered(
            lambda ln: not ln.display_type and ln.product_id.is_storable)

    def _clarus_board_line_picked(self, line):
        """What left the shelves for this line: quantities of the moves that take stock
        out of the warehouse's stock location (the first step of any route), done or
        marked picked. Returns coming back are not counted."""
        stock = self.warehouse_id.lot_stock_id
        picked = 0.0
        for move in line.move_ids:
            if (move.state == "cancel" or move.origin_returned_move_id
                    or move.picking_code == "incoming"
                    or not stock or not move.location_id._child_of(stock)):
                continue
            if move.state == "done" or move.picked:
                picked += move.product_uom._compute_quantity(
                    move.quantity, line.product_uom_id)
        return picked

    # ---- actions on the card ------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # The stage follows the order's deliveries; a value given at creation (an import,
        # a copy of a board's record) would stick until they change.
        for vals in vals_list:
            vals.pop("clarus_fulfilment_stage", None)
        return super().create(vals_list)

    def write(self, vals):
        if "clarus_fulfilment_stage" not in vals:
            return super().write(vals)
        vals = dict(vals)
        target = vals.pop("clarus_fulfilment_stage")
        self.check_access("write")
        res = super().write(vals) if vals else True
        for order in self:
            order._clarus_board_drop(target)
        return res

    def _clarus_board_drop(self, target):
        """A card dropped in the `target` column: allocate, deallocate, or refuse."""
        self.ensure_one()
        source = self.clarus_fulfilment_stage
        if source == target:
            return
        method = BOARD_DROPS.get((source, target))
        if method:
            getattr(self, method)()
            return
        raise UserError(self._clarus_board_refusal(source, target))

    def _clarus_board_refusal(self, source, target):
        order = self.name
        if not source:
            return self.env._("%(order)s is not a confirmed sale order.", order=order)
        reasons = {
            "picking": self.env._(
                "Picking starts in the transfer: open the picking of %(order)s and pick "
                "its goods in Odoo.", order=order),
            "packed": self.env._(
                "Packed comes from putting the picked goods of %(order)s in a package in "
                "its transfer in Odoo.", order=order),
            "shipped": self.env._(
                "Shipped comes from validating the delivery of %(order)s in Odoo.",
                order=order),
            "exception": self.env._(
                "Exception comes from an allocation that finds too little stock for "
                "%(order)s; it is not set by hand.", order=order),
        }
        if target in reasons:
            return reasons[target]
        stage = dict(self._fields["clarus_fulfilment_stage"]._description_selection(
            self.env))[source]
        return self.env._(
            "%(order)s is at %(stage)s: allocation changes only before picking begins. "
            "Undo the work in its transfer in Odoo first.", order=order, stage=stage)

    def _clarus_board_open_pickings(self):
        """The transfers of these orders that can be worked on now: open, not returns,
        and ready, or at least not waiting for an earlier step of the chain (a delivery
        waiting for allocation is where the goods will be picked)."""
        pickings = self.picking_ids.filtered(
            lambda p: p.state not in ("draft", "done", "cancel")
            and p.picking_type_code != "incoming")
        return pickings.filtered(
            lambda p: p.state == "assigned" or not p.move_ids.move_orig_ids.filtered(
                lambda m: m.state not in ("done", "cancel")))

    def action_clarus_board_open_picking(self):
        self.ensure_one()
        pickings = self._clarus_board_open_pickings()
        if not pickings:
            raise UserError(self.env._(
                "%(order)s has no open transfer to work on.", order=self.name))
        action = self.env["ir.actions.actions"]._for_xml_id("stock.action_picking_tree_all")
        action["context"] = {"create": False}
        if len(pickings) == 1:
            action.update({
                "views": [(self.env.ref("stock.view_picking_form").id, "form")],
                "view_mode": "form",
                "res_id": pickings.id,
            })
        else:
            action["domain"] = [("id", "in", pickings.ids)]
        return action

    def action_clarus_board_print_label(self):
        labels = self.env["clarus.shipment.label"].search(
            [("sale_id", "in", self.ids)], order="id")
        if not labels:
            raise UserError(self.env._(
                "%(orders)s has no shipped delivery yet: its label is kept when the "
                "delivery is validated.", orders=", ".join(self.mapped("name"))))
        return self.env.ref(
            "clarus_wms_allocation.clarus_shipment_label_report_label",
        ).report_action(labels, config=False)

