from odoo import api, fields, models


class ClarusXeroConnection(models.Model):
    """Stock in Xero when Xero tracks inventory: where adjustments, scrap and returns to
    suppliers are booked, and in whose name."""

    _inherit = "clarus.xero.connection"  # pylint: disable=consider-merging-classes-inherited

    stock_adjustment_account_code = fields.Char(
        "Inventory adjustment account",
        help="Xero account code (for example your \"Inventory Adjustments\" or cost of "
             "goods sold account) that takes the other side of every stock adjustment, "
             "scrap and return to a supplier: each goes as a zero-total bill (an increase) "
             "or supplier credit note (a decrease), so nothing is left to pay or refund.")
    stock_adjustment_partner_id = fields.Many2one(
        "res.partner", string="Contact of stock adjustments",
        default=lambda self: self._default_stock_adjustment_partner(),
        help="The Xero contact of adjustment, stocktake and scrap documents (a return to a "
             "supplier goes in the supplier's name). Defaults to the company itself.")

    @api.model
    def _default_stock_adjustment_partner(self):
        company_id = self.env.context.get("default_company_id")
        company = self.env["res.company"].browse(company_id) if company_id \
            else self.env.company
        return company.partner_id

    def _stock_adjustment_partner(self):
        """The contact of adjustments: the one chosen, else the company's."""
        self.ensure_one()
        return self.stock_adjustment_partner_id or self.company_id.partner_id

    def _sends_stock(self):
        """Does this connection send stock adjustments (Xero tracks inventory)?"""
        self.ensure_one()
        return bool(self.tracked_items and self.state in ("connected", "needs_reauth"))
