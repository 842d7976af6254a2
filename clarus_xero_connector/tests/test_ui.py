from datetime import timedelta

import requests

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import CLIENT_ID, CLIENT_SECRET, XeroEmulatorCase

PAGES = [
    "/odoo/action-clarus_xero_connector.clarus_xero_connection_action_dashboard",
    "/odoo/action-clarus_xero_connector.clarus_xero_job_action_errors",
    "/odoo/action-clarus_xero_connector.clarus_xero_job_action_history",
    "/odoo/action-clarus_xero_connector.clarus_xero_mapping_action",
]
WAREHOUSE_PAGES = [
    "/odoo/action-clarus_wms_allocation.sale_order_board_action",
    "/odoo/action-clarus_wms_allocation.clarus_stock_position_action",
    "/odoo/action-clarus_wms_allocation.sale_order_line_exception_action",
]


@tagged("post_install", "-at_install")
class TestUi(XeroEmulatorCase, HttpCase):
    """The pages people use load in a real browser without a JavaScript error, and show
    what they are for: the failed job with its reason, the re-authorisation banner.

    Odoo skips this when no Chromium is installed (`.ci/run` installs it)."""

    def setUp(self):
        super().setUp()
        self.env.user.group_ids |= self.env.ref("base.group_system") | self.env.ref(
            "stock.group_stock_manager") | self.env.ref("sales_team.group_sale_manager")

    def _failed_invoice(self):
        bad = self.make_invoice(post=False)
        bad.invoice_line_ids.tax_ids = self.company_data["default_tax_sale"].copy({"name": "X"})
        bad.action_post()
        return bad

    def test_pages_render_without_errors(self):
        move = self.make_invoice()
        bad = self._failed_invoice()
        self.push()
        connection_form = "/odoo/action-clarus_xero_connector.clarus_xero_connection_action"
        if "clarus.stock.position" in self.env:
            pages = PAGES + WAREHOUSE_PAGES
        else:
            pages = list(PAGES)
        pages += [
            f"{connection_form}/{self.connection.id}",
            f"/odoo/action-account.action_move_out_invoice_type/{bad.id}",
            f"/odoo/action-account.action_move_out_invoice_type/{move.id}",
        ]
        for url in pages:
            self.browser_js(
                url,
                "setTimeout(() => console.log('test successful'), 1500)",
                ready="odoo.isReady",
                login=self.env.user.login,
                timeout=60,
            )

    def test_error_center_lists_the_failed_job_with_its_reason(self):
        sent = self.make_invoice()
        bad = self._failed_invoice()
        self.push()
        self.assertEqual(self.jobs_for(sent, "invoice").state, "done")
        self.assertEqual(self.jobs_for(bad, "invoice").state, "failed")
        self.start_tour("/odoo/action-clarus_xero_connector.clarus_xero_job_action_errors",
                        "clarus_xero_errors_page", login=self.env.user.login)

    def test_connection_needing_reauthorisation_says_so(self):
        conn = self.connection.sudo()
        # Xero refuses the stored refresh token the next time it is used.
        requests.post(f"{self.xero_url}/connect/revocation", data={"token": conn.refresh_token},
                      auth=(CLIENT_ID, CLIENT_SECRET), timeout=10).raise_for_status()
        conn.token_expires_at = fields.Datetime.now() - timedelta(minutes=1)
        move = self.make_invoice()
        self.push()
        self.assertEqual(conn.state, "needs_reauth")
        self.start_tour(
            f"/odoo/action-clarus_xero_connector.clarus_xero_connection_action/{conn.id}",
            "clarus_xero_reauth_banner", login=self.env.user.login)
        self.start_tour(f"/odoo/action-account.action_move_out_invoice_type/{move.id}",
                        "clarus_xero_invoice_reauth_banner", login=self.env.user.login)
