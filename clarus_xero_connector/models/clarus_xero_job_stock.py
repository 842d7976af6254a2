from odoo import models

from .stock_move_xero import STOCK_KINDS


class ClarusXeroJob(models.Model):
    """Stock operations keep their Xero status in stored columns: each move of one of
    their jobs brings them up to date."""

    _inherit = "clarus.xero.job"  # pylint: disable=consider-merging-classes-inherited

    def _move_to(self, new_state, **vals):
        moved = super()._move_to(new_state, **vals)
        stock_jobs = self.filtered(lambda job: job.kind in STOCK_KINDS)
        for model, jobs in stock_jobs.grouped("res_model").items():
            self.env[model].sudo().browse(set(jobs.mapped("res_id"))).exists() \
                ._clarus_xero_stock_refresh()
        return moved
