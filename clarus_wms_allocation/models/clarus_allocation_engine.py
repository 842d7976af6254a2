"""Glue between sale order lines, the plain-Python planner and Odoo's reservation.

Data flow: pick the open delivery moves -> lock their products -> read free stock ->
plan (``clarus_allocation_planner``) -> reserve through ``stock.move._action_assign``
-> record what each line got and what it still lacks.

Allocation *is* the reservation of an allocation-managed move: the one that takes stock
out of the stock location (the delivery in one step, the pick in two or three steps). The
stored ``stock.move.clarus_allocated_qty`` is the quantity allocation gave it (product
unit), so picking can be checked against it. Later steps (pack, ship) are pushed from the
pick when it is done and reserve only what it brought.
"""

from odoo import api, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from clarus_allocation_planner import (
    MODE_PARTIAL,
    AllocationInputError,
    DemandLine,
    check_requested_quantity,
    plan_allocation,
)

#: Context key under which managed moves may be reserved; set only by this engine.
CTX_ALLOCATING = "clarus_allocating"
#: First key of the advisory locks taken per product (ASCII "CL").
LOCK_NAMESPACE = 0x434C
OPEN_MOVE_STATES = ("confirmed", "waiting", "partially_available", "assigned")


class ClarusAllocationEngine(models.AbstractModel):
    _name = "clarus.allocation.engine"
    _description = "Stock Allocation Engine"

    # ---- selecting and locking -------------------------------------------------------

    @api.model
    def _managed_moves_domain(self):
        """Open sale moves that take stock out of the stock location of an allocating
        warehouse: one-step deliveries, and the picks of two- and three-step routes."""
        pick_types = self.env["stock.warehouse"].sudo().with_context(active_test=False).search(
            [("clarus_allocation_required", "=", True)]).pick_type_id
        return Domain([
            ("sale_line_id", "!=", False),
            ("picking_type_id.warehouse_id.clarus_allocation_required", "=", True),
            ("move_orig_ids", "=", False),
            ("state", "in", OPEN_MOVE_STATES),
            ("picked", "=", False),
        ]) & (Domain("picking_type_id.code", "=", "outgoing")
              | Domain("picking_type_id", "in", pick_types.ids))

    @api.model
    def _lock_products(self, products):
        """Serialise allocation per product; locks are taken in id order so two runs
        over overlapping products cannot deadlock. A run that waited here and then
        meets rows changed by the other run fails with a serialisation error and is
        retried by Odoo: it never reserves stock someone else already holds."""
        if not products:
            return
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(%s, ordered.pid) "
            "FROM (SELECT unnest(%s::int[]) AS pid ORDER BY 1) AS ordered",
            [LOCK_NAMESPACE, sorted(products.ids)],
        )

    @api.model
    def _free_quantities(self, moves):
        """Free quantity (on hand minus reserved) per (product id, source location id)."""
        free = {}
        for location, loc_moves in moves.grouped("location_id").items():
            groups = self.env["stock.quant"]._read_group(
                [("product_id", "in", loc_moves.product_id.ids),
                 ("location_id", "child_of", location.id)],
                ["product_id"], ["quantity:sum", "reserved_quantity:sum"],
            )
            for product, quantity, reserved in groups:
                free[product.id, location.id] = quantity - reserved
        return free

    # ---- planning --------------------------------------------------------------------

    @api.model
    def _demand_lines(self, moves):
        """One planner demand per move: what it still lacks, in the product's unit."""
        demands = []
        for move in moves:
            order = move.sale_line_id.order_id
            wanted = move.product_qty - move.clarus_allocated_qty
            if move.product_id.uom_id.compare(wanted, 0) <= 0:
                continue
            demands.append(DemandLine(
                order_id=order.id,
                line_id=move.id,
                product_id=move.product_id.id,
                location_id=move.location_id.id,
                quantity=wanted,
                priority=int(order.clarus_priority or 0),
                commitment_date=order.commitment_date or None,
                order_date=order.date_order or None,
            ))
        return demands

    @api.model
    def _allocate_moves(self, moves, mode=MODE_PARTIAL):
        """Plan and reserve for ``moves``; returns the plan (allocations per move id)."""
        moves = moves.filtered(lambda m: m._clarus_is_allocatable())
        self._lock_products(moves.product_id)
        demands = self._demand_lines(moves)
        plan = plan_allocation(demands, self._free_quantities(moves), mode)
        Move = self.env["stock.move"]
        self._reserve({Move.browse(a.line_id): a.allocated for a in plan.allocations})
        lines = moves.sale_line_id
        lines._clarus_record_outcome()
        lines.order_id.clarus_allocation_mode = mode
        return plan

    @api.model
    def _reserve(self, quantities):
        """Reserve ``{move: quantity in product unit}`` through Odoo's own reservation,
        then record what each move really holds."""
        Move = self.env["stock.move"].with_context(**{CTX_ALLOCATING: True})
        whole, partial = Move, []
        touched = Move
        for move, quantity in quantities.items():
            rounding = move.product_id.uom_id
            if rounding.compare(quantity, 0) <= 0:
                continue
            touched |= move
            if rounding.compare(move.clarus_allocated_qty + quantity, move.product_qty) >= 0:
                whole |= move
            else:
                partial.append((move, quantity))
        whole._action_assign()
        for move, quantity in partial:
            uom_qty = move.product_id.uom_id._compute_quantity(quantity, move.product_uom)
            move.with_context(**{CTX_ALLOCATING: True})._action_assign(force_qty=uom_qty)
        Move.browse([m.id for m, _q in partial])._recompute_state()
        touched._clarus_store_reserved_as_allocated()

    # ---- entry points ----------------------------------------------------------------

    @api.model
    def _allocate_orders(self, orders, mode=MODE_PARTIAL):
        moves = orders.order_line.move_ids.filtered_domain(self._managed_moves_domain())
        return self._allocate_moves(moves, mode)

    @api.model
    def _set_line_allocation(self, line, quantity):
        """Make ``line`` hold exactly ``quantity`` (in the line's unit), or change nothing."""
        moves = line._clarus_open_moves()
        if not moves:
            raise UserError(line._clarus_no_move_message())
        if moves.filtered("picked"):
            raise UserError(self.env._(
                "Picking of %(line)s has begun: its allocation can no longer change.",
                line=line.display_name))
        try:
            target = check_requested_quantity(quantity, line.clarus_open_qty)
        except AllocationInputError as err:
            raise UserError(self.env._(
                "%(line)s: %(reason)s", line=line.display_name, reason=str(err)))
        # In a multi-step route, what was already picked stays with the line.
        in_transit = line._clarus_in_transit_qty()
        if line.product_uom_id.compare(target, in_transit) < 0:
            raise UserError(self.env._(
                "%(line)s: %(picked)s %(uom)s are already picked and on their way; the "
                "allocation cannot go below that.", line=line.display_name,
                picked=in_transit, uom=line.product_uom_id.name))
        with self.env.cr.savepoint():
            self._lock_products(moves.product_id)
            moves._clarus_deallocate()
            self._reserve(self._spread(moves, line.product_uom_id._compute_quantity(
                target - in_transit, line.product_id.uom_id)))
            if line.product_uom_id.compare(line.clarus_allocated_qty, target) < 0:
                raise UserError(self.env._(
                    "Only %(free)s %(uom)s of %(product)s can be allocated to %(order)s, "
                    "not %(wanted)s. Nothing was changed.",
                    free=line.clarus_allocated_qty, uom=line.product_uom_id.name,
                    product=line.product_id.display_name, order=line.order_id.name,
                    wanted=target))
        line._clarus_record_outcome()

    @api.model
    def _spread(self, moves, quantity):
        """Share ``quantity`` (product unit) over ``moves`` in id order."""
        wanted = {}
        for move in moves.sorted("id"):
            wanted[move] = min(quantity, move.product_qty)
            quantity -= wanted[move]
        return wanted

    @api.model
    def _exception_lines_domain(self, products=None):
        domain = Domain([("clarus_exception", "=", True), ("state", "=", "sale")])
        if products is not None:
            domain &= Domain("product_id", "in", products.ids)
        return domain

    @api.model
    def _retry_exceptions(self, products=None):
        """Try again the lines that were short (of ``products``, or of anything)."""
        lines = self.env["sale.order.line"].search(self._exception_lines_domain(products))
        by_mode = lines.grouped(lambda ln: ln.order_id.clarus_allocation_mode)
        for mode, mode_lines in by_mode.items():
            moves = mode_lines.order_id.order_line.move_ids.filtered_domain(
                self._managed_moves_domain())
            self._allocate_moves(moves, mode or MODE_PARTIAL)

    @api.model
    def _bulk_moves(self, warehouses=None, partners=None, date_from=None, date_to=None):
        domain = self._managed_moves_domain() & Domain("state", "!=", "assigned")
        if warehouses:
            domain &= Domain("picking_type_id.warehouse_id", "in", warehouses.ids)
        if partners:
            domain &= Domain("sale_line_id.order_id.partner_id", "child_of", partners.ids)
        if date_from:
            domain &= Domain("sale_line_id.order_id.date_order", ">=", date_from)
        if date_to:
            domain &= Domain("sale_line_id.order_id.date_order", "<=", date_to)
        return self.env["stock.move"].search(domain, order="id")

    @api.model
    def _trigger_retry(self, products):
        """Stock of ``products`` arrived: retry the lines short of it after this
        transaction, in the retry job's own, so that a receipt never waits for (or fails
        because of) an allocation run."""
        if self.env["sale.order.line"].search_count(
                self._exception_lines_domain(products), limit=1):
            self.env.ref("clarus_wms_allocation.clarus_allocation_retry_cron")._trigger()

    @api.model
    def _cron_retry_exceptions(self):
        """Scheduled retry of the lines left short, run soon after stock arrives."""
        self._retry_exceptions()
        if self.env.context.get("cron_id"):
            # One pass over the short lines is one unit of work.
            self.env["ir.cron"]._commit_progress(1, remaining=0)

    @api.model
    def _cron_allocate(self):
        """Scheduled bulk allocation over every open managed delivery, partial mode
        unless ``clarus_wms_allocation.cron_mode`` says otherwise."""
        mode = self.env["ir.config_parameter"].sudo().get_param(
            "clarus_wms_allocation.cron_mode", MODE_PARTIAL)
        moves = self._bulk_moves()
        plan = self._allocate_moves(moves, mode)
        if self.env.context.get("cron_id"):
            # One planning pass is one unit of work: record it as done in one commit.
            self.env["ir.cron"]._commit_progress(len(plan.allocations), remaining=0)
        return plan
