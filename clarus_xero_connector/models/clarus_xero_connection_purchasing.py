from odoo import api, fields, models


class ClarusXeroConnection(models.Model):
    """Buying-side and shipping settings of a connection."""

    _inherit = "clarus.xero.connection"

    # Purchase orders.
    purchase_order_save_default = fields.Boolean(
        "Save purchase orders to Xero", default=True,
        help="The default of each purchase order's \"Save to Xero\"; a vendor can override it.")
    purchase_order_send_drafts = fields.Boolean(
        "Send requests for quotation as Xero drafts", default=False,
        help="When on, an RFQ goes to Xero as a DRAFT purchase order before it is confirmed.")
    missing_items_policy = fields.Selection(
        [("ask", "Ask when an order is confirmed"), ("create", "Always create them in Xero")],
        string="Products missing in Xero", default="ask", required=True,
        help="What confirming a purchase order does when some of its products are not Xero "
             "items yet.")
    # Supplier bills and credits.
    send_vendor_bills = fields.Boolean(
        "Send vendor bills and refunds", default=True,
        help="Posted vendor bills go to Xero as ACCPAY bills, vendor refunds as ACCPAYCREDIT.")
    # Shipping and handling: a line with no item code, on its own account.
    shipping_product_id = fields.Many2one(
        "product.product", string="Shipping and handling product",
        default=lambda self: self._default_shipping_product(),
        help="Lines with this product (and delivery charges of sale orders) go to Xero with "
             "no item code, on the shipping accounts below.")
    shipping_expense_account_code = fields.Char(
        "Shipping expense account", default="425",
        help="Xero account code of shipping and handling on purchase orders and bills.")
    shipping_revenue_account_code = fields.Char(
        "Shipping revenue account", default="260",
        help="Xero account code of delivery charges on customer invoices and credit notes.")

    @api.model
    def _default_shipping_product(self):
        return self.env.ref("clarus_xero_connector.product_shipping_handling",
                            raise_if_not_found=False)

    def _is_shipping_product(self, product):
        """Is ``product`` the configured shipping and handling product, or a delivery
        carrier's charge product?"""
        self.ensure_one()
        if not product:
            return False
        if product == self.shipping_product_id:
            return True
        carriers = self.env["delivery.carrier"].sudo().with_context(active_test=False)
        return bool(carriers.search_count([("product_id", "=", product.id)], limit=1))
