"""Who may see and change what: roles, companies, secrets, addresses, status widgets."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import requests

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from clarus_sync_engine.retry import InvalidGrant
from clarus_xero_emulator.server import start_server

from ..controllers.webhook import MAX_WEBHOOK_BYTES
from ..models.clarus_xero_connection import URL_FIELDS
from .common import CLIENT_ID, CLIENT_SECRET, XeroEmulatorCase

# Roles, as groups. A real administrator also keeps the books: the administrator here
# has both, as Odoo's own admin user does.
ROLES = {
    "user": ["base.group_user"],
    "billing": ["account.group_account_invoice"],
    "accounting_manager": ["account.group_account_manager"],
    "stock_user": ["stock.group_stock_user"],
    "buyer": ["purchase.group_purchase_user"],
    "administrator": ["base.group_system", "account.group_account_manager"],
}

# What each role may do with each model of the connector: r(ead) w(rite) c(reate)
# u(nlink). Written down here on purpose, not read back from ir.model.access.csv.
EXPECTED_ACCESS = {
    "clarus.xero.connection": {"billing": "r", "accounting_manager": "rwcu",
                               "administrator": "rwcu"},
    "clarus.xero.job": {"billing": "rw", "accounting_manager": "rwcu", "administrator": "rwcu"},
    "clarus.xero.binding": {"billing": "r", "accounting_manager": "rwcu",
                            "administrator": "rwcu"},
    "clarus.xero.reference": {"billing": "r", "accounting_manager": "rwcu",
                              "administrator": "rwcu"},
    "clarus.xero.mapping": {"billing": "r", "accounting_manager": "rwcu",
                            "administrator": "rwcu"},
    "clarus.xero.api.usage": {"billing": "r", "accounting_manager": "r", "administrator": "r"},
    "clarus.xero.webhook.event": {"billing": "r", "accounting_manager": "r",
                                  "administrator": "r"},
    "clarus.xero.tenant.wizard": {"accounting_manager": "rwcu", "administrator": "rwcu"},
    # Only accounting managers import contacts and items from Xero.
    "clarus.xero.import.wizard": {"accounting_manager": "rwcu", "administrator": "rwcu"},
    "clarus.xero.import.wizard.line": {"accounting_manager": "rwcu",
                                       "administrator": "rwcu"},
    # Whoever confirms a purchase order answers the dialog about its products missing in
    # Xero.
    "clarus.xero.missing.items.wizard": {"buyer": "rwc"},
    "clarus.xero.pacing": {"billing": "r", "accounting_manager": "r", "administrator": "r"},
    "clarus.xero.payment.link": {"billing": "r", "accounting_manager": "rwcu",
                                 "administrator": "rwcu"},
    "clarus.xero.stock.journal": {"billing": "r", "accounting_manager": "rwcu",
                                  "administrator": "rwcu"},
    # Stock users and billing users read stock checks; stock managers correct Xero from
    # them (through the job queue, not by writing them).
    "clarus.xero.stock.reconciliation": {"billing": "r", "stock_user": "r",
                                         "accounting_manager": "rwcu",
                                         "administrator": "rwcu"},
    "clarus.xero.stock.reconciliation.line": {"billing": "r", "stock_user": "r",
                                              "accounting_manager": "rwcu",
                                              "administrator": "rwcu"},
    # Billing users decide contact conflicts; the sync opens them.
    "clarus.xero.conflict": {"billing": "rw", "accounting_manager": "rwcu",
                             "administrator": "rwcu"},
}
OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}
# Company-bound models: a user sees only the records of their companies.
COMPANY_BOUND = ("clarus.xero.connection", "clarus.xero.job", "clarus.xero.binding",
                 "clarus.xero.pacing", "clarus.xero.payment.link", "clarus.xero.conflict",
                 "clarus.xero.reference", "clarus.xero.mapping", "clarus.xero.api.usage",
                 "clarus.xero.webhook.event", "clarus.xero.stock.journal",
                 "clarus.xero.stock.reconciliation", "clarus.xero.stock.reconciliation.line")
# Readable by administrators only; nobody else reads them, even in a list or an export.
SECRET_FIELDS = ("client_id", "client_secret", "webhook_key", "access_token", "refresh_token",
                 "token_expires_at", "oauth_state", "oauth_code_verifier", "oauth_user_id")
# Where the secrets go, and what the consent covers: administrators only.
ADMIN_ONLY_FIELDS = (*URL_FIELDS, "scope")


class SecurityCase(XeroEmulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Clarus Security B"})
        cls.users = {
            role: new_test_user(
                cls.env, login=f"clarus-sec-{role}", groups=",".join(groups),
                company_id=cls.env.company.id, company_ids=[Command.set(cls.env.company.ids)])
            for role, groups in ROLES.items()
        }

    def records_of_company_b(self):
        """One record of every company-bound model, in the second company."""
        env = self.env(su=True)
        conn = env["clarus.xero.connection"].create({
            "name": "Xero B", "company_id": self.company_b.id, "state": "connected",
            "tenant_id": "tenant-b", "client_secret": "secret-b",
        })
        partner = env["res.partner"].create({"name": "Shared customer"})
        reference = env["clarus.xero.reference"].create({
            "connection_id": conn.id, "kind": "account", "code": "B200", "name": "B sales"})
        recon = env["clarus.xero.stock.reconciliation"].create({"connection_id": conn.id})
        return {
            "clarus.xero.connection": conn,
            "clarus.xero.job": env["clarus.xero.job"].create({
                "connection_id": conn.id, "res_model": "res.partner", "res_id": partner.id,
                "kind": "contact", "dedupe_key": f"sec-b-{partner.id}", "state": "failed",
                "error_message": "Company B's private error",
            }),
            "clarus.xero.binding": env["clarus.xero.binding"].create({
                "connection_id": conn.id, "res_model": "res.partner", "res_id": partner.id,
                "xero_id": "xero-b-1", "xero_number": "B-0001",
            }),
            "clarus.xero.reference": reference,
            "clarus.xero.mapping": env["clarus.xero.mapping"].create({
                "connection_id": conn.id, "kind": "account",
                "xero_reference_id": reference.id}),
            "clarus.xero.api.usage": env["clarus.xero.api.usage"].create({
                "connection_id": conn.id, "calls": 3}),
            "clarus.xero.pacing": env["clarus.xero.pacing"].create({
                "connection_id": conn.id, "calls_today": 7}),
            "clarus.xero.payment.link": env["clarus.xero.payment.link"].create({
                "connection_id": conn.id, "origin": "xero", "amount": 10.0,
                "xero_payment_id": "xero-payment-b"}),
            "clarus.xero.webhook.event": env["clarus.xero.webhook.event"].create({
                "connection_id": conn.id, "category": "INVOICE", "resource_id": "r-b",
                "event_date": "2026-11-23T10:00:00"}),
            "clarus.xero.stock.journal": env["clarus.xero.stock.journal"].create({
                "connection_id": conn.id, "date": "2026-11-23", "mode": "daily"}),
            "clarus.xero.stock.reconciliation": recon,
            "clarus.xero.stock.reconciliation.line": env[
                "clarus.xero.stock.reconciliation.line"].create({
                    "reconciliation_id": recon.id, "company_id": self.company_b.id,
                    "code": "B-ITEM", "odoo_qty": 3.0, "xero_qty": 2.0}),
            "clarus.xero.conflict": env["clarus.xero.conflict"].create({
                "connection_id": conn.id, "partner_id": partner.id, "field": "phone",
                "odoo_value": "B's private number", "xero_value": "B's other number"}),
        }


@tagged("post_install", "-at_install")
class TestAccessMatrix(SecurityCase):
    def test_every_model_has_written_expectations(self):
        ours = self.env["ir.model"].search([]).filtered(
            lambda m: "clarus_xero_connector" in (m.modules or "").split(", ")
            and m.model.startswith("clarus.") and not self.env[m.model]._abstract)
        self.assertEqual(set(ours.mapped("model")), set(EXPECTED_ACCESS),
                         "a model without written access expectations, or one that vanished")

    def test_access_rights_per_role_and_model(self):
        Access = self.env["ir.model.access"]
        for model, expected in EXPECTED_ACCESS.items():
            for role, user in self.users.items():
                allowed = expected.get(role, "")
                for letter, operation in OPERATIONS.items():
                    with self.subTest(model=model, role=role, operation=operation):
                        self.assertEqual(
                            Access.with_user(user).check(model, operation, False),
                            letter in allowed)

    def test_company_bound_models_hide_the_other_company(self):
        rules = self.env["ir.rule"].sudo().search([("model_id.model", "in", COMPANY_BOUND)])
        for model in COMPANY_BOUND:
            with self.subTest(model=model):
                rule = rules.filtered(lambda r, m=model: r.model_id.model == m)
                self.assertTrue(rule and "company_ids" in rule.domain_force)
        b_records = self.records_of_company_b()
        for role in ("billing", "accounting_manager", "administrator"):
            user = self.users[role]
            for model, record in b_records.items():
                with self.subTest(role=role, model=model):
                    self.assertFalse(self.env[model].with_user(user).search(
                        [("id", "=", record.id)]), "another company's record is hidden")
                    with self.assertRaises(AccessError):
                        record.with_user(user).read(["id"])
        # Once the second company is theirs, the same records show.
        manager = self.users["accounting_manager"]
        manager.company_ids = [Command.link(self.company_b.id)]
        conn_b = b_records["clarus.xero.connection"]
        visible = self.env["clarus.xero.connection"].with_user(manager).with_context(
            allowed_company_ids=[self.env.company.id, self.company_b.id]).search([])
        self.assertIn(conn_b, visible)

    def test_only_administrators_read_secrets_or_change_addresses(self):
        conn = self.connection
        for role, user in self.users.items():
            as_user = conn.with_user(user)
            can = role == "administrator"
            for name in SECRET_FIELDS:
                with self.subTest(role=role, field=name):
                    if can:
                        as_user.read([name])
                    else:
                        with self.assertRaises(AccessError):
                            as_user.read([name])
            for name in ADMIN_ONLY_FIELDS:
                with self.subTest(role=role, field=name, op="write"):
                    if can:
                        continue  # shown below: a change is allowed and drops the tokens
                    with self.assertRaises(AccessError):
                        as_user.write({name: "https://attacker.example.com"})
        # Nothing above changed where Xero is reached.
        self.assertEqual(conn.sudo().identity_base_url, self.xero_url)
        self.assertTrue(conn.sudo().refresh_token)

    def test_secrets_do_not_leak_through_search_read_or_export(self):
        manager = self.users["accounting_manager"]
        Connection = self.env["clarus.xero.connection"].with_user(manager)
        with self.assertRaises(AccessError):
            Connection.search_read([], ["refresh_token"])
        with self.assertRaises(AccessError):
            Connection.search([("client_secret", "!=", False)])
        hidden = set(SECRET_FIELDS) | set(ADMIN_ONLY_FIELDS)
        self.assertFalse(hidden & set(Connection.fields_get()), "not even described")


@tagged("post_install", "-at_install")
class TestAddressChange(SecurityCase):
    def setUp(self):
        super().setUp()
        # Another server that must never receive the secret on the old consent.
        self.other = start_server(port=0)
        self.addCleanup(self.other.stop)

    def other_requests(self):
        return requests.get(f"{self.other.base_url}/_emulator/requests?limit=1000",
                            timeout=10).json()["requests"]

    def test_a_new_identity_address_drops_the_tokens_and_asks_for_consent(self):
        conn = self.connection.sudo()
        conn.with_user(self.users["administrator"]).write(
            {"identity_base_url": self.other.base_url})
        self.assertEqual(conn.state, "needs_reauth")
        self.assertFalse(conn.access_token or conn.refresh_token or conn.token_expires_at)
        self.assertIn("addresses of this connection changed", conn.last_error)
        self.assertIn("re-authorisation needed", conn.message_ids[0].body)
        # Nothing that refreshes sends anything anywhere until someone consents again.
        with self.assertRaises(InvalidGrant):
            conn._ensure_fresh_token(force=True)
        conn.last_refresh_at = fields.Datetime.now() - timedelta(days=30)
        self.env["clarus.xero.connection"]._cron_keep_alive()
        self.make_invoice()
        self.env["clarus.xero.push"]._run_all()
        self.assertFalse(self.other_requests(), "the secret never went to the new address")

    def test_every_address_counts_and_an_unchanged_one_does_not(self):
        conn = self.connection.sudo()
        token = conn.refresh_token
        conn.write({"api_base_url": self.xero_url, "name": "Renamed"})
        self.assertEqual((conn.state, conn.refresh_token), ("connected", token))
        for name in URL_FIELDS:
            with self.subTest(field=name):
                self.authorize(conn)
                conn._select_tenant(conn.tenant_id)
                self.assertTrue(conn.refresh_token)
                conn.write({name: self.other.base_url})
                self.assertEqual(conn.state, "needs_reauth")
                self.assertFalse(conn.refresh_token)
                conn.write({name: self.xero_url})

    def test_a_pending_authorisation_dies_with_the_old_address(self):
        conn = self.connection.sudo()
        state = conn.action_authorize() and conn.oauth_state
        conn.write({"login_base_url": self.other.base_url})
        self.assertFalse(self.env["clarus.xero.connection"]._find_by_oauth_state(state))


@tagged("post_install", "-at_install")
class TestStatusWidgetCompanies(SecurityCase):
    def test_another_companys_error_does_not_show(self):
        b_records = self.records_of_company_b()
        job_b = b_records["clarus.xero.job"]
        partner = self.env["res.partner"].browse(job_b.res_id)
        manager = self.users["accounting_manager"]
        seen = partner.with_user(manager)
        self.assertFalse(seen.clarus_xero_last_error)
        self.assertNotEqual(seen.clarus_xero_sync_state, "error")
        self.assertEqual(seen.clarus_xero_job_count, 0)
        self.assertFalse(seen.clarus_xero_number, "company B's binding is not shown either")
        # A user of both companies, working in B, sees B's error.
        manager.company_ids = [Command.link(self.company_b.id)]
        partner.invalidate_recordset()
        in_b = partner.with_user(manager).with_context(
            allowed_company_ids=[self.company_b.id, self.env.company.id])
        self.assertEqual(in_b.clarus_xero_last_error, "Company B's private error")
        self.assertEqual(in_b.clarus_xero_sync_state, "error")


KEY = "security-webhook-key"


def sign(body, key=KEY):
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


@tagged("post_install", "-at_install")
class TestEndpointsRefuse(SecurityCase, HttpCase):
    def setUp(self):
        super().setUp()
        self.connection.sudo().webhook_key = KEY
        self.url = f"/clarus_xero/webhook/{self.connection.id}"

    def stored_events(self):
        return self.env["clarus.xero.webhook.event"].sudo().search_count(
            [("connection_id", "=", self.connection.id)])

    def post(self, body, signature):
        return self.url_open(self.url, data=body, headers={
            "x-xero-signature": signature, "Content-Type": "application/json"})

    def event(self, **overrides):
        return {"resourceUrl": "https://api.xero.com/x", "resourceId": "inv-1",
                "eventDateUtc": "2026-11-23T10:00:00.000", "eventType": "UPDATE",
                "eventCategory": "INVOICE", "tenantId": self.connection.tenant_id,
                "tenantType": "ORGANISATION", **overrides}

    def test_webhook_refuses_bad_signature_malformed_and_oversized_bodies(self):
        body = json.dumps({"events": [self.event()]}).encode()
        self.assertEqual(self.post(body, sign(body, "wrong-key")).status_code, 401)
        self.assertEqual(self.post(body, "").status_code, 401)
        malformed = b'{"events": [{"resourceId": '
        answer = self.post(malformed, sign(malformed))
        self.assertEqual(answer.status_code, 400)
        self.assertIn("not valid JSON", answer.text)
        half_good = json.dumps({"events": [
            self.event(), self.event(resourceId=None, eventDateUtc="2026-11-23T11:00:00")]}
        ).encode()
        answer = self.post(half_good, sign(half_good))
        self.assertEqual(answer.status_code, 400)
        self.assertIn("resourceId", answer.text)
        not_events = b'{"events": "everything"}'
        self.assertEqual(self.post(not_events, sign(not_events)).status_code, 400)
        huge = json.dumps({"events": [self.event()], "padding": "x" * MAX_WEBHOOK_BYTES}).encode()
        self.assertEqual(self.post(huge, sign(huge)).status_code, 413)
        self.assertEqual(self.stored_events(), 0, "nothing of a refused body is stored")
        # The same delivery, well formed and signed, is stored: the refusals above were real.
        self.assertEqual(self.post(body, sign(body)).status_code, 200)
        self.assertEqual(self.stored_events(), 1)

    def consent(self, conn, user):
        url = conn.with_user(user).action_authorize()["url"]
        answer = requests.get(url, allow_redirects=False, timeout=10)
        query = parse_qs(urlparse(answer.headers["Location"]).query)
        return query["code"][0], query["state"][0]

    def token_posts(self):
        return sum(1 for r in self.xero_requests() if r["path"] == "/connect/token")

    def test_oauth_callback_refuses_another_users_state(self):
        conn = self.connection.sudo()
        access = conn.access_token
        code, state = self.consent(self.connection, self.users["administrator"])
        intruder = self.users["accounting_manager"]
        self.authenticate(intruder.login, intruder.login)
        before = self.token_posts()
        answer = self.url_open(f"/clarus_xero/oauth/callback?code={code}&state={state}",
                               allow_redirects=False)
        self.assertEqual(answer.status_code, 403)
        self.assertIn("started by another user", answer.text)
        self.assertEqual(self.token_posts(), before, "the code was not exchanged")
        conn.invalidate_recordset()
        self.assertEqual((conn.access_token, conn.oauth_state), (access, state),
                         "nothing changed: the user who started it can still finish")

    def test_oauth_callback_refuses_another_companys_state(self):
        conn_b = self.env["clarus.xero.connection"].create({
            "name": "Xero B", "company_id": self.company_b.id,
            "api_base_url": self.xero_url, "identity_base_url": self.xero_url,
            "login_base_url": self.xero_url, "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        })
        manager = self.users["accounting_manager"]
        manager.company_ids = [Command.link(self.company_b.id)]
        code, state = self.consent(
            conn_b.with_context(allowed_company_ids=[self.company_b.id]), manager)
        manager.company_ids = [Command.unlink(self.company_b.id)]
        self.authenticate(manager.login, manager.login)
        before = self.token_posts()
        answer = self.url_open(f"/clarus_xero/oauth/callback?code={code}&state={state}",
                               allow_redirects=False)
        self.assertEqual(answer.status_code, 403)
        self.assertIn("company you do not work for", answer.text)
        self.assertEqual(self.token_posts(), before)
        conn_b.invalidate_recordset()
        self.assertEqual(conn_b.state, "draft")
        self.assertFalse(conn_b.sudo().access_token)
