from odoo.tests import HttpCase, tagged

from .common import CLIENT_ID, DEMO_ORG, XeroEmulatorCase


@tagged("post_install", "-at_install")
class TestTours(XeroEmulatorCase, HttpCase):
    """What people do in the Xero screens, clicked through in a real browser.

    Odoo skips these when no Chromium is installed (`.ci/run` installs it)."""

    def setUp(self):
        super().setUp()
        self.env.user.group_ids |= self.env.ref("base.group_system")

    def _tenant_id(self, name):
        return next(t["tenantId"] for t in self.control("GET", "/tenants")["tenants"]
                    if t["tenantName"] == name)

    def test_connect_import_and_map_a_tax(self):
        """From a company without a connection to one connected to the organisation the
        user chose, with reference data imported and a tax mapped."""
        self.connection.action_disconnect()
        self.connection.active = False
        # The addresses of this Xero-compatible server, set as defaults the way an
        # administrator prepares them; the tour types the app's credentials itself.
        for field in ("api_base_url", "identity_base_url", "login_base_url"):
            self.env["ir.default"].set("clarus.xero.connection", field, self.xero_url)
        tax = self.company_data["default_tax_sale"]
        tax.name = "Tour Sales Tax"

        self.start_tour("/odoo", "clarus_xero_connect", login=self.env.user.login, timeout=120)

        conn = self.env["clarus.xero.connection"].search(
            [("company_id", "=", self.env.company.id)])
        self.assertEqual(conn.name, "Xero Tour Company")
        self.assertEqual(conn.sudo().client_id, CLIENT_ID)
        self.assertEqual(conn.state, "connected")
        self.assertEqual(len(conn.available_tenants), 2, "both organisations were offered")
        self.assertEqual((conn.tenant_name, conn.tenant_id),
                         (DEMO_ORG, self._tenant_id(DEMO_ORG)))
        self.assertTrue(self.env["clarus.xero.reference"].search_count(
            [("connection_id", "=", conn.id), ("kind", "=", "tax_rate")]))
        mapping = self.env["clarus.xero.mapping"].search(
            [("connection_id", "=", conn.id), ("kind", "=", "tax")])
        self.assertEqual(mapping.tax_id, tax)
        self.assertEqual(mapping.xero_reference_id.code, "OUTPUT2")
        # The mapping is used: an invoice with that tax now reaches Xero.
        self.connection = conn
        self.enable_company_currency(conn, self.env.company.currency_id.name)
        move = self.make_invoice()
        self.push()
        self.assertEqual(self.jobs_for(move, "invoice").state, "done")
        self.assertEqual(self.xero_invoice(move)["LineItems"][0]["TaxType"], "OUTPUT2")

    def test_error_center_fix_retry_and_send(self):
        """A job failed for an unmapped tax: the user finds it with its reason, opens the
        invoice, maps the tax, retries, runs the queue now, and finds it done."""
        tax = self.company_data["default_tax_sale"].copy({"name": "Unmapped GST"})
        move = self.make_invoice(post=False)
        move.invoice_line_ids.tax_ids = tax
        move.action_post()
        self.push()
        job = self.jobs_for(move, "invoice")
        self.assertEqual(job.state, "failed")
        self.assertIn("has no Xero tax rate", job.error_message)

        self.start_tour("/odoo", "clarus_xero_error_center", login=self.env.user.login,
                        timeout=180)

        self.env.invalidate_all()
        mapping = self.env["clarus.xero.mapping"].search([("tax_id", "=", tax.id)])
        self.assertEqual(mapping.xero_reference_id.code, "OUTPUT2")
        self.assertEqual(job.state, "done")
        self.assertEqual(self.xero_invoice(move)["LineItems"][0]["TaxType"], "OUTPUT2")
