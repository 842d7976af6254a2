"""Stock against Xero: Odoo's stock beside Xero's tracked items, differences shown, and
Xero brought back to Odoo by the stock engine's documents."""

from datetime import timedelta

import requests

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import XeroEmulatorCase


@tagged("post_install", "-at_install")
class TestStockReconciliation(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        self.env.user.group_ids |= self.env.ref("stock.group_stock_manager")
        self.connection.write({"tracked_items": True, "stock_adjustment_account_code": "312"})
        self.warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1)
        self.bolt = self.make_product("BOLT-R", cost=2.5)
        self.nut = self.make_product("NUT-R", cost=0.4)
        self.Recon = self.env["clarus.xero.stock.reconciliation"]
        # The demo organisation keeps its books in NZD; the company in USD. Odoo's rate
        # is Xero's here (the emulator's fixed cross rate), so values meet to the cent.
        nzd = self.env.ref("base.NZD")
        nzd.active = True
        self.env["res.currency.rate"].create({
            "currency_id": nzd.id, "company_id": self.env.company.id,
            "name": fields.Date.today(), "rate": 1 / 0.6})

    # ---------------------------------------------------------------- helpers

    def make_product(self, code, cost):
        return self.env["product.product"].create({
            "name": f"Product {code}", "default_code": code, "is_storable": True,
            "standard_price": cost, "type": "consu"})

    def count(self, counts):
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        location = self.warehouse.lot_stock_id
        quants = Quant.browse()
        for product, quantity in counts.items():
            quant = Quant.search([("product_id", "=", product.id),
                                  ("location_id", "=", location.id)], limit=1)
            if quant:
                quant.inventory_quantity = quantity
            else:
                quant = Quant.create({"product_id": product.id, "location_id": location.id,
                                      "inventory_quantity": quantity})
            quants |= quant
        quants.action_apply_inventory()

    def push_until_done(self, rounds=20):
        Job = self.env["clarus.xero.job"]
        for _round in range(rounds):
            Job.search([("state", "=", "pending")]).write(
                {"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
            Job._requeue_stuck(older_than=timedelta(0))
            self.push()
            if not Job.search_count([("state", "in", ("pending", "running"))]):
                return
        self.fail("the queue did not drain")

    def item(self, product):
        return next(i for i in self.xero_documents("Items")
                    if i["Code"] == product.default_code)

    def bill_entered_in_xero(self, product, quantity, unit_amount):
        """A bill a person enters straight in Xero: Odoo knows nothing of it."""
        conn = self.connection.sudo()
        contact = self.env["clarus.xero.binding"]._get(conn, self.env.company.partner_id)
        answer = requests.put(
            f"{conn.api_base_url.rstrip('/')}/api.xro/2.0/Invoices", timeout=10,
            headers={"Authorization": f"Bearer {conn.access_token}",
                     "xero-tenant-id": conn.tenant_id, "Accept": "application/json"},
            json={"Invoices": [{
                "Type": "ACCPAY", "Contact": {"ContactID": contact.xero_id},
                "Date": fields.Date.today().isoformat(),
                "DueDate": fields.Date.today().isoformat(), "Status": "AUTHORISED",
                "LineAmountTypes": "NoTax", "InvoiceNumber": "PERSON-1",
                "LineItems": [{"ItemCode": product.default_code, "Quantity": quantity,
                               "UnitAmount": unit_amount, "AccountCode": "630"}]}]})
        self.assertEqual(answer.status_code, 200, answer.text)

    def line(self, run, product):
        return run.line_ids.filtered(lambda rec: rec.product_id == product)

    # ------------------------------------------------------------------ tests

    def test_after_tracked_adjustments_nothing_differs(self):
        self.count({self.bolt: 8, self.nut: 20})
        self.push_until_done()
        self.count({self.bolt: 5})
        self.push_until_done()
        run = self.Recon._check(self.connection)
        self.assertEqual((run.mode, run.base_currency), ("tracked", "NZD"))
        bolt = self.line(run, self.bolt)
        self.assertEqual((bolt.odoo_qty, bolt.xero_qty), (5, 5))
        # 5 at 2.50 USD, in NZD.
        self.assertAlmostEqual(bolt.odoo_value, 20.83, places=2)
        self.assertAlmostEqual(bolt.xero_value, 20.83, places=2)
        self.assertEqual(self.line(run, self.nut).xero_qty, 20)
        self.assertFalse(run.line_ids.filtered("is_difference"))
        self.assertEqual(run.difference_count, 0)
        self.assertFalse(run.activity_ids, "no difference, no activity")

    def test_a_bill_entered_only_in_xero_shows_and_correct_xero_removes_it(self):
        self.count({self.bolt: 8})
        self.push_until_done()
        self.bill_entered_in_xero(self.bolt, 3, 2.5)
        run = self.Recon._check(self.connection)
        bolt = self.line(run, self.bolt)
        self.assertTrue(bolt.is_difference)
        self.assertEqual((bolt.odoo_qty, bolt.xero_qty, bolt.qty_difference), (8, 11, -3))
        # The person entered it in NZD, Xero's base currency.
        self.assertAlmostEqual(bolt.value_difference, -7.5, places=2)
        self.assertEqual(run.difference_count, 1)
        differing = self.env["clarus.xero.stock.reconciliation.line"].search(
            [("reconciliation_id", "=", run.id), ("is_difference", "=", True)])
        self.assertEqual(differing, bolt, "the Differences filter shows the line")

        bolt.action_correct_xero()
        job = self.jobs_for(bolt)
        self.assertEqual(job.kind, "stock_adjustment_credit")
        self.assertEqual(bolt.clarus_xero_stock_state, "queued")
        self.push_until_done()
        self.assertEqual(bolt.clarus_xero_stock_state, "synced")
        credit = next(c for c in self.xero_documents("CreditNotes")
                      if c.get("CreditNoteNumber") == bolt._clarus_xero_stock_number())
        self.assertEqual((credit["Type"], float(credit["Total"])), ("ACCPAYCREDIT", 0.0))
        self.assertEqual(float(self.item(self.bolt)["QuantityOnHand"]), 8)

        again = self.Recon._check(self.connection)
        self.assertFalse(again.line_ids.filtered("is_difference"))
        # Correcting twice queues nothing more.
        bolt.action_correct_xero()
        self.assertEqual(len(self.jobs_for(bolt)), 1)

    def test_xero_holding_less_is_corrected_by_a_bill(self):
        self.count({self.bolt: 4})
        # Flagged before it went: Odoo holds 4, Xero nothing.
        move = self.env["stock.move"].search([("product_id", "=", self.bolt.id)])
        move.write({"clarus_xero_no_sync": True, "clarus_xero_no_sync_reason": "counted twice"})
        self.push_until_done()
        run = self.Recon._check(self.connection)
        bolt = self.line(run, self.bolt)
        self.assertEqual(bolt.qty_difference, 4)
        bolt.action_correct_xero()
        self.assertEqual(self.jobs_for(bolt).kind, "stock_adjustment")
        self.push_until_done()
        item = self.item(self.bolt)
        self.assertEqual(float(item["QuantityOnHand"]), 4)
        self.assertAlmostEqual(float(item["TotalCostPool"]), 16.67, places=2)  # 10 USD
        self.assertFalse(self.Recon._check(self.connection).line_ids.filtered("is_difference"))

    def test_a_value_only_difference_is_refused_with_its_reason(self):
        self.count({self.bolt: 8})
        self.push_until_done()
        self.bolt.standard_price = 3.0  # revalued in Odoo only
        run = self.Recon._check(self.connection)
        bolt = self.line(run, self.bolt)
        self.assertTrue(bolt.is_difference)
        self.assertEqual(bolt.qty_difference, 0)
        with self.assertRaisesRegex(UserError, "Only the value differs"):
            bolt.action_correct_xero()
        self.assertFalse(self.jobs_for(bolt))

    def test_cron_checks_each_connection_and_leaves_one_activity(self):
        self.count({self.bolt: 8, self.nut: 10})
        self.push_until_done()
        self.bill_entered_in_xero(self.bolt, 1, 2.5)
        self.bill_entered_in_xero(self.nut, 2, 0.4)
        new_test_user(self.env, login="clarus-recon-stock-manager",
                      groups="stock.group_stock_manager")
        self.Recon._cron_check()
        run = self.Recon.search([("connection_id", "=", self.connection.id)], limit=1)
        self.assertEqual(run.difference_count, 2)
        self.assertEqual(len(run.activity_ids), 1, "one activity per run, not per line")
        self.assertIn(run.activity_ids.user_id, self.env.ref(
            "stock.group_stock_manager").all_user_ids)
        cron = self.env.ref("clarus_xero_connector.ir_cron_clarus_xero_stock_check")
        self.assertEqual(cron.code, "model._cron_check()")

    def test_a_line_that_cannot_be_corrected_fails_alone(self):
        self.count({self.bolt: 8, self.nut: 10})
        self.push_until_done()
        self.bill_entered_in_xero(self.bolt, 2, 2.5)
        self.nut.standard_price = 0.5  # the nut differs in value only
        run = self.Recon._check(self.connection)
        differing = run.line_ids.filtered("is_difference")
        self.assertEqual(differing.product_id, self.bolt | self.nut)
        answer = differing.action_correct_xero()
        self.assertEqual(answer["params"]["type"], "warning")
        self.assertIn("Only the value differs", answer["params"]["message"])
        self.assertEqual(self.jobs_for(self.line(run, self.bolt)).kind,
                         "stock_adjustment_credit")
        self.assertFalse(self.jobs_for(self.line(run, self.nut)))

    def test_a_connection_that_cannot_be_checked_leaves_a_check_with_its_reason(self):
        self.connection.tracked_items = False  # no trial balance scope granted
        self.Recon._cron_check()
        run = self.Recon.search([("connection_id", "=", self.connection.id)], limit=1)
        self.assertIn("accounting.reports.trialbalance.read", run.error_message)
        self.assertFalse(run.line_ids)

    def test_stock_users_read_and_only_managers_correct(self):
        self.count({self.bolt: 8})
        self.push_until_done()
        self.bill_entered_in_xero(self.bolt, 1, 2.5)
        run = self.Recon._check(self.connection)
        user = new_test_user(self.env, login="clarus-recon-stock-user",
                             groups="stock.group_stock_user")
        line = self.line(run, self.bolt).with_user(user)
        self.assertEqual(line.xero_qty, 9)
        with self.assertRaisesRegex(UserError, "Only stock managers"):
            line.action_correct_xero()
        with self.assertRaises(AccessError):
            line.write({"xero_qty": 8})
        self.assertFalse(self.jobs_for(line))

    def test_another_company_sees_none_of_the_checks_and_its_stock_does_not_count(self):
        self.count({self.bolt: 8})
        self.push_until_done()
        other = self.env["res.company"].create({"name": "Clarus Recon B"})
        other_stock = self.env["stock.warehouse"].sudo().search(
            [("company_id", "=", other.id)], limit=1).lot_stock_id
        self.env["stock.quant"].sudo().with_company(other)._update_available_quantity(
            self.bolt, other_stock, 5)
        self.env.user.company_ids |= other
        # Checked by a user working in both companies at once.
        run = self.Recon.with_context(
            allowed_company_ids=[self.env.company.id, other.id])._check(self.connection)
        self.assertEqual(self.line(run, self.bolt).odoo_qty, 8, "company B's 5 are not ours")
        self.assertFalse(run.line_ids.filtered("is_difference"))
        user = new_test_user(self.env, login="clarus-recon-b", groups="stock.group_stock_user",
                             company_id=other.id, company_ids=[(6, 0, other.ids)])
        Line = self.env["clarus.xero.stock.reconciliation.line"].with_user(user)
        self.assertFalse(Line.search([("reconciliation_id", "=", run.id)]))
        self.assertFalse(self.Recon.with_user(user).search([("id", "=", run.id)]))

    def test_untracked_compares_the_inventory_account_balance(self):
        self.connection.tracked_items = False
        with self.assertRaisesRegex(UserError, "accounting.reports.trialbalance.read"):
            self.Recon._check(self.connection)
        self.connection.sudo().scope += " accounting.reports.trialbalance.read"
        self.authorize(self.connection)
        self.connection._select_tenant(self.connection.available_tenants[0]["tenantId"])
        run = self.Recon._check(self.connection)
        self.assertEqual(run.mode, "untracked")
        [line] = run.line_ids
        self.assertEqual(line.code, "630")
        self.assertFalse(line.is_difference, "nothing posted on either side")
        # Stock valued in Odoo's books only: 30 USD on the valuation account.
        valuation = self.env["product.category"].search([]).mapped(
            "property_stock_valuation_account_id")[:1]
        self.assertTrue(valuation, "the chart gives categories a stock valuation account")
        other = self.env["account.account"].search([
            ("account_type", "=", "expense"), ("company_ids", "in", self.env.company.id)],
            limit=1)
        entry = self.env["account.move"].create({"move_type": "entry", "line_ids": [
            (0, 0, {"account_id": valuation.id, "debit": 30.0}),
            (0, 0, {"account_id": other.id, "credit": 30.0})]})
        entry.action_post()
        [line] = self.Recon._check(self.connection).line_ids
        self.assertTrue(line.is_difference)
        self.assertAlmostEqual(line.odoo_value, 50.0, places=2)  # 30 USD in NZD
        self.assertAlmostEqual(line.xero_value, 0.0, places=2)
        self.assertAlmostEqual(line.value_difference, 50.0, places=2)
        with self.assertRaisesRegex(UserError, "manual journal"):
            line.action_correct_xero()

    def test_check_now_opens_this_companys_lines(self):
        self.count({self.bolt: 8})
        self.push_until_done()
        self.bill_entered_in_xero(self.bolt, 2, 2.5)
        action = self.Recon._action_check_now()
        run = self.Recon.search([("connection_id", "=", self.connection.id)], limit=1)
        self.assertEqual(action["res_model"], "clarus.xero.stock.reconciliation.line")
        lines = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(lines, run.line_ids)
        self.assertEqual(lines.filtered("is_difference").product_id, self.bolt)
        clerk = new_test_user(self.env, login="clarus-recon-clerk", groups="base.group_user")
        with self.assertRaisesRegex(UserError, "Only stock or accounting managers"):
            self.Recon.with_user(clerk)._action_check_now()

    def test_pdf_report_lists_the_lines(self):
        self.count({self.bolt: 8})
        self.push_until_done()
        self.bill_entered_in_xero(self.bolt, 1, 2.5)
        run = self.Recon._check(self.connection)
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "clarus_xero_connector.stock_reconciliation_document", run.ids)
        self.assertIn(b"BOLT-R", html)
        self.assertIn(b"table-danger", html)
