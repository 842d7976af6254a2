"""Shared setup: a real Xero emulator on 127.0.0.1 and a company connected to it.

The connection is made the way a user makes it (authorisation-code flow with PKCE and
state), only without a browser: the emulator consents at once and redirects back.
"""

import os
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import requests

from odoo import SUPERUSER_ID, Command, api, fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from clarus_xero_emulator.server import start_server

CLIENT_ID = "clarus-demo-client"
CLIENT_SECRET = "clarus-demo-secret"
DEMO_ORG = "Clarus Demo Company (NZ)"


def spec_path():
    path = os.environ.get("XERO_OPENAPI_SPEC")
    return path if path and os.path.exists(path) else None


def connect_company(env, xero_url, company, tenant_name, tax, tax_type):
    """Connect ``company`` to the emulator's organisation ``tenant_name`` as a user does:
    authorise, choose the organisation, import reference data, map ``tax``."""
    conn = env["clarus.xero.connection"].create({
        "name": f"Xero {company.name}",
        "company_id": company.id,
        "api_base_url": xero_url,
        "identity_base_url": xero_url,
        "login_base_url": xero_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "default_sales_account_code": "200",
    })
    authorize(conn)
    tenant = next(t for t in conn.available_tenants if t["tenantName"] == tenant_name)
    if conn.state == "choose_tenant":
        conn._select_tenant(tenant["tenantId"])
    enable_currency(conn, company.currency_id.name)
    conn.action_import_reference_data()
    map_tax(conn, tax, tax_type)
    return conn


def authorize(conn):
    """The authorisation-code flow, followed without a browser: the emulator consents
    at once and redirects back with the code and the state."""
    action = conn.action_authorize()
    consent = requests.get(action["url"], allow_redirects=False, timeout=10)
    assert consent.status_code in (302, 303), consent.text
    query = parse_qs(urlparse(consent.headers["Location"]).query)
    found = conn.env["clarus.xero.connection"]._find_by_oauth_state(query["state"][0])
    assert found == conn, "the state that came back must identify this connection"
    found._complete_authorization(query["code"][0])


def enable_currency(conn, code):
    """Xero's demo org has NZD and AUD; add the test company's currency as a user would."""
    gateway = conn._gateway()
    gateway._call(gateway.accounting, "create_currency", conn.tenant_id,
                  {"Code": code, "Description": code})


def map_tax(conn, tax, tax_type):
    ref = conn.env["clarus.xero.reference"].search(
        [("connection_id", "=", conn.id), ("kind", "=", "tax_rate"), ("code", "=", tax_type)]
    )
    return conn.env["clarus.xero.mapping"].create(
        {"connection_id": conn.id, "kind": "tax", "tax_id": tax.id,
         "xero_reference_id": ref.id}
    )


class XeroEmulatorCase(AccountTestInvoicingCommon):
    """An emulator per test class, reset per test; the company connected to its demo org."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = start_server(port=0, spec_path=spec_path(), minute_limit=10000,
                                    day_limit=100000)
        cls.addClassCleanup(cls.emulator.stop)
        cls.xero_url = cls.emulator.base_url

    # A token refresh commits in a transaction of its own (``registry.cursor()``); in a
    # TransactionCase that cursor must wrap the test's, or it would not see the test data.
    # Classes that race real transactions turn this off.
    registry_test_mode = True

    def setUp(self):
        super().setUp()
        if self.registry_test_mode and not type(self)._registry_patched:
            self.registry_enter_test_mode()
        self.control("POST", "/reset", {"seed": True})
        self.connection = self.connect_company(self.env.company)

    # ------------------------------------------------------------ emulator

    def control(self, method, path, body=None):
        response = requests.request(method, f"{self.xero_url}/_emulator{path}", json=body,
                                    timeout=10)
        response.raise_for_status()
        return response.json()

    def xero_documents(self, collection):
        tenant = self.connection.tenant_id
        return self.control("GET", f"/documents/{collection}?tenant={tenant}")["records"]

    def xero_requests(self):
        return self.control("GET", "/requests?limit=1000")["requests"]

    def calls_total(self):
        return self.control("GET", "/calls")["total"]

    # ------------------------------------------------------------ connecting

    def connect_company(self, company, tenant_name=DEMO_ORG, tax=None, tax_type="OUTPUT2"):
        return connect_company(self.env, self.xero_url, company, tenant_name,
                               tax or self.company_data["default_tax_sale"], tax_type)

    def connect_australian_company(self):
        """A second company, connected to the emulator's Australian organisation, with
        its sale tax at 10% (Xero's OUTPUT rate there)."""
        data = self.setup_other_company(name="Clarus AU")
        self.env.user.company_ids |= data["company"]
        conn = self.connect_company(data["company"], tenant_name="Clarus Test Org (AU)",
                                    tax=data["default_tax_sale"], tax_type="OUTPUT")
        data["default_tax_sale"].amount = 10.0
        return data, conn

    def make_invoice_in(self, company_data, partner, price=80.0):
        """A posted one-line service invoice in another company (``company_data``)."""
        company = company_data["company"]
        move = self.env["account.move"].with_company(company).create({
            "move_type": "out_invoice", "partner_id": partner.id,
            "invoice_date": fields.Date.today(), "company_id": company.id,
            "invoice_line_ids": [Command.create({
                "name": "Consulting", "quantity": 1, "price_unit": price,
                "tax_ids": [Command.set(company_data["default_tax_sale"].ids)]})],
        })
        move.action_post()
        return move

    def committed_copy_of_connection(self, name):
        """An inactive copy of the test connection, committed in its own transaction with
        an expired access token, for tests that race or roll back real transactions.
        Returns its id."""
        source = self.connection.sudo()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            conn = env["clarus.xero.connection"].create({
                "name": name, "active": False,
                "company_id": self.env.ref("base.main_company").id,
                "api_base_url": self.xero_url, "identity_base_url": self.xero_url,
                "login_base_url": self.xero_url, "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET, "state": "connected",
                "tenant_id": source.tenant_id, "access_token": source.access_token,
                "refresh_token": source.refresh_token,
                "token_expires_at": fields.Datetime.now() - timedelta(minutes=1),
            })
            return conn.id

    def authorize(self, conn):
        authorize(conn)

    def enable_company_currency(self, conn, code):
        enable_currency(conn, code)

    def map_tax(self, conn, tax, tax_type):
        return map_tax(conn, tax, tax_type)

    # ---------------------------------------------------------- documents

    def make_invoice(self, partner=None, lines=None, post=True, move_type="out_invoice", **vals):
        lines = lines or [(self.product_a, 2, 100.0)]
        move = self.env["account.move"].create({
            "move_type": move_type,
            "partner_id": (partner or self.partner_a).id,
            "invoice_date": fields.Date.today(),
            "invoice_line_ids": [
                Command.create({
                    "product_id": product.id,
                    "quantity": qty,
                    "price_unit": price,
                    "tax_ids": [Command.set(self.company_data["default_tax_sale"].ids)],
                })
                for product, qty, price in lines
            ],
            **vals,
        })
        if post:
            move.action_post()
        return move

    def push(self, **kwargs):
        return self.env["clarus.xero.push"]._run(self.connection, **kwargs)

    def jobs_for(self, record, kind=None):
        domain = [("res_model", "=", record._name), ("res_id", "=", record.id)]
        if kind:
            domain.append(("kind", "=", kind))
        return self.env["clarus.xero.job"].search(domain)

    def xero_invoice(self, move):
        return next(
            (i for i in self.xero_documents("Invoices") if i["InvoiceNumber"] == move.name), None
        )
