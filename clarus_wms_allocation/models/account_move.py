from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    clarus_picking_ids = fields.Many2many(
        "stock.picking",
        "clarus_account_move_stock_picking_rel",
        "move_id",
        "picking_id",
        string="Shipments Billed",
        copy=False,
        readonly=True,
        help="Deliveries (or returns) whose quantities this invoice (or credit note) bills. "
        "Carrier and tracking reference are read from here.",
    )
