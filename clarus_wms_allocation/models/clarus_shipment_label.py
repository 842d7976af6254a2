from odoo import api, fields, models
from odoo.fields import Command


class ClarusShipmentLabel(models.Model):
    """What a shipment's label and packing slip are printed from, kept at validation."""

    _name = "clarus.shipment.label"
    _description = "Shipment Label Data"
    _order = "id desc"

    picking_id = fields.Many2one(
        "stock.picking", string="Shipment", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="picking_id.company_id", store=True)
    sale_id = fields.Many2one("sale.order", string="Sale Order", readonly=True)
    order_reference = fields.Char(readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", readonly=True)
    carrier_service = fields.Char(readonly=True)
    tracking_reference = fields.Char(readonly=True)
    package_count = fields.Integer(readonly=True)
    weight = fields.Float(digits="Stock Weight", readonly=True)
    weight_uom_name = fields.Char(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Ship To", readonly=True)
    ship_to_address = fields.Text(readonly=True)
    date_shipped = fields.Datetime(readonly=True)
    line_ids = fields.One2many(
        "clarus.shipment.label.line", "label_id", string="Lines", readonly=True)

    _picking_uniq = models.UniqueIndex("(picking_id)")

    @api.depends("picking_id.name")
    def _compute_display_name(self):
        for label in self:
            label.display_name = label.picking_id.name

    @api.model
    def _header_vals(self, picking):
        partner = picking.partner_id
        return {
            "sale_id": picking.sale_id.id,
            "order_reference": picking.sale_id.client_order_ref or picking.sale_id.name
            or picking.origin,
            "carrier_id": picking.carrier_id.id,
            "carrier_service": picking.clarus_carrier_service or picking.carrier_id.name,
            "tracking_reference": picking.carrier_tracking_ref,
            "package_count": picking.clarus_package_count,
            "weight": picking.shipping_weight or picking.weight,
            "weight_uom_name": picking.weight_uom_name,
            "partner_id": partner.id,
            "ship_to_address": partner._display_address(without_company=False) if partner
            else False,
            "date_shipped": picking.date_done,
        }

    @api.model
    def _line_vals(self, picking):
        moves = picking.move_ids.filtered(
            lambda m: m.state == "done" and m.product_uom.compare(m.quantity, 0) > 0)
        return [Command.create({
            "sale_line_id": move.sale_line_id.id,
            "product_id": move.product_id.id,
            "description": move.description_picking or move.product_id.display_name,
            "quantity": move.quantity,
            "uom_id": move.product_uom.id,
        }) for move in moves.sorted(lambda m: (m.sale_line_id.sequence, m.id))]

    @api.model
    def _record_shipments(self, pickings):
        """Keep the label data of validated shipments.

        Whoever may validate the delivery records its label data, which stock users may
        only read: written as superuser, bound to the delivery's company.
        """
        vals_list = [{
            "picking_id": picking.id,
            **self._header_vals(picking),
            "line_ids": self._line_vals(picking),
        } for picking in pickings if not picking.clarus_shipment_label_ids]
        return self.sudo().create(vals_list)

    def _refresh_from_picking(self):
        """Tracking often arrives after validation; the label follows it."""
        for label in self.sudo():  # stock users read labels; the tracking follows for them
            label.tracking_reference = label.picking_id.carrier_tracking_ref
