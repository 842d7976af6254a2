import secrets
from collections import Counter

import urllib3
from xero_python.exceptions import HTTPStatusException

from odoo import api, fields, models
from odoo.exceptions import UserError

from clarus_sync_engine import client as xero_client
from clarus_sync_engine import oauth, retry
from clarus_sync_engine.pacing import RatePacer
from clarus_sync_engine.retry import InvalidGrant

from .clarus_xero_token_mixin import TOKEN_ERRORS, TokenRefreshedElsewhere

__all__ = ["TOKEN_ERRORS", "XERO_CALL_ERRORS", "TokenRefreshedElsewhere"]


# What a call to Xero can raise when Xero refuses, fails or cannot be reached: shown to
# the user as a message, never as a traceback.
XERO_CALL_ERRORS = (InvalidGrant, HTTPStatusException, OSError, urllib3.exceptions.HTTPError,
                    *TOKEN_ERRORS)

# Granular scopes: Xero apps created since 2 March 2026 may not ask for the broad
# ``accounting.transactions`` at all, and older apps must move to these by 2027.
DEFAULT_SCOPE = (
    "openid profile email offline_access accounting.contacts accounting.settings "
    "accounting.invoices accounting.payments accounting.manualjournals"
)
SECRET_GROUP = "base.group_system"
# Where the client secret and the tokens are sent: changing any of these asks for a fresh
# consent, so that no secret ever goes to a new address on the strength of an old one.
URL_FIELDS = ("api_base_url", "identity_base_url", "login_base_url")
TOKEN_VALUES_CLEARED = {"access_token": False, "refresh_token": False,
                        "token_expires_at": False, "oauth_state": False,
                        "oauth_code_verifier": False, "oauth_user_id": False}


class ClarusXeroConnection(models.Model):
    _name = "clarus.xero.connection"
    _description = "Xero Connection"
    _inherit = ["mail.thread", "clarus.xero.token.mixin", "clarus.xero.organisation.mixin"]
    _order = "company_id, id"

    name = fields.Char(required=True, default="Xero")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    state = fields.Selection(
        [
            ("draft", "Not connected"),
            ("choose_tenant", "Choose organisation"),
            ("connected", "Connected"),
            ("needs_reauth", "Needs re-authorisation"),
            ("disconnected", "Disconnected"),
        ],
        default="draft",
        required=True,
        tracking=True,
    )
    # Where to reach Xero: the real service or any Xero-compatible server. Administrators
    # only: whoever sets these chooses where the client secret and the tokens go.
    api_base_url = fields.Char(
        required=True, default="https://api.xero.com", groups=SECRET_GROUP)
    identity_base_url = fields.Char(
        required=True, default="https://identity.xero.com", groups=SECRET_GROUP)
    login_base_url = fields.Char(
        required=True, default="https://login.xero.com", groups=SECRET_GROUP)
    scope = fields.Char(required=True, default=DEFAULT_SCOPE, groups=SECRET_GROUP)

    client_id = fields.Char(groups=SECRET_GROUP)
    client_secret = fields.Char(groups=SECRET_GROUP)
    webhook_key = fields.Char(groups=SECRET_GROUP)
    access_token = fields.Char(groups=SECRET_GROUP, copy=False)
    refresh_token = fields.Char(groups=SECRET_GROUP, copy=False)
    token_expires_at = fields.Datetime(groups=SECRET_GROUP, copy=False)
    oauth_state = fields.Char(groups=SECRET_GROUP, copy=False)
    oauth_code_verifier = fields.Char(groups=SECRET_GROUP, copy=False)
    # Who started the authorisation: only they may complete it.
    oauth_user_id = fields.Many2one("res.users", groups=SECRET_GROUP, copy=False)
    available_tenants = fields.Json(copy=False)

    tenant_id = fields.Char("Xero Tenant ID", copy=False, tracking=True)
    tenant_name = fields.Char("Xero Organisation", copy=False, tracking=True)
    last_refresh_at = fields.Datetime(copy=False, readonly=True)
    last_error = fields.Text(copy=False, readonly=True)

    # Behaviour settings.
    invoice_status = fields.Selection(
        [("AUTHORISED", "Approved (AUTHORISED)"), ("DRAFT", "Draft")],
        default="AUTHORISED",
        required=True,
    )
    include_product_description = fields.Boolean(default=True)
    lock_after_export = fields.Boolean(default=True)
    tracked_items = fields.Boolean("Track items as inventory in Xero", default=False)
    tracking_source = fields.Selection(
        [("warehouse", "Warehouse"), ("team", "Sales team"), ("analytic", "Analytic account")],
        default="warehouse",
        required=True,
    )
    tracking_category_name = fields.Char(default="Region")
    default_sales_account_code = fields.Char(default="200")
    default_expense_account_code = fields.Char(default="310")
    inventory_account_code = fields.Char(default="630")
    default_tax_type = fields.Char()
    request_timeout = fields.Integer(
        default=60, help="Seconds to wait for Xero's answer before treating it as lost."
    )

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
    api_calls_today = fields.Integer(compute="_compute_api_usage")
    day_limit_remaining = fields.Integer(compute="_compute_api_usage")
    minute_limit_remaining = fields.Integer(compute="_compute_api_usage")

    _company_active_uniq = models.UniqueIndex(
        "(company_id) WHERE active",
        "A company can have only one active Xero connection.",
    )

    def write(self, vals):
        """A new address for Xero drops the tokens and asks for a fresh consent."""
        moved = self.browse()
        if any(name in vals for name in URL_FIELDS):
            moved = self.sudo().filtered(lambda conn: any(
                name in vals and (vals[name] or False) != (conn[name] or False)
                for name in URL_FIELDS))
        result = super().write(vals)
        if moved:
            moved._forget_tokens_after_url_change()
        return result

    def _forget_tokens_after_url_change(self):
        reauth = self.filtered(lambda conn: conn.state != "draft")
        # Neither write names an address: this does not come back here.
        self.write(TOKEN_VALUES_CLEARED)
        if reauth:
            reauth.write({
                "state": "needs_reauth",
                "last_error": self.env._(
                    "The Xero addresses of this connection changed: its tokens were dropped. "
                    "Click 'Connect to Xero' to authorise again; nothing is sent until then."),
            })
        self.env["account.move"].invalidate_model(
            ["clarus_xero_connection_id", "clarus_xero_needs_reauth"])
        for conn in self:
            conn.message_post(body=self.env._(
                "Xero addresses changed by %s: tokens dropped, re-authorisation needed.",
                self.env.user.name))

    # ------------------------------------------------------------------ OAuth

    def _redirect_uri(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        return f"{base}/clarus_xero/oauth/callback"

    def action_authorize(self):
        """Start the authorisation-code flow with PKCE and a one-time state."""
        self.ensure_one()
        conn = self.sudo()
        if not conn.client_id:
            raise UserError(self.env._("Enter the Xero app's client ID before connecting."))
        verifier = oauth.new_code_verifier()
        state = f"{self.id}.{secrets.token_urlsafe(24)}"
        conn.write({"oauth_state": state, "oauth_code_verifier": verifier,
                    "oauth_user_id": self.env.uid})
        url = oauth.authorization_url(
            f"{conn.login_base_url.rstrip('/')}/identity/connect/authorize",
            conn.client_id, self._redirect_uri(), conn.scope, state, verifier,
        )
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    @api.model
    def _find_by_oauth_state(self, state):
        """The connection that issued this state, or an empty recordset."""
        if not state or "." not in state:
            return self.browse()
        conn_id = state.split(".", 1)[0]
        if not conn_id.isdigit():
            return self.browse()
        conn = self.sudo().browse(int(conn_id)).exists()
        if not conn or not conn.oauth_state or not secrets.compare_digest(conn.oauth_state, state):
            return self.browse()
        return conn

    def _complete_authorization(self, code):
        """Exchange the code for tokens, then list the organisations it grants."""
        self.ensure_one()
        conn = self.sudo()
        token = oauth.exchange_code(
            client_id=conn.client_id,
            client_secret=conn.client_secret,
            code=code,
            redirect_uri=self._redirect_uri(),
            code_verifier=conn.oauth_code_verifier,
            token_url=conn._token_url(),
        )
        conn.write({"oauth_state": False, "oauth_code_verifier": False,
                    "oauth_user_id": False})
        conn._store_token(token)
        tenants = conn._gateway().connections()
        conn.available_tenants = tenants
        if len(tenants) == 1:
            conn._select_tenant(tenants[0]["tenantId"])
        else:
            conn.state = "choose_tenant"
        return conn

    def _select_tenant(self, tenant_id):
        self.ensure_one()
        tenants = {t["tenantId"]: t for t in (self.available_tenants or [])}
        if tenant_id not in tenants:
            raise UserError(self.env._("That organisation was not part of this authorisation."))
        self.write(
            {
                "tenant_id": tenant_id,
                "tenant_name": tenants[tenant_id].get("tenantName"),
                "state": "connected",
                "last_error": False,
            }
        )
        self.message_post(
            body=self.env._("Connected to Xero organisation %s.", self.tenant_name)
        )
        self._follow_tenant()

    def _follow_tenant(self):
        """After choosing an organisation: what was sent to another one is sent again to
        this one (its bindings are archived, so contacts, items and documents are created
        afresh here), and the connection says what that is."""
        left = self.env["clarus.xero.binding"].sudo()._follow_tenant(self)
        if not left:
            return 0
        counts = Counter(left.mapped("res_model"))
        labels = {"account.move": self.env._("invoices and credit notes"),
                  "res.partner": self.env._("contacts"), "product.product": self.env._("items")}
        self.message_post(body=self.env._(
            "This connection now points at %(org)s. Records sent to another organisation "
            "will be sent again here: %(what)s.", org=self.tenant_name,
            what=", ".join(f"{n} {labels.get(model, model)}" for model, n in counts.items())))
        return self.env["account.move"]._clarus_xero_queue_backlog(self)

    def action_disconnect(self):
        for conn in self.sudo():
            if conn.refresh_token:
                try:
                    oauth.revoke_token(
                        conn.client_id, conn.client_secret, conn.refresh_token,
                        f"{conn.identity_base_url.rstrip('/')}/connect/revocation",
                    )
                except TOKEN_ERRORS as exc:
                    conn.message_post(body=self.env._("Revocation failed: %s", exc))
            conn.write(
                {
                    "state": "disconnected",
                    "access_token": False,
                    "refresh_token": False,
                    "token_expires_at": False,
                    "tenant_id": False,
                    "tenant_name": False,
                }
            )
        return True

    # --------------------------------------------------------------- gateway

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

    def _push_pacer(self):
        """The pacer of this organisation's calls for one push run."""
        self.ensure_one()
        return RatePacer(per_day=self.day_limit or 5000)

    def _gateway(self, pacer=None):
        """The only place secrets leave the database: the SDK client for this connection."""
        self.ensure_one()
        conn = self.sudo()
        return xero_client.make_gateway(
            conn.client_id,
            conn.client_secret,
            token_getter=conn._token_dict,
            token_saver=conn._store_sdk_token,
            api_base_url=conn.api_base_url.rstrip("/"),
            identity_base_url=conn.identity_base_url.rstrip("/"),
            timeout=(10, max(conn.request_timeout, 1)),
            pacer=pacer,
        )

    def _compute_api_usage(self):
        usage = self.env["clarus.xero.api.usage"]._usage_by_connection(self)
        for conn in self:
            conn.update(usage.get(conn.id, {}))

    def _check_ready(self):
        """Raise a plain message when this connection cannot send now."""
        self.ensure_one()
        if self.state == "needs_reauth":
            raise UserError(self.last_error)
        if self.state != "connected" or not self.tenant_id:
            raise UserError(
                self.env._("The Xero connection of %s is not connected.", self.company_id.name)
            )

    @api.model
    def _for_company(self, company):
        return self.search([("company_id", "=", company.id)], limit=1)

    # ------------------------------------------------------------- dashboard

    job_pending_count = fields.Integer(compute="_compute_job_counts")
    job_running_count = fields.Integer(compute="_compute_job_counts")
    job_failed_count = fields.Integer(compute="_compute_job_counts")
    job_done_today_count = fields.Integer(compute="_compute_job_counts")
    day_limit = fields.Integer(default=5000, help="Xero's daily call limit for this organisation.")

    def _compute_job_counts(self):
        counts = self.env["clarus.xero.job"]._counts_by_connection(self)
        for conn in self:
            conn.update(counts.get(conn.id, {}))

    def action_open_errors(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clarus_xero_connector.clarus_xero_job_action_errors"
        )
        action["domain"] = [("state", "=", "failed"), ("connection_id", "in", self.ids)]
        return action

    def action_choose_tenant(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "clarus.xero.tenant.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_connection_id": self.id},
        }

    def action_queue_posted_invoices(self):
        """Queue the posted invoices and credit notes not yet in Xero (a backlog from
        before the connection existed); returns how many were queued. Those dated inside
        Xero's lock date (read from Xero first) are held back: then the answer is a
        notification naming them."""
        self.ensure_one()
        self._check_ready()
        try:
            self._ensure_fresh_token()
            self._refresh_organisation()
        except XERO_CALL_ERRORS as exc:
            raise UserError(self.env._(
                "Xero did not answer when asked for its lock dates: %s",
                retry.classify(exc).message)) from exc
        moves = self.env["account.move"]
        held = self._documents_inside_lock_date(moves._clarus_xero_backlog(self))
        queued = moves._clarus_xero_queue_backlog(self)
        return self._backlog_notification(queued, held) if held else queued

    def action_import_reference_data(self):
        """One-click import of accounts, tax rates, currencies, tracking, items, contacts."""
        self.ensure_one()
        self._check_ready()
        try:
            self._ensure_fresh_token()
            counts = self.env["clarus.xero.reference"]._import_from_xero(self)
        except XERO_CALL_ERRORS as exc:
            raise UserError(self.env._(
                "Xero did not answer the import: %s", retry.classify(exc).message)) from exc
        self.message_post(
            body=self.env._(
                "Imported from Xero: %s.",
                ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items()),
            )
        )
        return True
