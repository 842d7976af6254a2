from odoo import fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "clarus.xero.synced.mixin"]

    clarus_xero_po_save = fields.Selection(
        [("default", "Use the connection's default"), ("always", "Always"),
         ("never", "Never")],
        "Save purchase orders to Xero", default="default",
        help="Whether new purchase orders from this vendor are sent to Xero: the Xero "
             "connection's default, always or never. Each order can still be changed.")

    def _clarus_xero_contact_number(self):
        """Our key for the contact in Xero ("Contact Code"): stable, unique, <= 50 chars."""
        self.ensure_one()
        return (self.ref or f"ODOO-{self.id}")[:50]

    def _clarus_xero_contact_data(self):
        """Plain data for the sync engine's contact mapping."""
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "contact_number": self._clarus_xero_contact_number(),
            "email": self.email or None,
            "vat": self.vat or None,
            "phone": self.phone or None,
            "street": self.street or None,
            "street2": self.street2 or None,
            "city": self.city or None,
            "zip": self.zip or None,
            "country_code": self.country_id.code or None,
            "ref": self.ref or None,
        }
