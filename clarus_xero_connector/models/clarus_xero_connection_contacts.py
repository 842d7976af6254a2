from odoo import fields, models

from clarus_sync_engine import updates


class ClarusXeroConnection(models.Model):
    """Which fields of a contact edited in Xero flow back to its Odoo partner."""

    _inherit = "clarus.xero.connection"  # pylint: disable=consider-merging-classes-inherited

    contact_import_name = fields.Boolean(
        "Take names from Xero", default=False,
        help="A contact renamed in Xero renames its partner in Odoo.")
    contact_import_email = fields.Boolean(
        "Take e-mail addresses from Xero", default=True,
        help="A contact's e-mail address changed in Xero changes its partner's.")
    contact_import_phone = fields.Boolean(
        "Take phone numbers from Xero", default=True,
        help="A contact's phone number changed in Xero changes its partner's.")
    contact_import_address = fields.Boolean(
        "Take addresses from Xero", default=True,
        help="A contact's street address changed in Xero changes its partner's.")
    contact_import_vat = fields.Boolean(
        "Take tax numbers from Xero", default=False,
        help="A contact's tax number changed in Xero changes its partner's.")

    def _contact_import_fields(self):
        """The contact fields (``updates.CONTACT_FIELDS``) that flow back from Xero."""
        self.ensure_one()
        return tuple(field for field in updates.CONTACT_FIELDS
                     if self[f"contact_import_{field}"])
