from odoo.tests import HttpCase, tagged

from .common import XeroEmulatorCase

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
    """The pages people use load in a real browser without a JavaScript error.

    Odoo skips this when no Chromium is installed (`.ci/run` installs it)."""

    def test_pages_render_without_errors(self):
        move = self.make_invoice()
        bad = self.make_invoice(post=False)
        bad.invoice_line_ids.tax_ids = self.company_data["default_tax_sale"].copy({"name": "X"})
        bad.action_post()
        self.push()
        self.env.user.group_ids |= self.env.ref("base.group_system") | self.env.ref(
            "stock.group_stock_manager") | self.env.ref("sales_team.group_sale_manager")
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
