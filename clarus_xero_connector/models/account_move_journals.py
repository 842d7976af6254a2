from odoo import models


class AccountMove(models.Model):
    """Odoo tracks inventory: a posted stock valuation entry (linked to its stock moves:
    receipts, deliveries, adjustments, scrap) is queued for Xero as a manual journal."""

    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft)
        valuation = posted.filtered(lambda move: move.stock_move_ids)._clarus_journalled()
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
