from odoo import fields, models


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    clarus_allocation_required = fields.Boolean(
        string="Allocation Required Before Picking",
        help="Deliveries of sale orders from this warehouse reserve stock only through "
        "allocation: 'Check Availability' and automatic reservation leave them alone, and "
        "only allocated quantities can be picked.",
    )
