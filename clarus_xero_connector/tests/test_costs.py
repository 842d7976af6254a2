"""What the connector adds to everyday accounting: which edits the export lock refuses,
how many queries posting and editing pay for it, and how failures reach people."""

import re
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.sql_db import Cursor
from odoo.tests import tagged
from odoo.tools import SQL

from .common import XeroEmulatorCase

CONNECTOR_TABLES = ("clarus_xero_job", "clarus_xero_binding", "clarus_xero_connection")


class PostingRolledBack(Exception):
    pass


@contextmanager
def queries_on(tables):
    """The SQL statements run meanwhile that name one of ``tables``."""
    seen = []
    execute = Cursor.execute
    # The table itself, not a column named after it (ir_cron.clarus_xero_connection_id).
    named = re.compile(r"(?<!\w)(%s)(?!\w)" % "|".join(map(re.escape, tables)))

    def recording(cr, query, params=None, log_exceptions=True):
        text = query.code if isinstance(query, SQL) else str(query)
        if named.search(text):
            seen.append(text)
        return execute(cr, query, params, log_exceptions)

    with patch.object(Cursor, "execute", recording):
        yield seen


class CostCase(XeroEmulatorCase):
    def exported_invoice(self, **vals):
        move = self.make_invoice(**vals)
        self.push()
        self.assertEqual(move.clarus_xero_sync_state, "synced")
        return move

    def bound(self, move):
        """A document outside what the connector sends, as if Xero held it anyway."""
        self.env["clarus.xero.binding"].create({
            "connection_id": self.connection.id, "res_model": "account.move",
            "res_id": move.id, "xero_id": f"xero-{move.id}",
        })
        return move

    def journal_entry(self):
        account = self.company_data["default_account_revenue"]
        other = self.company_data["default_account_receivable"]
        entry = self.env["account.move"].create({
            "move_type": "entry",
            "line_ids": [
                Command.create({"account_id": account.id, "credit": 50.0, "name": "Revenue"}),
                Command.create({"account_id": other.id, "debit": 50.0, "name": "Receivable",
                                "partner_id": self.partner_a.id}),
            ],
        })
        entry.action_post()
        return entry


@tagged("post_install", "-at_install")
class TestExportLock(CostCase):
    def test_fields_xero_does_not_hold_stay_editable(self):
        move = self.exported_invoice()
        salesperson = self.env["res.users"].create({
            "name": "Second Salesperson", "login": "clarus-second-salesperson"})
        move.write({"checked": True})
        move.write({"invoice_user_id": salesperson.id})
        move.write({"narration": "Delivered to the back door", "ref": "PO 4471"})
        self.assertTrue(move.checked)
        self.assertEqual(move.invoice_user_id, salesperson)
        self.assertEqual(move.ref, "PO 4471")

    def test_sent_fields_are_refused_with_what_is_locked(self):
        move = self.exported_invoice()
        line = move.invoice_line_ids[0]
        with self.assertRaisesRegex(UserError, rf"{move.name} is already in Xero and "
                                               r"locked.*Partner.*credit note"):
            move.write({"partner_id": self.partner_b.id})
        with self.assertRaisesRegex(UserError, r"already in Xero and locked.*Unit Price"):
            move.write({"invoice_line_ids": [Command.update(line.id, {"price_unit": 1.0})]})
        with self.assertRaisesRegex(UserError, r"already in Xero and locked.*Unit Price"):
            line.write({"price_unit": 1.0})
        with self.assertRaisesRegex(UserError, r"already in Xero and locked.*Due Date"):
            move.write({"invoice_date_due": move.invoice_date_due + timedelta(days=30)})
        self.assertEqual(move.partner_id, self.partner_a)
        self.assertEqual(line.price_unit, 100.0)

    def test_the_sync_itself_may_write_sent_fields(self):
        move = self.exported_invoice()
        due = move.invoice_date_due + timedelta(days=30)
        move.with_context(clarus_xero_sync_write=True).write({"invoice_date_due": due})
        self.assertEqual(move.invoice_date_due, due)

    def test_journal_entries_are_never_locked(self):
        # Vendor bills are sent, and locked, like customer invoices (see test_bills).
        entry = self.bound(self.journal_entry())
        entry.line_ids[0].write({"name": "Revenue, corrected label"})
        self.assertEqual(entry.line_ids[0].name, "Revenue, corrected label")

    def test_a_draft_invoice_is_not_locked(self):
        move = self.make_invoice(post=False)
        self.bound(move)
        move.write({"partner_id": self.partner_b.id})
        self.assertEqual(move.partner_id, self.partner_b)


@tagged("post_install", "-at_install")
class TestLockCost(CostCase):
    def test_editing_a_journal_entry_costs_no_connector_query_and_a_bill_one(self):
        entry = self.journal_entry()
        bill = self.make_invoice(move_type="in_invoice")
        self.env.flush_all()
        with queries_on(CONNECTOR_TABLES) as seen:
            entry.write({"ref": "Accrual, reviewed"})
            entry.line_ids[0].write({"name": "Revenue, reviewed"})
            self.env.flush_all()
        self.assertEqual(seen, [])
        # A posted bill may be in Xero: one look-up says whether it is locked.
        with queries_on(CONNECTOR_TABLES) as seen:
            bill.write({"invoice_date_due": fields.Date.today() + timedelta(days=60)})
            self.env.flush_all()
        self.assertEqual(len(seen), 1, seen)

    def test_editing_what_xero_does_not_hold_costs_no_connector_query(self):
        move = self.exported_invoice()
        self.env.flush_all()
        with queries_on(CONNECTOR_TABLES) as seen:
            move.write({"checked": True, "narration": "Checked by the accountant"})
            self.env.flush_all()
        self.assertEqual(seen, [])

    def test_locked_invoices_are_resolved_in_one_look_up(self):
        self.product_a.default_code = "WIDGET-A"
        moves = self.env["account.move"]
        for qty in range(1, 6):
            moves |= self.make_invoice(lines=[(self.product_a, qty, 10.0)])
        self.push()
        self.env.flush_all()
        self.env.invalidate_all()
        with queries_on(CONNECTOR_TABLES) as seen, self.assertRaises(UserError):
            moves.write({"invoice_date_due": fields.Date.today() + timedelta(days=90)})
        self.assertEqual(len(seen), 1, seen)


@tagged("post_install", "-at_install")
class TestEnqueue(CostCase):
    def post_invoices(self, count):
        self.product_a.default_code = "WIDGET-A"
        self.product_b.default_code = "WIDGET-B"
        moves = self.env["account.move"]
        for index in range(count):
            moves |= self.make_invoice(
                partner=(self.partner_a, self.partner_b)[index % 2],
                lines=[(self.product_a, 1, 10.0), (self.product_b, index + 1, 5.0)],
                post=False)
        moves.action_post()
        return moves

    def test_posting_many_invoices_queues_each_job_once(self):
        moves = self.post_invoices(6)
        jobs = self.env["clarus.xero.job"].search([("connection_id", "=", self.connection.id)])
        self.assertEqual(sorted(jobs.mapped("kind")),
                         ["contact"] * 2 + ["invoice"] * 6 + ["item"] * 2)
        self.assertEqual(len(set(jobs.mapped("dedupe_key"))), len(jobs))
        for move in moves:
            job = self.jobs_for(move, "invoice")
            self.assertEqual(job.state, "pending")
            self.assertEqual(job.record_name, move.name)
            self.assertEqual(job.company_id, self.env.company)
            self.assertEqual(set(job.depends_on), {
                f"res.partner,{move.partner_id.id}",
                f"product.product,{self.product_a.id}", f"product.product,{self.product_b.id}"})
            self.assertEqual(job.create_uid, self.env.user)
            self.assertTrue(job.create_date and job.write_date)
            self.assertEqual(move.clarus_xero_sync_state, "queued")

    def test_posting_pays_the_same_few_queries_for_many_invoices(self):
        counts = []
        for count in (2, 8):
            self.env["clarus.xero.job"].search([]).unlink()
            moves = self.env["account.move"]
            for index in range(count):
                moves |= self.make_invoice(lines=[(self.product_a, index + 1, 10.0)],
                                           post=False)
            self.env.flush_all()
            with queries_on(CONNECTOR_TABLES) as seen:
                moves.action_post()
                self.env.flush_all()
            self.assertEqual(len(self.env["clarus.xero.job"].search(
                [("kind", "=", "invoice")])), count)
            counts.append(len(seen))
        # The connection with the bound customers and items, then the jobs: whatever the
        # number of invoices (the push trigger is asked once per transaction, see below).
        self.assertEqual(counts, [2, 2])

    def test_posting_again_coalesces(self):
        move = self.post_invoices(1)
        job = self.jobs_for(move, "invoice")
        move.button_draft()
        move.invoice_line_ids.filtered(lambda line: line.product_id == self.product_b).unlink()
        move.action_post()
        again = self.jobs_for(move, "invoice")
        self.assertEqual(again, job)
        self.assertEqual(set(again.depends_on), {
            f"res.partner,{self.partner_a.id}", f"product.product,{self.product_a.id}"})
        self.assertEqual(len(self.jobs_for(self.partner_a, "contact")), 1)
        self.assertEqual(len(self.jobs_for(self.product_b, "item")), 1)

    def test_rolled_back_posting_leaves_no_job_and_no_push_request(self):
        cron = self.env.ref("clarus_xero_connector.ir_cron_clarus_xero_push")
        Trigger = self.env["ir.cron.trigger"].sudo()
        Trigger.search([("cron_id", "=", cron.id)]).unlink()
        move = self.make_invoice(post=False)
        with self.assertRaises(PostingRolledBack), self.env.cr.savepoint():
            move.action_post()
            self.assertTrue(self.jobs_for(move, "invoice"))
            self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)
            raise PostingRolledBack
        self.assertEqual(move.state, "draft")
        self.assertFalse(self.env["clarus.xero.job"].search([]))
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 0)
        # The transaction goes on: a later posting still asks for a push run, once.
        self.make_invoice()
        self.make_invoice()
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)


@tagged("post_install", "-at_install")
class TestFailureReport(CostCase):
    def test_failing_three_times_leaves_one_activity(self):
        unmapped_tax = self.company_data["default_tax_sale"].copy({"name": "Unmapped 15%"})
        bad = self.make_invoice(post=False)
        bad.invoice_line_ids.tax_ids = unmapped_tax
        bad.action_post()
        job = self.jobs_for(bad, "invoice")
        for attempt in range(3):
            if attempt:
                job.action_retry()
            self.push()
            self.assertEqual(job.state, "failed")
        ours = bad.activity_ids.filtered(lambda a: a.summary == "Fix Xero export")
        self.assertEqual(len(ours), 1, "one open activity, however often it fails")
        self.assertIn("no Xero tax rate", str(ours.note))
        notes = bad.message_ids.filtered(lambda m: "Xero export failed" in str(m.body))
        self.assertEqual(len(notes), 3, "each failure is still in the history")
        # Once someone closes it, the next failure asks again.
        ours.action_done()
        job.action_retry()
        self.push()
        self.assertEqual(len(bad.activity_ids.filtered(
            lambda a: a.summary == "Fix Xero export")), 1)

