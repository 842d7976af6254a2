"""Odoo tracks inventory (Xero's items untracked): Odoo's stock valuation entries reach
Xero as posted manual journals on the mapped accounts, per operation or one per day,
each entry once."""

from datetime import timedelta
from decimal import Decimal

from odoo import Command, fields
from odoo.tests import tagged

from .common import XeroEmulatorCase

LOST_ANSWER = {"mode": "timeout", "hold": 1.5, "count": 1, "method": "PUT"}


def dec(value):
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


@tagged("post_install", "-at_install")
class TestStockJournals(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        self.env.user.group_ids |= self.env.ref("stock.group_stock_manager")
        self.connection.stock_journal_mode = "per_operation"
        company = self.env.company
        Account = self.env["account.account"]
        self.stock_account = Account.create({"name": "Stock on hand", "code": "110901",
                                             "account_type": "asset_current"})
        self.received_account = Account.create({"name": "Goods received not billed",
                                                "code": "210901",
                                                "account_type": "liability_current"})
        self.cogs_account = Account.create({"name": "Cost of goods shipped", "code": "510901",
                                            "account_type": "expense_direct_cost"})
        self.map_account(self.stock_account, "630")
        self.map_account(self.received_account, "620")
        self.map_account(self.cogs_account, "310")
        self.category = self.env["product.category"].create({
            "name": "Perpetual", "property_valuation": "real_time",
            "property_stock_valuation_account_id": self.stock_account.id})
        self.supplier_location = self.env.ref("stock.stock_location_suppliers")
        self.customer_location = self.env.ref("stock.stock_location_customers")
        self.supplier_location.valuation_account_id = self.received_account
        self.customer_location.valuation_account_id = self.cogs_account
        self.warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1)
        self.bolt = self.env["product.product"].create({
            "name": "Bolt", "default_code": "BOLT-J", "is_storable": True, "type": "consu",
            "standard_price": 2.5, "categ_id": self.category.id})

    # ---------------------------------------------------------------- helpers

    def map_account(self, account, code):
        reference = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "account"),
            ("code", "=", code)])
        self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "account",
            "account_id": account.id, "xero_reference_id": reference.id})

    def map_warehouse(self, warehouse, option_name):
        option = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "tracking_option"),
            ("name", "=", option_name)])
        self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "tracking",
            "warehouse_id": warehouse.id, "xero_reference_id": option.id})

    def transfer(self, quantity, incoming=True, date=None, **vals):
        """Validate a receipt (or a delivery) of ``quantity`` bolts; ``date``: the
        accounting date of its valuation."""
        picking_type = self.warehouse.in_type_id if incoming else self.warehouse.out_type_id
        source, dest = ((self.supplier_location, self.warehouse.lot_stock_id) if incoming
                        else (self.warehouse.lot_stock_id, self.customer_location))
        picking = self.env["stock.picking"].create({
            "picking_type_id": picking_type.id, "location_id": source.id,
            "location_dest_id": dest.id, **vals,
            "move_ids": [Command.create({
                "product_id": self.bolt.id, "product_uom_qty": quantity,
                "location_id": source.id, "location_dest_id": dest.id})]})
        picking.action_confirm()
        picking.move_ids.quantity = quantity
        context = {"force_period_date": date} if date else {}
        picking.with_context(**context).button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def valuation_of(self, picking):
        return picking.move_ids.account_move_id

    def push_until_done(self, rounds=10):
        Job = self.env["clarus.xero.job"]
        for _round in range(rounds):
            Job.search([("state", "=", "pending")]).write(
                {"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
            Job._requeue_stuck(older_than=timedelta(0))
            self.push()
            if not Job.search_count([("state", "in", ("pending", "running"))]):
                return
        self.fail("the queue did not drain")

    def journals_in_xero(self):
        return [j for j in self.xero_documents("ManualJournals") if j["Status"] == "POSTED"]

    def xero_balances(self):
        """{account code: debit - credit} over Xero's posted manual journals."""
        balances = {}
        for journal in self.journals_in_xero():
            for line in journal["JournalLines"]:
                code = line["AccountCode"]
                balances[code] = balances.get(code, Decimal(0)) + dec(line["LineAmount"])
        return balances

    def odoo_balance(self, account):
        lines = self.env["account.move.line"].search([("account_id", "=", account.id),
                                                      ("parent_state", "=", "posted")])
        return dec(sum(lines.mapped("balance")))

    def journal_records(self):
        return self.env["clarus.xero.stock.journal"].search(
            [("connection_id", "=", self.connection.id)], order="id")

    # ------------------------------------------------------------------ tests

    def test_receipt_and_delivery_reach_xero_as_posted_journals_per_operation(self):
        receipt = self.transfer(10)
        delivery = self.transfer(4, incoming=False)
        self.assertTrue(self.valuation_of(receipt) and self.valuation_of(delivery),
                        "perpetual valuation makes an entry per operation")
        self.push_until_done()
        sent = self.journals_in_xero()
        self.assertEqual(len(sent), 2, "one journal per operation")
        self.assertEqual(self.odoo_balance(self.stock_account), Decimal("15.00"))
        self.assertEqual(self.xero_balances(), {
            "630": self.odoo_balance(self.stock_account),
            "620": self.odoo_balance(self.received_account),
            "310": self.odoo_balance(self.cogs_account)})
        records = self.journal_records()
        self.assertEqual(set(records.mapped("xero_state")), {"done"})
        narrations = sorted(j["Narration"] for j in sent)
        self.assertEqual(sorted(r.key for r in records),
                         sorted(n[n.index("[") + 1:-1] for n in narrations))
        self.assertTrue(any(self.valuation_of(receipt).name in n for n in narrations))
        # Nothing moves twice: a later push sends nothing more.
        writes = self.calls_total()
        self.push_until_done()
        self.assertEqual(self.calls_total(), writes)
        self.assertEqual(len(self.journals_in_xero()), 2)

    def test_daily_summary_makes_one_journal_per_day(self):
        self.connection.stock_journal_mode = "daily"
        today = fields.Date.context_today(self.env.user)
        day1, day2 = today - timedelta(days=2), today - timedelta(days=1)
        self.transfer(10, date=day1)
        self.transfer(3, incoming=False, date=day1)
        self.transfer(5, date=day2)
        self.transfer(1, incoming=False, date=day2)
        self.transfer(2, incoming=False, date=day2)
        self.assertEqual(len(self.journal_records()), 2)
        self.push_until_done()
        sent = sorted(self.journals_in_xero(), key=lambda j: j["Date"])
        self.assertEqual(len(sent), 2, "one journal per day")
        last = {line["AccountCode"]: dec(line["LineAmount"]) for line in sent[1]["JournalLines"]}
        self.assertEqual(last, {"630": Decimal("5.00"), "620": Decimal("-12.50"),
                                "310": Decimal("7.50")})
        self.assertEqual(self.xero_balances()["630"], self.odoo_balance(self.stock_account))
        self.assertEqual(self.xero_balances()["310"], self.odoo_balance(self.cogs_account))

    def test_daily_summary_keeps_each_warehouse_on_its_tracking_option(self):
        self.connection.stock_journal_mode = "daily"
        yesterday = fields.Date.context_today(self.env.user) - timedelta(days=1)
        main = self.warehouse
        second = self.env["stock.warehouse"].create({"name": "Second J", "code": "WJ2"})
        self.map_warehouse(main, "North")
        self.map_warehouse(second, "South")
        self.transfer(10, date=yesterday)
        self.warehouse = second
        self.transfer(4, date=yesterday)
        self.transfer(1, incoming=False, date=yesterday)
        self.push_until_done()
        [sent] = self.journals_in_xero()
        lines = {(line["AccountCode"], line["Tracking"][0]["Option"]):
                 dec(line["LineAmount"]) for line in sent["JournalLines"]}
        self.assertEqual(lines, {
            ("630", "North"): Decimal("25.00"), ("620", "North"): Decimal("-25.00"),
            ("630", "South"): Decimal("7.50"), ("620", "South"): Decimal("-10.00"),
            ("310", "South"): Decimal("2.50")})

    def test_today_summary_waits_for_the_day_to_end(self):
        self.connection.stock_journal_mode = "daily"
        self.transfer(10)
        self.push()
        self.assertFalse(self.journals_in_xero())
        job = self.jobs_for(self.journal_records(), "manual_journal")
        self.assertEqual(job.state, "pending")
        self.assertGreater(job.next_attempt_at, fields.Datetime.now())

    def test_resend_after_lost_answer_does_not_duplicate(self):
        self.transfer(10)
        self.control("POST", "/faults",
                     dict(LOST_ANSWER, path_prefix="/api.xro/2.0/ManualJournals"))
        self.push()
        job = self.jobs_for(self.journal_records(), "manual_journal")
        self.assertTrue(job.outcome_unknown, "the answer was lost")
        self.assertEqual(len(self.journals_in_xero()), 1, "Xero saved it anyway")
        self.push_until_done()
        self.assertEqual(job.state, "done")
        self.assertEqual(len(self.journals_in_xero()), 1, "found by its key, not sent again")
        self.assertEqual(self.xero_balances()["630"], Decimal("25.00"))

    def test_unmapped_account_fails_alone_naming_it(self):
        self.connection.stock_journal_mode = "daily"
        yesterday = fields.Date.context_today(self.env.user) - timedelta(days=1)
        self.transfer(10, date=yesterday)
        scrap_account = self.env["account.account"].create({
            "name": "Scrapped stock", "code": "510902", "account_type": "expense"})
        scrap_location = self.env["stock.location"].create({
            "name": "Scrap J", "usage": "inventory", "valuation_account_id": scrap_account.id})
        scrap = self.env["stock.scrap"].create({
            "product_id": self.bolt.id, "scrap_qty": 2, "location_id":
            self.warehouse.lot_stock_id.id, "scrap_location_id": scrap_location.id})
        scrap.with_context(force_period_date=yesterday).action_validate()
        self.transfer(3, incoming=False, date=yesterday)
        self.push_until_done()
        failed = self.env["clarus.xero.job"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "manual_journal"),
            ("state", "=", "failed")])
        self.assertEqual(len(failed), 1)
        self.assertIn("510902 Scrapped stock", failed.error_message)
        self.assertEqual(failed._record().move_ids, scrap.move_ids.account_move_id)
        [sent] = self.journals_in_xero()
        lines = {line["AccountCode"]: dec(line["LineAmount"]) for line in sent["JournalLines"]}
        self.assertEqual(lines, {"630": Decimal("17.50"), "620": Decimal("-25.00"),
                                 "310": Decimal("7.50")}, "the rest of the day went")
        # Once the account is mapped, the refused entry goes on retry, on its own.
        self.map_account(scrap_account, "312")
        failed.action_retry()
        self.push_until_done()
        self.assertEqual(len(self.journals_in_xero()), 2)
        self.assertEqual(self.xero_balances()["630"], self.odoo_balance(self.stock_account))

    def test_cost_of_goods_sold_at_invoicing_goes_as_a_journal(self):
        self.bolt.categ_id.property_account_expense_categ_id = self.cogs_account
        invoice = self.make_invoice(lines=[(self.bolt, 3, 10.0)])
        cogs = invoice.line_ids.filtered(lambda line: line.display_type == "cogs")
        self.assertEqual(sorted(cogs.mapped("balance")), [-7.5, 7.5])
        self.push_until_done()
        [journal] = self.journals_in_xero()
        self.assertIn(invoice.name, journal["Narration"])
        lines = {line["AccountCode"]: dec(line["LineAmount"])
                 for line in journal["JournalLines"]}
        self.assertEqual(lines, {"310": Decimal("7.50"), "630": Decimal("-7.50")},
                         "only the cost of goods sold: the sale goes as the invoice")
        self.assertEqual(self.xero_balances()["310"], self.odoo_balance(self.cogs_account))

    def test_do_not_sync_operation_sends_nothing(self):
        receipt = self.transfer(10, clarus_xero_no_sync=True,
                                clarus_xero_no_sync_reason="Consignment stock")
        self.assertTrue(self.valuation_of(receipt))
        self.assertFalse(self.journal_records())
        self.push_until_done()
        self.assertFalse(self.journals_in_xero())
