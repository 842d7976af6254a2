from odoo import fields, models


class ClarusShipmentLabelLine(models.Model):
    _name = "clarus.shipment.label.line"
    _description = "Shipment Label Line"
    _order = "label_id, id"

    label_id = fields.Many2one(
        "clarus.shipment.label", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="label_id.company_id", store=True, index=True)
    sale_line_id = fields.Many2one("sale.order.line", string="Order Line", readonly=True)
    product_id = fields.Many2one("product.product", required=True, readonly=True)
    description = fields.Char(readonly=True)
    quantity = fields.Float(digits="Product Unit", readonly=True)
    uom_id = fields.Many2one("uom.uom", string="Unit", readonly=True)
