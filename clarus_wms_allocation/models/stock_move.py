from odoo import fields, models
from odoo.exceptions import UserError

from clarus_allocation_planner import ChainMove

from .clarus_allocation_engine import CTX_ALLOCATING, OPEN_MOVE_STATES


class StockMove(models.Model):
    _inherit = "stock.move"

    clarus_allocated_qty = fields.Float(
        string="Allocated",
        digits="Product Unit",
        copy=False,
        readonly=True,
        help="Quantity allocation reserved for this delivery move, in the product's unit. "
        "Only this much can be picked.",
    )

    def _clarus_takes_from_stock(self):
        """First move of a sale delivery: the one-step delivery, or the pick of a two- or
        three-step route (Stock -> Output or Packing Zone). Later steps are pushed from
        it when it is done and reserve what it brought."""
        self.ensure_one()
        picking_type = self.picking_type_id
        if picking_type.code == "outgoing":
            return True
        warehouse = picking_type.warehouse_id
        # Not the pick-type moves Odoo makes to put back what an order no longer needs
        # (Output -> Stock after the ordered quantity fell): they are Odoo's to reserve.
        return (picking_type == warehouse.pick_type_id
                and not self.origin_returned_move_id
                and self.location_id._child_of(warehouse.lot_stock_id))

    def _clarus_is_allocation_managed(self):
        """Move of a sale order that takes stock out of the stock location of a warehouse
        that reserves only by allocation."""
        self.ensure_one()
        return bool(
            self.sale_line_id
            and self.picking_type_id.warehouse_id.clarus_allocation_required
            and not self.move_orig_ids
            and self._clarus_takes_from_stock()
            and not self._should_bypass_reservation()
        )

    def _clarus_is_delivery_chain(self):
        """A managed move, or a later step (pack, ship) fed only by managed moves."""
        self.ensure_one()
        if not self.move_orig_ids:
            return self._clarus_is_allocation_managed()
        return bool(self.sale_line_id) and all(
            orig._clarus_is_delivery_chain() for orig in self.move_orig_ids)

    def _clarus_chain_step(self):
        """0 for the move that takes from stock, then 1 per step after it."""
        self.ensure_one()
        if not self.move_orig_ids:
            return 0
        return 1 + max(orig._clarus_chain_step() for orig in self.move_orig_ids)

    def _clarus_chain_move(self):
        """This delivery chain move as the plain facts the board stage is decided from."""
        self.ensure_one()
        step = self._clarus_chain_step()
        lines = self.move_line_ids
        return ChainMove(
            step=step,
            last=self.location_dest_usage == "customer",
            picked=self.picked,
            packaged=bool(lines.result_package_id or (step and lines.package_id)),
        )

    def _clarus_in_transit_product_qty(self):
        """What a later step of the chain holds (picked upstream, on its way), in the
        product's unit."""
        return sum(move._clarus_reserved_product_qty() for move in self)

    def _clarus_is_allocatable(self):
        self.ensure_one()
        return (
            self.state in OPEN_MOVE_STATES
            and not self.picked
            and self._clarus_is_allocation_managed()
        )

    def _action_assign(self, force_qty=False):
        """Managed deliveries are reserved by allocation only: 'Check Availability',
        reservation at confirmation and re-reservation after receipts leave them alone."""
        if self.env.context.get(CTX_ALLOCATING):
            return super()._action_assign(force_qty=force_qty)
        managed = self.filtered(lambda m: m._clarus_is_allocation_managed())
        return super(StockMove, self - managed)._action_assign(force_qty=force_qty)

    def _clarus_reserved_product_qty(self):
        self.ensure_one()
        return self.product_uom._compute_quantity(
            self.quantity, self.product_id.uom_id, rounding_method="HALF-UP")

    def _clarus_store_reserved_as_allocated(self):
        for move in self:
            reserved = move._clarus_reserved_product_qty()
            if move.product_id.uom_id.compare(reserved, move.clarus_allocated_qty):
                move.clarus_allocated_qty = reserved

    def _clarus_deallocate(self):
        open_moves = self.filtered(lambda m: m.state in OPEN_MOVE_STATES)
        picked = open_moves.filtered("picked")
        if picked:
            raise UserError(self.env._(
                "Picking has begun on %(moves)s: deallocate is no longer possible.",
                moves=", ".join(picked.mapped("reference") or picked.mapped("display_name"))))
        open_moves._do_unreserve()
        open_moves.filtered("clarus_allocated_qty").clarus_allocated_qty = 0.0

    def _clarus_resync_allocation(self):
        """After the demand changed, hold min(allocation, new demand) again.

        Odoo drops the whole reservation when the demand falls below it; this puts back
        what still fits. Returns the moves that now hold less than they need."""
        engine = self.env["clarus.allocation.engine"]
        moves = self.filtered(lambda m: m._clarus_is_allocatable())
        engine._lock_products(moves.product_id)
        targets = {m: min(m.clarus_allocated_qty, m.product_qty) for m in moves}
        drifted = moves.filtered(lambda m: m.product_id.uom_id.compare(
            m._clarus_reserved_product_qty(), targets[m]))
        drifted._do_unreserve()
        drifted.clarus_allocated_qty = 0.0
        engine._reserve({m: targets[m] for m in drifted})
        return moves.filtered(
            lambda m: m.product_id.uom_id.compare(m.clarus_allocated_qty, m.product_qty) < 0)

    def _clarus_check_picked_within_allocation(self):
        """Only allocated quantities leave a managed warehouse."""
        for move in self.filtered(lambda m: m._clarus_is_allocation_managed()):
            picked = move._clarus_reserved_product_qty()
            if move.product_id.uom_id.compare(picked, move.clarus_allocated_qty) > 0:
                raise UserError(self.env._(
                    "%(product)s on %(picking)s: %(picked)s picked but only %(allocated)s "
                    "allocated. Allocate more or reduce the picked quantity.",
                    product=move.product_id.display_name, picking=move.picking_id.name,
                    picked=picked, allocated=move.clarus_allocated_qty))

    def _trigger_assign(self):
        res = super()._trigger_assign()
        incoming = self.filtered(
            lambda m: m.state == "done" and m.location_dest_usage == "internal")
        if incoming:
            self.env["clarus.allocation.engine"]._trigger_retry(incoming.product_id)
        return res
