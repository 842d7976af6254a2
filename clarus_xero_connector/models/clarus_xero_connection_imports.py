from odoo import fields, models

from .account_move import SALES_TYPES


class ClarusXeroConnection(models.Model):
    """The connection's one-time imports and its default branding theme."""

    _inherit = "clarus.xero.connection"  # pylint: disable=consider-merging-classes-inherited

    branding_theme_id = fields.Many2one(
        "clarus.xero.reference", "Default branding theme", ondelete="set null",
        domain="[('connection_id', '=', id), ('kind', '=', 'branding_theme')]",
        help="The Xero branding theme of customer invoices and credit notes whose customer "
             "has none of their own. Empty: Xero's default theme. Themes come with the "
             "reference data import.")

    def action_open_import_wizard(self):
        """Read Xero's contacts and items and show what the import would do."""
        self.ensure_one()
        return self.env["clarus.xero.import.wizard"]._open_preview(self)

    def _branding_theme_element(self, move):
        """``{"BrandingThemeID": ...}`` for a customer document: its customer's theme,
        else this connection's default, else ``{}`` (Xero then uses its own default).

        A theme the last reference import no longer found (deleted in Xero) is archived
        and never sent: Xero would refuse the whole document for it."""
        self.ensure_one()
        # Customers see the theme; a supplier's bill is the supplier's own document.
        if move.move_type not in SALES_TYPES:
            return {}
        partner = move.partner_id.commercial_partner_id.with_company(self.company_id)
        for theme in (partner.clarus_xero_branding_theme_id, self.branding_theme_id):
            theme = theme.sudo()
            if theme and theme.active and theme.connection_id == self:
                return {"BrandingThemeID": theme.xero_id}
        return {}
