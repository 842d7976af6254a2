from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_module_installed_with_its_dependencies(self):
        module = self.env["ir.module.module"].search([("name", "=", "clarus_wms_allocation")])
        self.assertEqual(module.state, "installed")
        self.assertIn("sale_stock", module.dependencies_id.mapped("name"))
