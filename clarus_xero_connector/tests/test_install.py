from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_module_installed_with_its_dependencies(self):
        module = self.env["ir.module.module"].search([("name", "=", "clarus_xero_connector")])
        self.assertEqual(module.state, "installed")
        deps = set(module.dependencies_id.mapped("name"))
        self.assertTrue({"account", "sale_stock", "purchase_stock"} <= deps)
