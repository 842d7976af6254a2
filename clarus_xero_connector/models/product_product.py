from odoo import models


class ProductProduct(models.Model):
    _name = "product.product"
    _inherit = ["product.product", "clarus.xero.synced.mixin"]

    def _clarus_xero_item_data(self):
        """Plain data for the sync engine's item mapping."""
        self.ensure_one()
        return {
            "id": self.id,
            "code": self.default_code,
            "name": self.name,
            "description": self.description_sale or self.name,
            "purchase_description": self.description_purchase or self.name,
            "sale_price": self.lst_price,
            "cost": self.standard_price,
            "is_storable": bool(self.is_storable),
        }
