from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    clarus_ship_then_bill = fields.Boolean(
        related="company_id.clarus_ship_then_bill", readonly=False
    )
