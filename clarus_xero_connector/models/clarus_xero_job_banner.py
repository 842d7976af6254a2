from odoo import api, models

from clarus_sync_engine import states


class ClarusXeroJobBanner(models.Model):
    """The count behind the web client's banner of unresolved Xero errors."""

    _inherit = "clarus.xero.job"

    @api.model
    @api.readonly
    def clarus_xero_unresolved_count(self):
        """How many Xero jobs failed in the companies the user works in now: only a
        number, so any internal user may ask, whatever their rights on the jobs."""
        if not self.env.user._is_internal():
            return 0
        companies = self.env.companies & self.env.user.company_ids
        return self.sudo().search_count(
            [("state", "=", states.FAILED), ("company_id", "in", companies.ids)])
