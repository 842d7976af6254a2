from odoo import models


class AccountMove(models.Model):
    """Odoo tracks inventory: a posted stock valuation entry (linked to its stock moves:
    receipts, deliveries, adjustments, scrap), or the cost of goods sold Odoo adds to a
    customer invoice or refund (perpetual valuation at invoicing), is queued for Xero as
    a manual journal."""

    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    def _post(self, soft=True):
        posted = super()._post(soft)
        valuation = posted.filtered(
            lambda move: move.stock_move_ids or move._clarus_cogs_lines())._clarus_journalled()
        if not valuation:
            return posted
        connections = self.env["clarus.xero.connection"].sudo().search(
            [("company_id", "in", valuation.company_id.ids), ("stock_journal_mode", "!=", "off")])
        for connection in connections.filtered(lambda conn: conn._sends_stock_journals()):
            self.env["clarus.xero.stock.journal"].sudo()._queue_moves(
                connection, valuation.filtered(
                    lambda move, conn=connection: move.company_id == conn.company_id))
        return posted

    def _clarus_journalled(self):
        """The valuation entries that go to Xero: neither the entry nor its operation
        (the transfer) is flagged "do not export"."""
        return self.filtered(lambda move: not move.clarus_xero_no_sync and not any(
            move.stock_move_ids.picking_id.mapped("clarus_xero_no_sync")))

    def _clarus_valuation_lines(self):
        """The lines that value stock: all of a stock valuation entry; of an invoice, its
        cost of goods sold lines (the rest of the invoice goes to Xero as the invoice)."""
        self.ensure_one()
        return self.line_ids if self.stock_move_ids else self._clarus_cogs_lines()

    def _clarus_cogs_lines(self):
        return self.line_ids.filtered(lambda line: line.display_type == "cogs")
