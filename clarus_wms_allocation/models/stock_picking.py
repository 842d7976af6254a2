from collections import defaultdict

from odoo import api, fields, models
from odoo.fields import Command

from .sale_order_line import CHANGE_STATES


class StockPicking(models.Model):
    _inherit = "stock.picking"

    clarus_change_state = fields.Selection(
        CHANGE_STATES, string="Order Changed After Allocation", store=True,
        compute="_compute_clarus_change_state")
    clarus_carrier_service = fields.Char(
        string="Carrier Service", help="Service level printed on the label, e.g. 'Express'.")
    clarus_package_count = fields.Integer(
        string="Packages", compute="_compute_clarus_package_count",
        help="Distinct packages of this shipment (1 when nothing is packed).")
    clarus_shipment_label_ids = fields.One2many(
        "clarus.shipment.label", "picking_id", string="Label Data", readonly=True)
    clarus_invoice_ids = fields.Many2many(
        "account.move", "clarus_account_move_stock_picking_rel", "picking_id", "move_id",
        string="Billed By", readonly=True, copy=False)

    @api.depends("move_ids.sale_line_id.clarus_change_state", "state")
    def _compute_clarus_change_state(self):
        for picking in self:
            states = set(picking.move_ids.sale_line_id.mapped("clarus_change_state"))
            if picking.state in ("done", "cancel"):
                states = set()
            picking.clarus_change_state = (
                "attention" if "attention" in states else "adjusted" if "adjusted" in states
                else False)

    @api.depends("move_line_ids.result_package_id", "move_line_ids.quantity")
    def _compute_clarus_package_count(self):
        for picking in self:
            lines = picking.move_line_ids.filtered("quantity")
            packages = lines.result_package_id
            picking.clarus_package_count = len(packages) + (
                1 if lines.filtered(lambda ml: not ml.result_package_id) else 0)

    def _action_done(self):
        self.move_ids._clarus_check_picked_within_allocation()
        res = super()._action_done()
        shipped = self.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing" and p.sale_id)
        self.env["clarus.shipment.label"]._record_shipments(shipped)
        billable = self.filtered(lambda p: p.state == "done" and p.sale_id
                                 and p.company_id.clarus_ship_then_bill)
        billable.filtered(lambda p: p.picking_type_code == "outgoing")._clarus_bill_shipment()
        billable.filtered(lambda p: p.picking_type_code == "incoming")._clarus_credit_return()
        return res

    def write(self, vals):
        res = super().write(vals)
        if "carrier_tracking_ref" in vals and self.clarus_shipment_label_ids:
            self.clarus_shipment_label_ids._refresh_from_picking()
        return res

    # ---- ship-then-bill -------------------------------------------------------------

    def _clarus_quantities_by_sale_line(self, returned=False):
        """Done quantity per sale line, in the line's unit."""
        quantities = defaultdict(float)
        for move in self.move_ids.filtered(lambda m: m.state == "done" and m.sale_line_id):
            if bool(move.origin_returned_move_id) != returned:
                continue
            line = move.sale_line_id
            quantities[line] += move.product_uom._compute_quantity(
                move.quantity, line.product_uom_id)
        return quantities

    def _clarus_invoice_vals(self, quantities, move_type):
        order = self.sale_id
        vals = order._prepare_invoice()
        vals["move_type"] = move_type
        vals["clarus_picking_ids"] = [Command.set(self.ids)]
        vals["invoice_line_ids"] = [
            Command.create(line._prepare_invoice_line(quantity=qty))
            for line, qty in quantities.items()
        ]
        return vals

    def _clarus_post(self, quantities, move_type):
        if not quantities:
            return self.env["account.move"]
        moves = self.env["account.move"].sudo().with_company(self.company_id).create(
            self._clarus_invoice_vals(quantities, move_type))
        moves.action_post()
        self.message_post(body=self.env._("%(name)s posted for these quantities.",
                                           name=moves.name))
        return moves

    def _clarus_bill_shipment(self):
        """Invoice exactly what each delivery shipped, never more than is uninvoiced; the
        first shipment's invoice also carries the order's delivery charges and services."""
        for picking in self:
            quantities = {}
            for line, qty in picking._clarus_quantities_by_sale_line().items():
                uninvoiced = line.qty_delivered - line.qty_invoiced
                billable = min(qty, uninvoiced)
                if line.product_uom_id.compare(billable, 0) > 0:
                    quantities[line] = billable
            if quantities:
                quantities.update(picking.sale_id.order_line._clarus_unbilled_charges())
            picking._clarus_post(quantities, "out_invoice")

    def _clarus_credit_return(self):
        """Credit what came back, as far as it was billed and is no longer delivered."""
        for picking in self:
            quantities = {}
            for line, qty in picking._clarus_quantities_by_sale_line(returned=True).items():
                over_billed = line.qty_invoiced - line.qty_delivered
                credit = min(qty, over_billed)
                if line.product_uom_id.compare(credit, 0) > 0:
                    quantities[line] = credit
            picking._clarus_post(quantities, "out_refund")
