from odoo import fields, models


class IrCron(models.Model):
    """A scheduled action can belong to one Xero connection: the work of that
    organisation only (its push, its webhook read-back, its keep-alive)."""

    _inherit = "ir.cron"

    clarus_xero_connection_id = fields.Many2one(
        "clarus.xero.connection", "Xero connection", index="btree_not_null",
        ondelete="cascade", readonly=True)
    clarus_xero_work = fields.Char("Xero work", readonly=True)
