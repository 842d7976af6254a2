from odoo import fields, models
from odoo.tools import format_amount

from .clarus_xero_job import SYNC_CONTEXT_KEY


class ClarusXeroInboundMixin(models.AbstractModel):
    """What applying a change made in Xero needs: the Odoo record bound to a Xero ID, the
    payment links, the sync's own environment, the "do not import" flag and the last
    import date."""

    _name = "clarus.xero.inbound.mixin"
    _description = "Applying changes made in Xero"

    def _bound_record(self, connection, model, xero_id):
        if not xero_id:
            return self.env[model]
        binding = self.env["clarus.xero.binding"].sudo().search([
            ("connection_id", "=", connection.id), ("res_model", "=", model),
            ("xero_id", "=", xero_id)], limit=1)
        return self.env[model].browse(binding.res_id).exists() if binding else self.env[model]

    def _bound_move(self, connection, ref):
        ref = ref or {}
        for key in ("InvoiceID", "CreditNoteID"):
            move = self._bound_record(connection, "account.move", ref.get(key))
            if move:
                return move
        return self.env["account.move"]

    def _links(self, connection, domain):
        return self.env["clarus.xero.payment.link"].search(
            [("connection_id", "=", connection.id), *domain])

    def _new_link(self, connection, payment, move, amount, xero_id, kind):
        return self.env["clarus.xero.payment.link"].create({
            "connection_id": connection.id, "payment_id": payment.id if payment else False,
            "move_id": move.id if move else False, "amount": float(amount),
            "xero_payment_id": xero_id, "origin": "xero", "kind": kind})

    def _gateway(self, connection):
        return connection._gateway(connection._push_pacer())

    # ------------------------------------------------------------ helpers

    def _as_sync(self, *records):
        """This model and ``records`` in an environment flagged as the sync's own writes:
        every record reached from them (payments, partials, links) carries the flag, so
        nothing made or undone here is sent back to Xero."""
        me = self.with_context(**{SYNC_CONTEXT_KEY: True})
        return (me, *(record.with_env(me.env) for record in records))

    def _skipped(self, move):
        if not move.clarus_xero_no_import:
            return ""
        return self.env._("%(doc)s is marked \"Do not import from Xero\" (%(reason)s): skipped.",
                          doc=move.display_name, reason=move.clarus_xero_no_import_reason)

    def _mark_imported(self, move):
        move.with_context(**{SYNC_CONTEXT_KEY: True}).sudo().write(
            {"clarus_xero_last_import": fields.Datetime.now()})

    def _amount(self, move, amount):
        return format_amount(self.env, float(amount), move.currency_id)
