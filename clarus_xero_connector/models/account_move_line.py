from odoo import models

from .clarus_xero_document import LINE_FIELDS_SENT
from .clarus_xero_job import SYNC_CONTEXT_KEY


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def write(self, vals):
        """A line Xero holds a copy of keeps what was sent (see account.move's lock)."""
        changed = LINE_FIELDS_SENT.intersection(vals)
        if changed and not self.env.context.get(SYNC_CONTEXT_KEY):
            sent = self.filtered(lambda line: line.display_type == "product")
            sent.move_id._clarus_xero_check_unlocked(
                {("account.move.line", name) for name in changed})
        return super().write(vals)
