from odoo import api, fields, models

from ..models.clarus_xero_job import SYNC_CONTEXT_KEY
from ..models.purchase_order import CREATE_ITEMS_KEY


class ClarusXeroMissingItemsWizard(models.TransientModel):
    """Confirmed purchase orders whose products are not Xero items yet: create them in
    Xero (the orders wait for them), or keep the orders back."""

    _name = "clarus.xero.missing.items.wizard"
    _description = "Products missing in Xero"

    order_ids = fields.Many2many("purchase.order", string="Orders", readonly=True)
    product_ids = fields.Many2many("product.product", string="Products missing in Xero",
                                   readonly=True)
    always_create = fields.Boolean(
        "Always create them",
        help="From now on, products missing in Xero are created there without asking "
             "(the Xero connection's setting; purchase and accounting managers only).")

    @api.model
    def _action_for(self, orders):
        """The dialog for ``orders`` (held back for products missing in Xero)."""
        Connection = self.env["clarus.xero.connection"].sudo()
        products = self.env["product.product"]
        for company, company_orders in orders.grouped("company_id").items():
            conn = Connection._for_company(company)
            if conn:
                products |= company_orders._clarus_xero_missing_products(conn)
        wizard = self.create({"order_ids": [fields.Command.set(orders.ids)],
                              "product_ids": [fields.Command.set(products.ids)]})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Products missing in Xero"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_create_items(self):
        """Queue the missing products as Xero items; each order waits for its own."""
        self.ensure_one()
        # A connection-wide choice: purchase and accounting managers only.
        if self.always_create and (
                self.env.user.has_group("purchase.group_purchase_manager")
                or self.env.user.has_group("account.group_account_manager")):
            for conn in self._connections():
                conn.missing_items_policy = "create"
                conn.message_post(body=self.env._(
                    "Products missing in Xero are now created there without asking (chosen "
                    "by %s on a purchase order).", self.env.user.name))
        orders = self._orders_asking()
        self._release(orders)
        orders.with_context(**{CREATE_ITEMS_KEY: True})._clarus_xero_queue_update()
        return {"type": "ir.actions.act_window_close"}

    def action_keep_back(self):
        """The orders stay confirmed in Odoo, but are not sent until someone presses Send
        to Xero on them."""
        self.ensure_one()
        for order in self._orders_asking():
            missing = ", ".join((order.order_line.product_id & self.product_ids)
                                .mapped("display_name"))
            order.with_context(**{SYNC_CONTEXT_KEY: True}).write({
                "clarus_xero_hold": "kept",
                "clarus_xero_hold_reason": self.env._(
                    "Kept back from Xero by %(user)s on %(date)s: these products are not "
                    "Xero items yet: %(products)s. Press Send to Xero when ready.",
                    user=self.env.user.name, date=fields.Date.context_today(self),
                    products=missing or "-"),
            })
        return {"type": "ir.actions.act_window_close"}

    def _orders_asking(self):
        return self.order_ids.filtered(lambda order: order.clarus_xero_hold == "ask")

    def _release(self, orders):
        orders.with_context(**{SYNC_CONTEXT_KEY: True}).write(
            {"clarus_xero_hold": False, "clarus_xero_hold_reason": False})

    def _connections(self):
        Connection = self.env["clarus.xero.connection"].sudo()
        return Connection.union(*[Connection._for_company(company)
                                  for company in self.order_ids.company_id])
