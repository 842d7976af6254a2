"""Mappings Xero would accept: tax rates that apply to the account they code, accounts a
line may be coded to, the organisation's own "no tax" rate, and its lock dates."""

import datetime

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import XeroEmulatorCase

AU_ORG = "Clarus Test Org (AU)"


@tagged("post_install", "-at_install")
class TestMappingRules(XeroEmulatorCase):
    def ref(self, kind, code, conn=None):
        return self.env["clarus.xero.reference"].search([
            ("connection_id", "=", (conn or self.connection).id), ("kind", "=", kind),
            ("code", "=", code)])

    def codes(self, refs):
        return set(refs.mapped("code"))

    def test_sale_tax_takes_only_a_rate_that_applies_to_the_sales_account(self):
        sale_tax = self.company_data["default_tax_sale"].copy({"name": "GST 15% (copy)"})
        mapping = self.env["clarus.xero.mapping"].new({
            "connection_id": self.connection.id, "kind": "tax", "tax_id": sale_tax.id})
        offered = self.codes(mapping.allowed_reference_ids)
        self.assertIn("OUTPUT2", offered)
        self.assertIn("NONE", offered)
        self.assertNotIn("INPUT2", offered, "GST on Expenses cannot code revenue account 200")

        with self.assertRaises(ValidationError) as refused:
            self.env["clarus.xero.mapping"].create({
                "connection_id": self.connection.id, "kind": "tax", "tax_id": sale_tax.id,
                "xero_reference_id": self.ref("tax_rate", "INPUT2").id})
        self.assertIn("GST on Expenses (INPUT2) cannot be used on revenue account 200 Sales",
                      str(refused.exception))

        accepted = self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "tax", "tax_id": sale_tax.id,
            "xero_reference_id": self.ref("tax_rate", "OUTPUT2").id})
        self.assertEqual(accepted.xero_code, "OUTPUT2")
        self.assertFalse(accepted.problem)

        # Changing an existing mapping to a misfit is refused just the same.
        with self.assertRaises(ValidationError):
            accepted.xero_reference_id = self.ref("tax_rate", "INPUT2")

    def test_purchase_tax_is_checked_against_the_expense_account(self):
        purchase_tax = self.company_data["default_tax_purchase"]
        mapping = self.env["clarus.xero.mapping"].new({
            "connection_id": self.connection.id, "kind": "tax", "tax_id": purchase_tax.id})
        offered = self.codes(mapping.allowed_reference_ids)
        self.assertIn("INPUT2", offered)
        self.assertNotIn("OUTPUT2", offered)
        self.assertNotIn("EXEMPTOUTPUT", offered, "an income-only rate")
        with self.assertRaises(ValidationError) as refused:
            self.env["clarus.xero.mapping"].create({
                "connection_id": self.connection.id, "kind": "tax", "tax_id": purchase_tax.id,
                "xero_reference_id": self.ref("tax_rate", "OUTPUT2").id})
        self.assertIn("cannot be used on expense account 310 Cost of Goods Sold",
                      str(refused.exception))

    def test_a_mapping_that_no_longer_fits_says_why(self):
        mapping = self.env["clarus.xero.mapping"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "tax")])
        self.assertEqual(mapping.xero_code, "OUTPUT2")
        self.assertFalse(mapping.problem)
        self.connection.default_sales_account_code = "310"
        mapping.invalidate_recordset(["problem"])
        self.assertIn("cannot be used on expense account 310", mapping.problem)

    def test_account_mapping_refuses_system_and_bank_accounts(self):
        revenue = self.company_data["default_account_revenue"]
        mapping = self.env["clarus.xero.mapping"].new({
            "connection_id": self.connection.id, "kind": "account", "account_id": revenue.id})
        offered = self.codes(mapping.allowed_reference_ids)
        self.assertIn("200", offered)
        self.assertFalse(offered & {"610", "800", "820", "860", "090", "091"}, offered)

        for code, reason in (("610", "system account (DEBTORS)"),
                             ("860", "system account (ROUNDING)"), ("090", "bank account")):
            with self.subTest(code=code), self.assertRaises(ValidationError) as refused:
                self.env["clarus.xero.mapping"].create({
                    "connection_id": self.connection.id, "kind": "account",
                    "account_id": revenue.id,
                    "xero_reference_id": self.ref("account", code).id})
            self.assertIn(reason, str(refused.exception))
        accepted = self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "account", "account_id": revenue.id,
            "xero_reference_id": self.ref("account", "260").id})
        self.assertEqual(accepted.xero_code, "260")

    def test_import_keeps_what_the_rules_need(self):
        input2 = self.ref("tax_rate", "INPUT2")
        self.assertEqual(
            (input2.can_apply_to_revenue, input2.can_apply_to_expenses, input2.status),
            (False, True, "ACTIVE"))
        rounding = self.ref("account", "860")
        self.assertEqual((rounding.system_account, rounding.account_class, rounding.category),
                         ("ROUNDING", "LIABILITY", "CURRLIAB"))
        self.assertEqual(self.ref("account", "310").account_class, "EXPENSE")
        conn = self.connection
        self.assertEqual(conn.xero_country_code, "NZ")
        self.assertEqual(conn.no_tax_type_code, "NONE")
        self.assertFalse(conn.period_lock_date)
        # Xero refuses lines on its Rounding system account (860): no rounding account
        # until finance makes one lines may use; the next import picks it.
        self.assertFalse(conn.rounding_account_code)
        gateway = conn._gateway()
        gateway._call(gateway.accounting, "create_account", conn.tenant_id,
                      {"Code": "865", "Name": "Rounding Adjustments", "Type": "EXPENSE"})
        conn.action_import_reference_data()
        self.assertEqual(conn.rounding_account_code, "865")
        # A choice made on the connection survives the next import.
        conn.rounding_account_code = "260"
        conn.no_tax_rate_id = self.ref("tax_rate", "EXEMPTOUTPUT")
        conn.action_import_reference_data()
        self.assertEqual((conn.rounding_account_code, conn.no_tax_type_code),
                         ("260", "EXEMPTOUTPUT"))

    def test_australian_organisation_has_no_none_rate(self):
        data_2 = self.setup_other_company(name="Clarus AU")
        company_2 = data_2["company"]
        self.env.user.company_ids |= company_2
        conn_2 = self.connect_company(company_2, tenant_name=AU_ORG,
                                      tax=data_2["default_tax_sale"], tax_type="OUTPUT")
        self.assertEqual(conn_2.xero_country_code, "AU")
        self.assertEqual(conn_2.no_tax_type_code, "BASEXCLUDED")
        self.assertFalse(self.ref("tax_rate", "NONE", conn_2))
        self.assertFalse(conn_2.rounding_account_code, "the AU organisation has no rounding "
                                                      "account")
        # The user may choose another zero rate; a new import keeps the choice.
        conn_2.no_tax_rate_id = self.ref("tax_rate", "EXEMPTOUTPUT", conn_2)
        self.assertEqual(conn_2.no_tax_type_code, "EXEMPTOUTPUT")
        conn_2.action_import_reference_data()
        self.assertEqual(conn_2.no_tax_type_code, "EXEMPTOUTPUT")

    def test_moving_to_another_organisation_stops_offering_the_old_one(self):
        conn = self.connection
        mapping = self.env["clarus.xero.mapping"].search([
            ("connection_id", "=", conn.id), ("kind", "=", "tax")])
        self.authorize(conn)
        conn._select_tenant(next(t["tenantId"] for t in conn.available_tenants
                                 if t["tenantName"] == AU_ORG))
        self.assertFalse(conn.no_tax_type_code, "NONE was the NZ organisation's")
        self.assertFalse(conn.rounding_account_code)
        self.enable_company_currency(conn, self.env.company.currency_id.name)
        conn.action_import_reference_data()

        self.assertEqual(conn.no_tax_type_code, "BASEXCLUDED")
        for kind, code in (("tax_rate", "OUTPUT2"), ("tax_rate", "NONE"), ("account", "860")):
            with self.subTest(code=code):
                self.assertFalse(self.ref(kind, code), "no longer offered")
                self.assertFalse(self.ref(kind, code).with_context(active_test=False).search(
                    [("connection_id", "=", conn.id), ("code", "=", code),
                     ("kind", "=", kind)]).active)
        offered = self.codes(self.env["clarus.xero.mapping"].new({
            "connection_id": conn.id, "kind": "tax",
            "tax_id": self.company_data["default_tax_sale"].id}).allowed_reference_ids)
        self.assertEqual(offered, {"OUTPUT", "BASEXCLUDED", "EXEMPTOUTPUT"})
        self.assertIn("no longer in the Xero organisation", mapping.problem)
        mapping.xero_reference_id = self.ref("tax_rate", "OUTPUT")
        self.assertFalse(mapping.problem)


@tagged("post_install", "-at_install")
class TestLockDates(XeroEmulatorCase):
    def make_dated_invoice(self, day):
        move = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.partner_a.id, "invoice_date": day,
            "invoice_line_ids": [Command.create({
                "product_id": self.product_a.id, "quantity": 1, "price_unit": 50.0,
                "tax_ids": [Command.set(self.company_data["default_tax_sale"].ids)]})],
        })
        move.action_post()
        return move

    def test_backlog_holds_back_documents_inside_the_lock_date(self):
        today = fields.Date.today()
        lock = today - datetime.timedelta(days=30)
        self.connection.state = "draft"  # posted before the connection existed
        locked = self.make_dated_invoice(lock - datetime.timedelta(days=10))
        on_the_lock = self.make_dated_invoice(lock)
        open_ = self.make_dated_invoice(today)
        self.assertFalse(self.jobs_for(locked) | self.jobs_for(open_))
        self.connection.state = "connected"

        self.control("POST", "/lock-dates", {"tenant_id": self.connection.tenant_id,
                                             "period_lock_date": lock.isoformat()})
        self.connection.action_import_reference_data()
        self.assertEqual(self.connection.period_lock_date, lock)
        self.assertEqual(self.connection._documents_inside_lock_date(locked | on_the_lock
                                                                     | open_),
                         locked | on_the_lock)

        answer = self.connection.action_queue_posted_invoices()

        self.assertFalse(self.jobs_for(locked) | self.jobs_for(on_the_lock), "not queued")
        self.assertEqual(self.jobs_for(open_, "invoice").state, "pending")
        message = answer["params"]["message"]
        self.assertEqual(answer["params"]["title"], "1 document(s) queued for Xero")
        self.assertIn("2 document(s) not queued", message)
        self.assertIn(locked.name, message)
        self.assertIn(on_the_lock.name, message)
        self.assertNotIn(open_.name, message)
        self.assertIn(lock.isoformat(), message)
        note = self.connection.message_ids[0].body
        self.assertIn(locked.name, note)
        self.assertIn("period lock date", note)

        self.push()
        self.assertTrue(self.xero_invoice(open_))
        self.assertFalse(self.xero_invoice(locked))
        sent = [r for r in self.xero_requests() if r["path"].endswith("/Invoices")]
        self.assertTrue(sent)
        self.assertTrue(all(r["status"] == 200 for r in sent), "nothing Xero would refuse")

    def test_backlog_reads_the_lock_date_set_since_the_last_import(self):
        self.connection.state = "draft"
        old = self.make_dated_invoice(fields.Date.today() - datetime.timedelta(days=40))
        self.connection.state = "connected"
        self.assertFalse(self.connection.period_lock_date)
        lock = fields.Date.today() - datetime.timedelta(days=20)
        self.control("POST", "/lock-dates", {"tenant_id": self.connection.tenant_id,
                                             "end_of_year_lock_date": lock.isoformat()})
        answer = self.connection.action_queue_posted_invoices()
        self.assertIn(old.name, answer["params"]["message"])
        self.assertFalse(self.jobs_for(old))
        self.assertEqual(self.connection.end_of_year_lock_date, lock)
