from datetime import timedelta
from decimal import Decimal

import requests

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import CLIENT_ID, CLIENT_SECRET, DEMO_ORG, XeroEmulatorCase


@tagged("post_install", "-at_install")
class TestConnection(XeroEmulatorCase):
    def test_oauth_connects_to_the_chosen_organisation(self):
        conn = self.connection
        self.assertEqual(conn.state, "connected")
        self.assertEqual(conn.tenant_name, DEMO_ORG)
        self.assertGreaterEqual(len(conn.available_tenants), 2, "several organisations offered")
        self.assertTrue(conn.sudo().refresh_token)
        self.assertFalse(conn.sudo().oauth_state, "a state is used once")
        # The reference data came in with one click.
        refs = self.env["clarus.xero.reference"].search([("connection_id", "=", conn.id)])
        self.assertIn("200", refs.filtered(lambda r: r.kind == "account").mapped("code"))
        self.assertIn("OUTPUT2", refs.filtered(lambda r: r.kind == "tax_rate").mapped("code"))

    def test_disconnect_revokes_and_stops_sending(self):
        conn = self.connection
        refresh = conn.sudo().refresh_token
        conn.action_disconnect()
        self.assertEqual(conn.state, "disconnected")
        self.assertFalse(conn.sudo().refresh_token)
        answer = requests.post(f"{self.xero_url}/connect/token", timeout=10, data={
            "grant_type": "refresh_token", "refresh_token": refresh,
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
        self.assertEqual(answer.json().get("error"), "invalid_grant", "revoked at Xero too")
        move = self.make_invoice()
        self.assertFalse(self.jobs_for(move), "nothing is queued for a disconnected company")
        self.authorize(conn)
        conn._select_tenant(conn.available_tenants[0]["tenantId"])
        self.assertEqual(conn.state, "connected")

    def test_unreachable_xero_gives_a_message_not_a_traceback(self):
        # Xero drops every connection (a new address would ask for consent first).
        self.control("POST", "/faults", {"mode": "drop"})
        self.connection.request_timeout = 2
        with self.assertRaisesRegex(UserError, "Xero did not answer the import"):
            self.connection.action_import_reference_data()

    def test_reused_or_forged_state_is_refused(self):
        Connection = self.env["clarus.xero.connection"]
        self.assertFalse(Connection._find_by_oauth_state(f"{self.connection.id}.forged"))
        self.assertFalse(Connection._find_by_oauth_state("not-a-state"))

    def test_secrets_are_for_administrators_only(self):
        accountant = self.env["res.users"].create({
            "name": "Accountant", "login": "accountant-xero",
            "group_ids": [(6, 0, [self.env.ref("account.group_account_manager").id])],
        })
        conn = self.connection.with_user(accountant)
        self.assertEqual(conn.tenant_name, DEMO_ORG)
        with self.assertRaises(AccessError):
            conn.read(["client_secret"])
        with self.assertRaises(AccessError):
            conn.read(["refresh_token"])

    def test_other_company_cannot_see_the_connection(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        user = self.env["res.users"].create({
            "name": "Other accountant", "login": "other-xero", "company_id": other.id,
            "company_ids": [(6, 0, other.ids)],
            "group_ids": [(6, 0, [self.env.ref("account.group_account_manager").id])],
        })
        visible = self.env["clarus.xero.connection"].with_user(user).search([])
        self.assertFalse(visible)


@tagged("post_install", "-at_install")
class TestPushInvoices(XeroEmulatorCase):
    def test_posting_enqueues_in_the_same_transaction(self):
        self.product_a.default_code = "WIDGET-A"
        move = self.make_invoice()
        kinds = set(self.env["clarus.xero.job"].search([]).mapped("kind"))
        self.assertEqual(kinds, {"contact", "item", "invoice"})
        job = self.jobs_for(move, "invoice")
        self.assertEqual(job.state, "pending")
        self.assertEqual(set(job.depends_on), {
            f"res.partner,{self.partner_a.id}", f"product.product,{self.product_a.id}"})
        self.assertEqual(move.clarus_xero_sync_state, "queued")

    def test_invoices_land_once_with_odoo_totals_in_few_calls(self):
        self.product_a.default_code = "WIDGET-A"
        moves = self.env["account.move"]
        for qty in range(1, 31):
            moves |= self.make_invoice(lines=[(self.product_a, qty, 19.99)])
        self.push()
        invoices = {i["InvoiceNumber"]: i for i in self.xero_documents("Invoices")}
        self.assertEqual(len(invoices), 30)
        for move in moves:
            xero = invoices[move.name]
            self.assertEqual(Decimal(str(xero["Total"])), Decimal(str(move.amount_total)))
            self.assertEqual(xero["Status"], "AUTHORISED")
            self.assertIn(move.name, xero["Reference"])
            self.assertEqual(move.clarus_xero_sync_state, "synced")
            self.assertEqual(move.clarus_xero_number, move.name)
        writes = [r for r in self.xero_requests()
                  if r["method"] in ("PUT", "POST") and r["path"].endswith(
                      ("/Contacts", "/Items", "/Invoices"))]
        # one contact batch, one item batch, one invoice batch
        self.assertEqual(len(writes), 3, writes)
        for request in writes:
            self.assertTrue(request["idempotency_key"])
            self.assertIn("summarizeerrors=false", request["query"].lower())

    def test_a_bad_invoice_fails_alone(self):
        self.product_a.default_code = "WIDGET-A"
        good = self.make_invoice()
        unmapped_tax = self.company_data["default_tax_sale"].copy({"name": "Unmapped 15%"})
        bad = self.make_invoice(post=False)
        bad.invoice_line_ids.tax_ids = unmapped_tax
        bad.action_post()
        self.push()
        self.assertTrue(self.xero_invoice(good))
        self.assertFalse(self.xero_invoice(bad))
        job = self.jobs_for(bad, "invoice")
        self.assertEqual(job.state, "failed")
        self.assertEqual(job.error_category, "validation")
        self.assertIn("no Xero tax rate", job.error_message)
        self.assertEqual(bad.clarus_xero_sync_state, "error")
        self.assertIn(job, self.env["clarus.xero.job"].search([("state", "=", "failed")]))
        self.assertTrue(bad.activity_ids, "someone is asked to fix it")
        # Fix the mapping, retry from the error center: it lands.
        self.map_tax(self.connection, unmapped_tax, "OUTPUT2")
        job.action_retry()
        self.push()
        self.assertEqual(job.state, "done")
        self.assertTrue(self.xero_invoice(bad))

    def test_exported_invoice_is_locked(self):
        move = self.make_invoice()
        self.push()
        with self.assertRaisesRegex(UserError, "credit note"):
            move.button_draft()
        with self.assertRaisesRegex(UserError, "locked"):
            move.write({"partner_id": self.partner_b.id})
        with self.assertRaises(UserError):
            move.unlink()

    def test_exported_invoice_can_still_be_paid_and_sent(self):
        move = self.make_invoice()
        self.push()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({})._create_payments()
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        move.write({"is_move_sent": True})
        self.assertTrue(move.is_move_sent)

    def test_do_not_sync_needs_a_reason_and_is_never_enqueued(self):
        with self.assertRaisesRegex(ValidationError, "Say why"):
            self.partner_b.write({"clarus_xero_no_sync": True})
        self.partner_b.write({"clarus_xero_no_sync": True,
                              "clarus_xero_no_sync_reason": "Intercompany customer"})
        move = self.make_invoice(partner=self.partner_b)
        self.assertFalse(self.jobs_for(move))
        self.assertEqual(self.partner_b.clarus_xero_sync_state, "excluded")

    def test_flagged_product_is_not_an_item_but_the_invoice_goes(self):
        self.product_a.write({"default_code": "SECRET-1", "clarus_xero_no_sync": True,
                              "clarus_xero_no_sync_reason": "Internal recharge"})
        move = self.make_invoice()
        self.assertFalse(self.jobs_for(self.product_a))
        self.push()
        line = self.xero_invoice(move)["LineItems"][0]
        self.assertNotIn("ItemCode", line)
        self.assertFalse(self.xero_documents("Items"))

    def test_flagged_invoice_is_never_enqueued(self):
        move = self.make_invoice(post=False)
        move.write({"clarus_xero_no_sync": True, "clarus_xero_no_sync_reason": "Test data"})
        move.action_post()
        self.assertFalse(self.jobs_for(move))
        self.assertEqual(move.clarus_xero_sync_state, "excluded")

    def test_synced_partner_cannot_be_deleted(self):
        self.make_invoice()
        self.push()
        with self.assertRaisesRegex(UserError, "exists in Xero"):
            self.partner_a.unlink()


@tagged("post_install", "-at_install")
class TestCompanies(XeroEmulatorCase):
    def test_shared_partner_keeps_one_xero_id_per_organisation(self):
        data_2, conn_2 = self.connect_australian_company()
        self.make_invoice()
        invoice_2 = self.make_invoice_in(data_2, self.partner_a)
        self.push()
        self.env["clarus.xero.push"]._run(conn_2)
        bindings = self.env["clarus.xero.binding"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.partner_a.id)])
        self.assertEqual(len(bindings), 2)
        self.assertEqual(len(set(bindings.mapped("xero_id"))), 2)
        self.assertEqual(set(bindings.mapped("connection_id")), {self.connection, conn_2})
        au_invoices = self.control(
            "GET", f"/documents/Invoices?tenant={conn_2.tenant_id}")["records"]
        self.assertEqual([i["InvoiceNumber"] for i in au_invoices], [invoice_2.name])

    def test_backlog_of_posted_invoices_is_queued_once(self):
        self.connection.state = "draft"
        moves = self.make_invoice() | self.make_invoice()
        self.assertFalse(self.jobs_for(moves[0]))
        self.connection.state = "connected"
        self.assertEqual(self.connection.action_queue_posted_invoices(), 2)
        self.push()
        self.assertEqual(self.connection.action_queue_posted_invoices(), 0)
        self.assertEqual(len(self.xero_documents("Invoices")), 2)

    def test_dashboard_counts_and_api_calls(self):
        self.make_invoice()
        self.assertEqual(self.connection.job_pending_count, 2)
        self.push()
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.job_pending_count, 0)
        self.assertEqual(self.connection.job_done_today_count, 2)
        self.assertGreaterEqual(self.connection.api_calls_today, 3)
        self.assertGreater(self.connection.day_limit_remaining, 0)

    def test_keep_alive_refreshes_idle_connections(self):
        conn = self.connection.sudo()
        conn.last_refresh_at = fields.Datetime.now() - timedelta(days=30)
        old = conn.refresh_token
        self.env["clarus.xero.connection"]._cron_keep_alive()
        self.assertNotEqual(conn.refresh_token, old, "the refresh token rotated")
        self.assertEqual(conn.state, "connected")
