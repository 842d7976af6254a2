from odoo import fields, models


class ResPartner(models.Model):
    """A customer's own Xero branding theme."""

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    # Per company: each company talks to its own Xero organisation, with its own themes.
    clarus_xero_branding_theme_id = fields.Many2one(
        "clarus.xero.reference", "Xero branding theme", company_dependent=True,
        domain="[('kind', '=', 'branding_theme'), ('company_id', '=', current_company_id)]",
        groups="account.group_account_invoice",
        help="The Xero branding theme of this customer's invoices and credit notes. Empty: "
             "the Xero connection's default theme.")
