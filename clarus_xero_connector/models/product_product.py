from odoo import models

from .clarus_xero_job import SYNC_CONTEXT_KEY

# The product fields a Xero item carries (``_clarus_xero_item_data`` and the item
# builder's accounts and taxes): an edit of one of them on a product Xero holds may need
# an update there.
ITEM_SOURCE_FIELDS = frozenset({
    "name", "default_code", "description_sale", "description_purchase", "lst_price",
    "list_price", "standard_price", "sale_ok", "purchase_ok", "is_storable", "type",
    "taxes_id", "supplier_taxes_id", "property_account_income_id",
    "property_account_expense_id",
})


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

    def write(self, vals):
        result = super().write(vals)
        if ITEM_SOURCE_FIELDS.intersection(vals) and not self.env.context.get(
                SYNC_CONTEXT_KEY):
            self._clarus_xero_queue_updates()
        return result

    def _clarus_xero_queue_updates(self):
        """Queue an update of the items Xero holds for these products, one per
        organisation, when what Xero would receive differs from what it holds."""
        products = self.filtered(lambda p: not p.clarus_xero_no_sync)
        if not products:
            return
        bindings = self.env["clarus.xero.binding"].sudo().search([
            ("res_model", "=", "product.product"), ("res_id", "in", products.ids),
            ("connection_id.active", "=", True)])
        Document = self.env["clarus.xero.document"].sudo()
        for connection, conn_bindings in bindings.grouped("connection_id").items():
            ctx = dict(Document._context_for(connection), clarus_xero_dry_run=True)
            todo = [product for product in products.browse(conn_bindings.mapped("res_id"))
                    if Document._item_element(ctx, product) != (None, [])]
            if todo:
                self.env["clarus.xero.job"].sudo()._enqueue_many(
                    connection, [(product, "item", (), 10) for product in todo])


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def write(self, vals):
        result = super().write(vals)
        if ITEM_SOURCE_FIELDS.intersection(vals) and not self.env.context.get(
                SYNC_CONTEXT_KEY):
            self.product_variant_ids._clarus_xero_queue_updates()
        return result
