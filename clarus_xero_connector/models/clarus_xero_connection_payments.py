from odoo import fields, models

from clarus_sync_engine import states

from .account_move import PURCHASE_TYPES, SALES_TYPES


class ClarusXeroConnection(models.Model):
    """The connection's payment settings: whether payments registered in Odoo go to Xero."""

    _inherit = "clarus.xero.connection"  # pylint: disable=consider-merging-classes-inherited

    send_payments = fields.Boolean(
        "Send payments to Xero", default=True,
        help="Payments registered in Odoo on documents Xero holds go to Xero, in the Xero "
             "bank account mapped to their journal; undoing one in Odoo deletes it in "
             "Xero. Turn off where payments are entered in Xero.")

    def _clarus_xero_payable_documents(self, moves):
        """Of ``moves``, the documents this connection sends whose payments may go to
        Xero: posted customer documents (and supplier ones when it sends bills), not
        flagged "do not sync", that Xero holds or that wait in the export queue (their
        payments then wait for them)."""
        self.ensure_one()
        types = SALES_TYPES + (PURCHASE_TYPES if self.send_vendor_bills else ())
        moves = moves.filtered(lambda m: m.move_type in types and m.state == "posted"
                               and not m._clarus_xero_excluded())
        if not moves:
            return moves
        bound = self.env["clarus.xero.binding"].sudo().search([
            ("connection_id", "=", self.id), ("res_model", "=", "account.move"),
            ("res_id", "in", moves.ids)]).mapped("res_id")
        queued = self.env["clarus.xero.job"].sudo().search([
            ("connection_id", "=", self.id), ("res_model", "=", "account.move"),
            ("res_id", "in", moves.ids), ("kind", "in", ("invoice", "credit_note")),
            ("state", "in", list(states.BLOCKING_STATES))]).mapped("res_id")
        held = set(bound) | set(queued)
        return moves.filtered(lambda m: m.id in held)

    def action_queue_posted_invoices(self):
        """The backlog's documents take their payments registered in Odoo with them: each
        payment waits for its document, then goes (when this connection sends payments)."""
        backlog = self.env["account.move"]._clarus_xero_backlog(self)
        result = super().action_queue_posted_invoices()
        if self.send_payments:
            backlog._get_reconciled_payments()._clarus_xero_sync_links()
        return result
