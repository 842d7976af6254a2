from odoo import api, fields, models


class SaleOrderXeroColumns(models.Model):
    """What Xero holds of an order's invoices, stored so order lists filter and sort by
    it: their Xero numbers, and when they last went to Xero or came back from it."""

    _inherit = "sale.order"

    clarus_xero_invoice_numbers = fields.Char(
        "Xero Numbers", compute="_compute_clarus_xero_columns", store=True,
        help="The Xero numbers of the order's posted invoices and credit notes.")
    clarus_xero_last_export = fields.Datetime(
        "Last Export Date", compute="_compute_clarus_xero_columns", store=True,
        help="When one of the order's invoices or credit notes last went to Xero.")
    clarus_xero_last_import = fields.Datetime(
        "Last Import Date", compute="_compute_clarus_xero_columns", store=True,
        help="When a change made in Xero to one of the order's invoices or credit notes "
             "was last applied here.")

    @api.depends("order_line.invoice_lines.move_id.state",
                 "order_line.invoice_lines.move_id.clarus_xero_last_number",
                 "order_line.invoice_lines.move_id.clarus_xero_last_export",
                 "order_line.invoice_lines.move_id.clarus_xero_last_import")
    def _compute_clarus_xero_columns(self):
        for order in self:
            documents = order._clarus_xero_documents().sorted("id")
            numbers = [n for n in documents.mapped("clarus_xero_last_number") if n]
            exports = [d for d in documents.mapped("clarus_xero_last_export") if d]
            imports = [d for d in documents.mapped("clarus_xero_last_import") if d]
            order.clarus_xero_invoice_numbers = ", ".join(dict.fromkeys(numbers)) or False
            order.clarus_xero_last_export = max(exports, default=False)
            order.clarus_xero_last_import = max(imports, default=False)
