from odoo import api, models

from clarus_sync_engine import payments as payment_rules


class ClarusXeroDocument(models.AbstractModel):
    """Payment links -> Xero Payments (and their deletions)."""

    _inherit = "clarus.xero.document"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _payment_element(self, ctx, link):
        """One Xero payment for one (Odoo payment, paid document) pair; problems Xero
        would refuse it for (an unmapped journal, another currency) fail it here, with
        what to do."""
        if link.state != "active":
            ctx.setdefault("settled", {})[(link._name, link.id)] = self.env._(
                "The payment was undone in Odoo before it was sent.")
            return None, []
        payment, move = link.payment_id, link.move_id
        code = ctx["maps"]["journal"].get(payment.journal_id.id)
        data = {
            "journal": payment.journal_id.display_name,
            "account_code": code,
            "currency": payment.currency_id.name,
            "document_currency": move.currency_id.name,
            "amount": link.amount,
            "document": move.display_name,
            # Read now, not from the run's cache: the document may have gone to Xero
            # earlier in this run (its payment waited for it).
            "document_id": self.env["clarus.xero.binding"]._get(
                ctx["connection"], move).xero_id or None,
            "credit_note": move.move_type in payment_rules.CREDIT_NOTE_TYPES,
            "date": payment.date,
            "reference": payment.memo or payment.name,
        }
        account = (ctx["known"].get("accounts") or {}).get(code) if code else None
        problems = payment_rules.payment_problems(data, account)
        if problems:
            return {}, problems
        return payment_rules.payment_payload(data), []

    @api.model
    def _payment_delete_element(self, ctx, link):
        """The deletion of the Xero payment a link stands for; nothing to send when it
        never reached Xero."""
        if not link.xero_payment_id or link.state == "deleted":
            ctx.setdefault("settled", {})[(link._name, link.id)] = self.env._(
                "Xero holds no payment for this: nothing to delete.")
            return None, []
        return payment_rules.deletion_payload(link.xero_payment_id), []
