from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    clarus_ship_then_bill = fields.Boolean(
        string="Invoice What Shipped",
        help="When a delivery of a sale order is validated, invoice exactly the shipped "
        "quantities and post the invoice; returns are credited the same way.",
    )
