from odoo import fields, models
from odoo.exceptions import UserError

from clarus_allocation_planner import MODE_PARTIAL

from ..models.sale_order import MODES


class ClarusAllocationWizard(models.TransientModel):
    """Share free stock across many confirmed orders in one deterministic run."""

    _name = "clarus.allocation.wizard"
    _description = "Bulk Allocation"

    mode = fields.Selection(MODES, required=True, default=MODE_PARTIAL)
    warehouse_ids = fields.Many2many(
        "stock.warehouse", string="Warehouses",
        domain="[('clarus_allocation_required', '=', True)]",
        help="Leave empty for every warehouse that requires allocation.")
    partner_ids = fields.Many2many("res.partner", string="Customers")
    date_from = fields.Datetime("Ordered From")
    date_to = fields.Datetime("Ordered To")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    allocated_line_count = fields.Integer("Lines Fully Allocated", readonly=True)
    short_line_count = fields.Integer("Lines Short", readonly=True)
    allocated_quantity = fields.Float("Quantity Allocated", readonly=True)
    exception_order_ids = fields.Many2many(
        "sale.order", string="Orders in Exception", readonly=True)

    def action_run(self):
        self.ensure_one()
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise UserError(self.env._("'Ordered From' is after 'Ordered To'."))
        engine = self.env["clarus.allocation.engine"]
        moves = engine._bulk_moves(
            self.warehouse_ids, self.partner_ids, self.date_from, self.date_to)
        plan = engine._allocate_moves(moves, self.mode)
        short = [a for a in plan.allocations if a.shortfall > 0]
        self.write({
            "state": "done",
            "allocated_line_count": len(plan.allocations) - len(short),
            "short_line_count": len(short),
            "allocated_quantity": plan.total_allocated,
            "exception_order_ids": [fields.Command.set(plan.short_order_ids)],
        })
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
