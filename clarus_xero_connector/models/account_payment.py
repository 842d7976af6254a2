from collections import defaultdict

from odoo import api, fields, models

from clarus_sync_engine import payments as payment_rules
from clarus_sync_engine import states

from .account_move import PURCHASE_TYPES, SALES_TYPES
from .clarus_xero_job import SYNC_CONTEXT_KEY

# Accounts whose reconciliation says which document a payment pays.
PARTNER_ACCOUNT_TYPES = ("asset_receivable", "liability_payable")
LIVE_CONNECTION_STATES = ("connected", "needs_reauth")


class AccountPayment(models.Model):
    """A payment posted in Odoo and reconciled with documents Xero holds goes to Xero,
    one Xero payment per paid document (a ``clarus.xero.payment.link`` each); undoing it
    here (unreconcile, reset to draft, cancel) deletes those payments in Xero."""

    _name = "account.payment"
    _inherit = ["account.payment", "clarus.xero.no.sync.mixin"]

    clarus_xero_link_ids = fields.One2many(
        "clarus.xero.payment.link", "payment_id", string="Xero Payments", readonly=True)
    clarus_xero_payment_state = fields.Selection(
        [("not_sent", "Not sent"), ("queued", "Queued"), ("sent", "In Xero"),
         ("error", "Error"), ("deleted", "Deleted in Xero"), ("received", "Made in Xero"),
         ("excluded", "Do not sync")],
        "Xero", compute="_compute_clarus_xero_payment_state")
    clarus_xero_last_error = fields.Text(
        "Last Xero Error", compute="_compute_clarus_xero_payment_state")

    @api.depends("clarus_xero_link_ids.state", "clarus_xero_no_sync")
    def _compute_clarus_xero_payment_state(self):
        for payment in self:
            links = payment.clarus_xero_link_ids
            link_states = set(links.mapped("sync_state"))
            payment.clarus_xero_last_error = "\n".join(
                "%s: %s" % (link.move_id.display_name, link.error_message)
                for link in links if link.error_message) or False
            for state in ("received", "error", "queued", "sent", "deleted"):
                if state in link_states:
                    payment.clarus_xero_payment_state = state
                    break
            else:
                payment.clarus_xero_payment_state = "not_sent"
            if payment.clarus_xero_no_sync and not links:
                payment.clarus_xero_payment_state = "excluded"

    # ------------------------------------------------------------------ hooks

    def action_post(self):
        res = super().action_post()
        self._clarus_xero_sync_links()
        return res

    def action_draft(self):
        res = super().action_draft()
        self._clarus_xero_sync_links()
        return res

    def action_cancel(self):
        res = super().action_cancel()
        self._clarus_xero_sync_links()
        return res

    def action_reject(self):
        res = super().action_reject()
        self._clarus_xero_sync_links()
        return res

    # ------------------------------------------------------------------ links

    def _clarus_xero_reconciled(self):
        """``{document: amount}`` this payment pays now, in each document's currency:
        the partial reconciliations between its receivable or payable lines and the
        documents' lines."""
        self.ensure_one()
        paid = defaultdict(float)
        lines = self.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type in PARTNER_ACCOUNT_TYPES)
        for line in lines:
            for partial in line.matched_debit_ids:
                paid[partial.debit_move_id.move_id] += partial.debit_amount_currency
            for partial in line.matched_credit_ids:
                paid[partial.credit_move_id.move_id] += partial.credit_amount_currency
        return {move: amount for move, amount in paid.items()
                if move.move_type in SALES_TYPES + PURCHASE_TYPES}

    def _clarus_xero_sync_links(self):
        """Bring the Xero payments of these Odoo payments in line with what they pay now:
        queue a Xero payment for each newly paid document, a deletion for each link
        that no longer holds. Runs in the business transaction (the outbox). Payments the
        sync itself registered (the pull) never come back here."""
        if self.env.context.get(SYNC_CONTEXT_KEY):
            return
        payments = self.filtered("id")
        Connection = self.env["clarus.xero.connection"].sudo()
        for company, company_payments in payments.grouped("company_id").items():
            conn = Connection._for_company(company)
            if conn and conn.state in LIVE_CONNECTION_STATES:
                company_payments.sudo()._clarus_xero_sync_links_on(conn)

    def _clarus_xero_sync_links_on(self, conn):
        Link = self.env["clarus.xero.payment.link"]
        links = Link.search([("connection_id", "=", conn.id), ("payment_id", "in", self.ids)])
        deletions = links._clarus_xero_pending_deletions()
        creates, deletes, kept = [], Link, Link
        for payment in self:
            mine = links.filtered(lambda link, p=payment: link.payment_id == p)
            from_xero = any(link.origin == "xero" for link in mine)
            if from_xero:
                continue
            # A link whose deletion is on its way to Xero is gone already.
            active = mine.filtered(lambda link: link.state == "active" and (
                link.id not in deletions or deletions[link.id].state != states.RUNNING))
            reconciled = payment._clarus_xero_reconciled()
            documents = conn._clarus_xero_payable_documents(
                self.env["account.move"].union(*reconciled))
            plan = payment_rules.plan_links(
                payment.state, {move.id: amount for move, amount in reconciled.items()
                                if move in documents},
                [(link.id, link.move_id.id, link.amount) for link in active])
            deletes |= Link.browse(plan.delete)
            kept |= active - Link.browse(plan.delete)
            if payment_rules.should_send(conn.send_payments, False,
                                         payment.clarus_xero_no_sync, from_xero):
                creates += [(payment, pair) for pair in plan.create]
        kept._clarus_xero_keep(deletions)
        deletes._clarus_xero_queue_deletion(conn)
        if creates:
            new_links = Link.create([{
                "connection_id": conn.id, "payment_id": payment.id, "move_id": pair.move_id,
                "amount": float(pair.amount), "origin": "odoo", "kind": "payment",
            } for payment, pair in creates])
            self.env["clarus.xero.job"]._enqueue_many(conn, [
                (link, "payment", [f"account.move,{link.move_id.id}"], 10)
                for link in new_links])

