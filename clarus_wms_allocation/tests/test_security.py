"""Who may see and change what: roles per model, and each company's own labels and stock."""

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import AllocationCase

ROLES = {
    "user": ["base.group_user"],
    "salesman": ["sales_team.group_sale_salesman"],
    "accounting_manager": ["account.group_account_manager"],
    "stock_user": ["stock.group_stock_user"],
    "stock_manager": ["stock.group_stock_manager"],
    "administrator": ["base.group_system", "stock.group_stock_manager"],
}

# r(ead) w(rite) c(reate) u(nlink) per role, written down here, not read from the CSV.
# Label data is written by the shipment itself; people only read it (and print it).
EXPECTED_ACCESS = {
    "clarus.shipment.label": {"salesman": "r", "stock_user": "r", "stock_manager": "rwcu",
                              "administrator": "rwcu"},
    "clarus.shipment.label.line": {"salesman": "r", "stock_user": "r",
                                   "stock_manager": "rwcu", "administrator": "rwcu"},
    "clarus.stock.position": {"salesman": "r", "stock_user": "r", "stock_manager": "r",
                              "administrator": "r"},
    "clarus.allocation.wizard": {"stock_user": "rwcu", "stock_manager": "rwcu",
                                 "administrator": "rwcu"},
}
OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}
COMPANY_BOUND = ("clarus.shipment.label", "clarus.shipment.label.line", "clarus.stock.position")


@tagged("post_install", "-at_install")
class TestWmsSecurity(AllocationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Clarus WMS B"})
        cls.warehouse_b = cls.env["stock.warehouse"].with_company(cls.company_b).create({
            "name": "Allocation WH B", "code": "ALB", "company_id": cls.company_b.id,
            "clarus_allocation_required": True,
        })
        cls.users = {
            role: new_test_user(
                cls.env, login=f"clarus-wms-sec-{role}", groups=",".join(groups),
                company_id=cls.company_a.id, company_ids=[Command.set(cls.company_a.ids)])
            for role, groups in ROLES.items()
        }

    def _shipped_label(self, company, warehouse, user=None):
        """Ship an allocated order of ``company``; validated by ``user`` when given."""
        env = self.env(context=dict(self.env.context, allowed_company_ids=company.ids))
        self._stock(self.product_a, 5, warehouse)
        order = env["sale.order"].create({
            "partner_id": self.customer.id, "company_id": company.id,
            "warehouse_id": warehouse.id,
            "order_line": [Command.create({"product_id": self.product_a.id,
                                           "product_uom_qty": 2})],
        })
        order.action_confirm()
        order.action_clarus_allocate()
        picking = order.picking_ids
        picking.move_ids.filtered("quantity").picked = True
        if user:
            picking = picking.with_user(user).with_context(allowed_company_ids=company.ids)
        picking.with_context(skip_backorder=True).button_validate()
        return picking.sudo().clarus_shipment_label_ids

    def test_every_model_has_written_expectations(self):
        ours = self.env["ir.model"].search([]).filtered(
            lambda m: "clarus_wms_allocation" in (m.modules or "").split(", ")
            and m.model.startswith("clarus.") and not self.env[m.model]._abstract)
        self.assertEqual(set(ours.mapped("model")), set(EXPECTED_ACCESS))

    def test_access_rights_per_role_and_model(self):
        Access = self.env["ir.model.access"]
        for model, expected in EXPECTED_ACCESS.items():
            for role, user in self.users.items():
                for letter, operation in OPERATIONS.items():
                    with self.subTest(model=model, role=role, operation=operation):
                        self.assertEqual(
                            Access.with_user(user).check(model, operation, False),
                            letter in expected.get(role, ""))

    def test_labels_lines_and_stock_positions_stay_in_their_company(self):
        rules = self.env["ir.rule"].search([("model_id.model", "in", COMPANY_BOUND)])
        for model in COMPANY_BOUND:
            with self.subTest(model=model):
                rule = rules.filtered(lambda r, m=model: r.model_id.model == m)
                self.assertTrue(rule and "company_ids" in rule.domain_force)
        label_a = self._shipped_label(self.company_a, self.warehouse)
        label_b = self._shipped_label(self.company_b, self.warehouse_b)
        self.assertTrue(label_a.line_ids and label_b.line_ids)
        self.assertEqual(label_b.line_ids.company_id, self.company_b)
        self.env["clarus.stock.position"].flush_model()
        for role in ("salesman", "stock_user", "stock_manager", "administrator"):
            user = self.users[role]
            with self.subTest(role=role):
                Label = self.env["clarus.shipment.label"].with_user(user)
                self.assertIn(label_a, Label.search([]))
                self.assertNotIn(label_b, Label.search([]), "another company's address")
                with self.assertRaises(AccessError):
                    label_b.with_user(user).read(["ship_to_address"])
                Line = self.env["clarus.shipment.label.line"].with_user(user)
                self.assertFalse(Line.search([("id", "in", label_b.line_ids.ids)]))
                self.assertTrue(Line.search([("id", "in", label_a.line_ids.ids)]))
                Position = self.env["clarus.stock.position"].with_user(user)
                warehouses = Position.search([]).warehouse_id
                self.assertIn(self.warehouse, warehouses)
                self.assertNotIn(self.warehouse_b, warehouses)
        # A user of both companies sees both.
        both = self.users["stock_user"]
        both.company_ids = [Command.link(self.company_b.id)]
        Label = self.env["clarus.shipment.label"].with_user(both).with_context(
            allowed_company_ids=[self.company_a.id, self.company_b.id])
        self.assertLessEqual(label_a | label_b, Label.search([]))

    def test_a_stock_user_who_ships_records_the_label(self):
        label = self._shipped_label(self.company_a, self.warehouse,
                                    user=self.users["stock_user"])
        self.assertEqual(len(label), 1)
        self.assertEqual(label.line_ids.quantity, 2)
        picking = label.picking_id.with_user(self.users["stock_user"])
        picking.carrier_tracking_ref = "TRK-SEC-1"
        self.assertEqual(label.tracking_reference, "TRK-SEC-1")
