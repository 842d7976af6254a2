"""The scheduled actions as production runs them: committed data, their own cursors,
Odoo's cron runner with ``_commit_progress``, and two pushers racing on one queue.

Not a TransactionCase: what these tests check (commits, locks between transactions) only
exists between real transactions. Each test builds its data in a company of its own,
commits it, and the class removes its connections afterwards so no other test sees them.
"""

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections import Counter
from datetime import timedelta

import requests

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry
from odoo.orm.environments import Transaction
from odoo.tests import BaseCase, get_db_name, tagged

from clarus_xero_emulator.server import start_server

from .common import connect_company, spec_path


@tagged("post_install", "-at_install")
class TestCronsOnCommittedData(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.emulator = start_server(port=0, spec_path=spec_path(), minute_limit=10000,
                                    day_limit=100000)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].create(
                {"name": f"Clarus cron test {uuid.uuid4().hex[:6]}"})
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
            cls.company_id = company.id

    @classmethod
    def tearDownClass(cls):
        # Connections first: one left behind would be pushed by every later run, against
        # an emulator that is gone.
        cls._remove_connections()
        cls.emulator.stop()
        super().tearDownClass()

    @classmethod
    def _remove_connections(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["clarus.xero.connection"].search([("company_id", "=", cls.company_id)]).unlink()

    def setUp(self):
        super().setUp()
        self._remove_connections()
        with self.transaction() as env:
            company = env["res.company"].browse(self.company_id)
            conn = connect_company(env, self.emulator.base_url, company,
                                   "Clarus Demo Company (NZ)", company.account_sale_tax_id,
                                   "OUTPUT2")
            self.connection_id, self.tenant = conn.id, conn.tenant_id

    def transaction(self):
        """A committed transaction of its own, as a worker has."""
        registry = self.registry

        class _Transaction:
            def __enter__(inner):
                inner.cr = registry.cursor()
                return api.Environment(inner.cr, SUPERUSER_ID, {})

            def __exit__(inner, exc_type, exc, tb):
                if exc_type is None:
                    inner.cr.commit()
                inner.cr.close()

        return _Transaction()

    def post_invoices(self, count):
        with self.transaction() as env:
            company = env["res.company"].browse(self.company_id)
            partner = env["res.partner"].create({"name": f"Cron customer {uuid.uuid4().hex[:6]}"})
            moves = env["account.move"].with_company(company).create([{
                "move_type": "out_invoice", "partner_id": partner.id, "company_id": company.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [Command.create({
                    "name": "Service", "quantity": 1, "price_unit": 10.0 + n,
                    "tax_ids": [Command.set(company.account_sale_tax_id.ids)]})],
            } for n in range(count)])
            moves.action_post()
            return moves.mapped("name")

    def run_cron(self, xmlid):
        with self.transaction() as env:
            env.ref(xmlid).method_direct_trigger()

    def xero_invoice_counts(self):
        records = requests.get(
            f"{self.emulator.base_url}/_emulator/documents/Invoices?tenant={self.tenant}",
            timeout=10).json()["records"]
        return Counter(r["InvoiceNumber"] for r in records)

    def job_states(self, env):
        jobs = env["clarus.xero.job"].search([("connection_id", "=", self.connection_id)])
        return Counter(jobs.mapped("state"))

    def assert_sent_once(self, numbers):
        counts = self.xero_invoice_counts()
        with self.transaction() as env:
            jobs = env["clarus.xero.job"].search([("connection_id", "=", self.connection_id)])
            detail = [(j.kind, j.state, j.xero_number, j.error_message) for j in jobs[:5]]
            detail.append(sorted(counts.items())[:5])
            detail.append(self.tenant)
            detail.append(env["clarus.xero.connection"].browse(self.connection_id).last_error)
        self.assertEqual({n: counts[n] for n in numbers}, dict.fromkeys(numbers, 1), detail)

    # ------------------------------------------------------------------ tests

    def test_push_cron_sends_committed_invoices_and_reports_progress(self):
        numbers = self.post_invoices(60)
        self.run_cron("clarus_xero_connector.ir_cron_clarus_xero_push")
        self.assert_sent_once(numbers)
        with self.transaction() as env:
            self.assertEqual(self.job_states(env), Counter({"done": 61}))
            cron = env.ref("clarus_xero_connector.ir_cron_clarus_xero_push")
            progress = env["ir.cron.progress"].search([("cron_id", "=", cron.id)],
                                                      order="id desc", limit=1)
            self.assertGreaterEqual(progress.done, 61, "each batch was committed as progress")

    def test_two_pushers_racing_on_one_queue_send_each_invoice_once(self):
        numbers = self.post_invoices(150)
        errors = []
        barrier = threading.Barrier(2)

        def pusher():
            try:
                with self.registry.cursor() as cr:
                    # The registry lock is held by the test runner: hand the registry over.
                    cr.transaction = Transaction(self.registry)
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    conn = env["clarus.xero.connection"].browse(self.connection_id)

                    def commit(processed=0):
                        # A worker's own transaction: what the race is about.
                        cr.commit()  # pylint: disable=invalid-commit
                        return float("inf")

                    barrier.wait(timeout=30)
                    env["clarus.xero.push"]._run(conn, commit=commit, batch_size=10)
                    commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=pusher) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        self.assertEqual(errors, [])
        self.assert_sent_once(numbers)
        with self.transaction() as env:
            self.assertEqual(self.job_states(env), Counter({"done": 151}))

    def test_webhook_cron_reads_back_committed_events(self):
        (number,) = self.post_invoices(1)
        self.run_cron("clarus_xero_connector.ir_cron_clarus_xero_push")
        key = base64.b64encode(b"clarus-cron-webhook-key").decode()
        with self.transaction() as env:
            conn = env["clarus.xero.connection"].browse(self.connection_id)
            conn.webhook_key = key
            move = env["account.move"].search([("name", "=", number),
                                               ("company_id", "=", self.company_id)])
            binding = env["clarus.xero.binding"].search(
                [("res_model", "=", "account.move"), ("res_id", "=", move.id)])
            gateway = conn._gateway()
            gateway._call(gateway.accounting, "update_invoice", self.tenant, binding.xero_id,
                          {"Invoices": [{"InvoiceID": binding.xero_id, "Status": "VOIDED"}]})
            body = json.dumps({"events": [{
                "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{binding.xero_id}",
                "resourceId": binding.xero_id, "eventDateUtc": "2026-12-01T10:00:00.000",
                "eventType": "UPDATE", "eventCategory": "INVOICE", "tenantId": self.tenant,
                "tenantType": "ORGANISATION"}], "firstEventSequence": 1,
                "lastEventSequence": 1, "entropy": "ABC"}).encode()
            signature = base64.b64encode(
                hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
            self.assertTrue(env["clarus.xero.webhook.event"]._receive(conn, body, signature))
            binding_id = binding.id
        self.run_cron("clarus_xero_connector.ir_cron_clarus_xero_webhooks")
        with self.transaction() as env:
            self.assertEqual(env["clarus.xero.binding"].browse(binding_id).xero_status, "VOIDED")

    def test_keep_alive_cron_commits_the_rotated_token(self):
        with self.transaction() as env:
            conn = env["clarus.xero.connection"].browse(self.connection_id).sudo()
            conn.last_refresh_at = fields.Datetime.now() - timedelta(days=30)
            old = conn.refresh_token
        self.run_cron("clarus_xero_connector.ir_cron_clarus_xero_keep_alive")
        with self.transaction() as env:
            conn = env["clarus.xero.connection"].browse(self.connection_id).sudo()
            self.assertNotEqual(conn.refresh_token, old, "the rotated token was committed")
            self.assertEqual(conn.state, "connected")
            # The committed token is the one Xero now honours: a push works with it.
        numbers = self.post_invoices(1)
        self.run_cron("clarus_xero_connector.ir_cron_clarus_xero_push")
        self.assert_sent_once(numbers)
