from odoo import models
from odoo.exceptions import UserError
from odoo.tools import float_compare, format_amount

from .clarus_xero_job import SYNC_CONTEXT_KEY

# Journal items a payment or an allocation settles.
SETTLED_ACCOUNT_TYPES = ("asset_receivable", "liability_payable")


class ClarusXeroReconcile(models.AbstractModel):
    """Reconciliation to the amount Xero applied, between two Odoo documents (an
    invoice and the payment, credit note or overpayment that settles it).

    Callers pass records in the sync's own environment (``SYNC_CONTEXT_KEY``), so the
    partials made or removed here are never sent back to Xero.
    """

    _name = "clarus.xero.reconcile"
    _description = "Reconciliation to Xero's amounts"

    def _settled_lines(self, move):
        return move.line_ids.filtered(
            lambda line: line.account_type in SETTLED_ACCOUNT_TYPES and not line.reconciled)

    def _partials_between(self, move_a, move_b):
        lines = move_a.line_ids.filtered(lambda line: line.account_type in SETTLED_ACCOUNT_TYPES)
        partials = lines.matched_debit_ids | lines.matched_credit_ids
        return partials.filtered(lambda p: move_b in (p.debit_move_id.move_id
                                                      | p.credit_move_id.move_id))

    def _reconciled_between(self, move_a, move_b):
        """What Odoo has reconciled between two documents, in their currency."""
        return sum(self._partials_between(move_a, move_b).mapped("debit_amount_currency"))

    def _reconcile_amount(self, source, move, amount):
        """Reconcile exactly ``amount`` (document currency) of ``source`` with ``move``.

        Odoo's ``reconcile`` settles as much as both sides have open; when that is more
        than Xero applied (part of a credit note or an overpayment), partials of the
        exact amount are made instead, oldest due line first."""
        currency = move.currency_id
        lines = self._settled_lines(source) | self._settled_lines(move)
        account = self._settled_lines(move)[:1].account_id
        lines = lines.filtered(lambda line: line.account_id == account)
        debits = lines.filtered(lambda line: line.amount_residual_currency > 0)
        credits = lines.filtered(lambda line: line.amount_residual_currency < 0)
        open_amount = min(sum(debits.mapped("amount_residual_currency")),
                          -sum(credits.mapped("amount_residual_currency")))
        if float_compare(amount, open_amount, precision_rounding=currency.rounding) > 0:
            raise UserError(self.env._(
                "Xero applied %(amount)s of %(what)s to %(doc)s, but Odoo has only "
                "%(open)s open between them: check what else was reconciled with them.",
                amount=self._amount(move, amount), what=source.display_name,
                doc=move.display_name, open=self._amount(move, open_amount)))
        sync = self.with_context(**{SYNC_CONTEXT_KEY: True}).env
        if float_compare(amount, open_amount, precision_rounding=currency.rounding) == 0:
            lines.with_env(sync).reconcile()
            return
        self._exact_partials(debits.sorted("date_maturity"), credits.sorted("date_maturity"),
                             amount, currency)

    def _exact_partials(self, debits, credits, amount, currency):
        values, debit_left, credit_left = [], {}, {}
        for debit in debits:
            for credit in credits:
                left_d = debit_left.setdefault(debit, debit.amount_residual_currency)
                left_c = credit_left.setdefault(credit, -credit.amount_residual_currency)
                part = currency.round(min(amount, left_d, left_c))
                if part <= 0:
                    continue
                values.append({
                    "debit_move_id": debit.id, "credit_move_id": credit.id,
                    "amount": debit.company_currency_id.round(
                        part * debit.amount_residual / debit.amount_residual_currency),
                    "debit_amount_currency": part, "credit_amount_currency": part,
                })
                debit_left[debit] -= part
                credit_left[credit] -= part
                amount = currency.round(amount - part)
                if amount <= 0:
                    return self.env["account.partial.reconcile"].create(values)
        return self.env["account.partial.reconcile"].create(values)

    def _amount(self, move, amount):
        return format_amount(self.env, float(amount), move.currency_id)
