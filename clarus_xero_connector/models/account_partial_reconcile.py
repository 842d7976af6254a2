from odoo import api, models


class AccountPartialReconcile(models.Model):
    """Reconciling or unreconciling a payment changes what it pays: its Xero payments
    follow (``account.payment._clarus_xero_sync_links``)."""

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._clarus_xero_payments()._clarus_xero_sync_links()
        return partials

    def unlink(self):
        payments = self._clarus_xero_payments()
        res = super().unlink()
        payments.exists()._clarus_xero_sync_links()
        return res

    def _clarus_xero_payments(self):
        return (self.debit_move_id | self.credit_move_id).move_id.origin_payment_id
