from odoo import api, fields, models
from odoo.exceptions import ValidationError

from clarus_sync_engine import journals


class ClarusXeroConnection(models.Model):
    """Odoo tracks inventory (Xero's items untracked): Odoo's stock valuation entries go
    to Xero as posted manual journals on the mapped accounts."""

    _inherit = "clarus.xero.connection"  # pylint: disable=consider-merging-classes-inherited

    stock_journal_mode = fields.Selection(
        [("off", "Do not send"),
         (journals.PER_OPERATION, "One journal per stock operation"),
         (journals.DAILY, "One journal per day (summed per account and tracking option)")],
        string="Stock valuation to Xero", default="off", required=True,
        help="Odoo tracks inventory: each posted stock valuation entry (receipt, delivery, "
             "adjustment, scrap) goes to Xero once, as a posted manual journal on the Xero "
             "accounts mapped to its Odoo accounts. A day's summary is sent once the day "
             "is over.")

    @api.constrains("stock_journal_mode", "tracked_items")
    def _check_stock_journal_mode(self):
        for conn in self:
            if conn.stock_journal_mode != "off" and conn.tracked_items:
                raise ValidationError(self.env._(
                    "%(name)s: stock valuation goes to Xero either through tracked items or "
                    "as manual journals, not both. Turn one of them off.", name=conn.name))

    def _sends_stock_journals(self):
        self.ensure_one()
        return self.stock_journal_mode != "off" and not self.tracked_items \
            and self.state in ("connected", "needs_reauth")
