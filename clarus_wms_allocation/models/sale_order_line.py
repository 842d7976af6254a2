from odoo import api, fields, models

from .clarus_allocation_engine import OPEN_MOVE_STATES

CHANGE_STATES = [("adjusted", "Changed, Allocation Adjusted"), ("attention", "Needs Attention")]


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    clarus_open_qty = fields.Float(
        string="Open to Deliver", digits="Product Unit", store=True,
        compute="_compute_clarus_allocation",
        help="Quantity on open delivery moves of this line, in the line's unit.")
    clarus_allocated_qty = fields.Float(
        string="Allocated", digits="Product Unit", store=True,
        compute="_compute_clarus_allocation", readonly=False,
        help="Quantity reserved for this line by allocation. Set it to allocate exactly "
        "that much, or 0 to release it.")
    clarus_unallocated_qty = fields.Float(
        string="Not Allocated", digits="Product Unit", store=True,
        compute="_compute_clarus_allocation")
    clarus_shortfall_qty = fields.Float(
        string="Shortfall", digits="Product Unit", readonly=True, copy=False,
        help="What the last allocation attempt could not cover.")
    clarus_exception = fields.Boolean(
        string="Allocation Exception", store=True, compute="_compute_clarus_exception",
        help="The last allocation attempt left this line short; cleared when it succeeds.")
    clarus_change_state = fields.Selection(
        CHANGE_STATES, string="Changed After Allocation", readonly=True, copy=False)

    # Few lines are short at a time; receipts and the retry job look them up by product.
    _clarus_exception_idx = models.Index("(product_id) WHERE clarus_exception IS TRUE")

    @api.depends("move_ids.clarus_allocated_qty", "move_ids.product_qty", "move_ids.state",
                 "move_ids.picking_type_id", "move_ids.quantity", "move_ids.move_orig_ids",
                 "product_uom_id")
    def _compute_clarus_allocation(self):
        """Open: what the line's open deliveries still carry, every step counted once
        (a unit is on the pick, the pack or the ship move, never on two). Allocated:
        what allocation holds on the first moves plus what later steps hold, picked and
        on its way to the customer."""
        for line in self:
            chain = line._clarus_chain_moves()
            first = chain.filtered(lambda m: m._clarus_is_allocation_managed())
            to_line_uom = line.product_id.uom_id._compute_quantity
            open_qty = to_line_uom(sum(chain.mapped("product_qty")), line.product_uom_id)
            allocated = to_line_uom(
                sum(first.mapped("clarus_allocated_qty"))
                + (chain - first)._clarus_in_transit_product_qty(), line.product_uom_id)
            line.clarus_open_qty = open_qty
            line.clarus_allocated_qty = allocated
            line.clarus_unallocated_qty = max(open_qty - allocated, 0.0)

    @api.depends("clarus_shortfall_qty", "clarus_unallocated_qty")
    def _compute_clarus_exception(self):
        for line in self:
            uom = line.product_uom_id
            line.clarus_exception = bool(
                uom and uom.compare(line.clarus_shortfall_qty, 0) > 0
                and uom.compare(line.clarus_unallocated_qty, 0) > 0)

    def _clarus_open_moves(self, include_picked=False):
        """Open moves that take this line's stock out of the stock location: the ones
        allocation reserves on."""
        self.ensure_one()
        return self.move_ids.filtered(
            lambda m: m.state in OPEN_MOVE_STATES
            and (include_picked or not m.picked)
            and m._clarus_is_allocation_managed())

    def _clarus_chain_moves(self):
        """Open moves of the line's delivery chains in an allocating warehouse: the
        first moves and the later steps (pack, ship) they feed."""
        return self.move_ids.filtered(
            lambda m: m.state in OPEN_MOVE_STATES and m._clarus_is_delivery_chain())

    def _clarus_in_transit_qty(self):
        """Quantity picked and on its way (held by later steps), in the line's unit."""
        self.ensure_one()
        chain = self._clarus_chain_moves().filtered("move_orig_ids")
        return self.product_id.uom_id._compute_quantity(
            chain._clarus_in_transit_product_qty(), self.product_uom_id)

    def _clarus_no_move_message(self):
        return self.env._(
            "%(line)s has no open delivery from a warehouse that allocates stock. Check the "
            "product's routes and the warehouse's 'Allocation Required Before Picking'.",
            line=self.display_name)

    def _clarus_unbilled_charges(self):
        """Delivery charges and services not invoiced yet, by line: they travel with the
        next shipment's invoice (so the first one), and are never billed twice.

        A delivery charge goes in full. A service goes as Odoo would invoice it: in full
        when invoiced on ordered quantities, as far as delivered when invoiced on
        delivered quantities (a service billed ahead of its delivery would leave the
        order with a negative quantity to invoice)."""
        charges = {}
        for line in self:
            if line.display_type or line.is_downpayment:
                continue
            if line.is_delivery:
                quantity = line.product_uom_qty - line.qty_invoiced
            elif line.product_id.type == "service":
                quantity = line.qty_to_invoice
            else:
                continue
            if line.product_uom_id.compare(quantity, 0) > 0:
                charges[line] = quantity
        return charges

    def _clarus_record_outcome(self):
        """Remember what each line still lacks after an allocation attempt."""
        for line in self:
            shortfall = line.clarus_unallocated_qty
            vals = {}
            if line.product_uom_id.compare(shortfall, line.clarus_shortfall_qty):
                vals["clarus_shortfall_qty"] = shortfall
            if line.clarus_change_state and not line.product_uom_id.compare(shortfall, 0):
                vals["clarus_change_state"] = False
            if vals:
                line.write(vals)

    def write(self, vals):
        if "clarus_allocated_qty" in vals:
            # Setting the allocated quantity allocates it, through the engine.
            vals = dict(vals)
            requested = vals.pop("clarus_allocated_qty")
            res = super().write(vals) if vals else True
            for line in self:
                self.env["clarus.allocation.engine"]._set_line_allocation(line, requested)
            return res
        if "product_uom_qty" not in vals:
            return super().write(vals)
        allocated = self.filtered(lambda ln: ln.state == "sale" and ln.clarus_allocated_qty)
        before = {line: line.product_uom_qty for line in allocated}
        res = super().write(vals)
        for line in allocated:
            if line.product_uom_id.compare(before[line], line.product_uom_qty):
                line._clarus_follow_quantity_change(before[line])
        return res

    def _clarus_follow_quantity_change(self, old_qty):
        """The ordered quantity changed after allocation: adjust, or flag for attention.

        Attention when the line is not fully allocated any more, or when its open
        deliveries no longer add up to what is ordered (Odoo may answer a decrease with
        a separate return instead of a smaller delivery)."""
        short = self.move_ids._clarus_resync_allocation()
        expected_open = self.product_uom_qty - self.qty_delivered
        mismatch = self.product_uom_id.compare(self.clarus_open_qty, expected_open)
        self.clarus_change_state = "attention" if short or mismatch else "adjusted"
        message = self.env._(
            "%(product)s changed from %(old)s to %(new)s after allocation: %(open)s on open "
            "deliveries, %(allocated)s allocated, %(missing)s still to allocate.",
            product=self.product_id.display_name, old=old_qty, new=self.product_uom_qty,
            open=self.clarus_open_qty, allocated=self.clarus_allocated_qty,
            missing=self.clarus_unallocated_qty)
        for picking in self._clarus_chain_moves().picking_id:
            picking.message_post(body=message)
        self.order_id.message_post(body=message)
