"""Many organisations: each connection's own scheduled actions, the organisation lock,
pacing shared through the database, and two real Odoo servers on one database.

Not a TransactionCase: locks between workers, commits and other processes only exist
between real transactions. Data is committed in companies of this class's own, and the
class removes its connections afterwards so that no other test sees them.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta

import requests

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import config

from clarus_xero_emulator.server import start_server

from ..models.clarus_xero_connection_scheduling import LOCK_NAMESPACE, WORK
from .common import DEMO_ORG, connect_company, spec_path

SECOND_ORG = "Clarus Scaling Org (NZ)"
SERVER_TIMEOUT = 150


def max_in_flight(rows):
    """The most requests of one organisation the emulator was answering at once."""
    edges = sorted([(row["time"], 1) for row in rows] + [(row["end"], -1) for row in rows],
                   key=lambda edge: (edge[0], edge[1]))
    now = most = 0
    for _when, step in edges:
        now += step
        most = max(most, now)
    return most


@tagged("post_install", "-at_install")
class TestScaling(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.emulator = start_server(port=0, spec_path=spec_path(), minute_limit=10000,
                                    day_limit=100000)
        cls.control("POST", "/tenants", {"name": SECOND_ORG})
        cls.control("POST", "/config", {"request_log_size": 20000})
        names = {t["tenantName"]: t["tenantId"] for t in cls.control("GET", "/tenants")[
            "tenants"]}
        cls.tenant_ids = [names[DEMO_ORG], names[SECOND_ORG]]
        cls.company_ids = []
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            for n in range(2):
                company = env["res.company"].create(
                    {"name": f"Clarus scaling {n} {uuid.uuid4().hex[:6]}"})
                env["account.chart.template"].try_loading("generic_coa", company,
                                                          install_demo=False)
                cls.company_ids.append(company.id)

    @classmethod
    def tearDownClass(cls):
        cls._remove_connections()
        cls.emulator.stop()
        super().tearDownClass()

    @classmethod
    def control(cls, method, path, body=None):
        response = requests.request(method, f"{cls.emulator.base_url}/_emulator{path}",
                                    json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    @classmethod
    def _remove_connections(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["clarus.xero.connection"].with_context(active_test=False).search(
                [("company_id", "in", cls.company_ids)]).unlink()

    def setUp(self):
        super().setUp()
        self._remove_connections()
        # Xero keeps what earlier tests sent: each test looks at what it adds.
        self.already = [self.xero_invoice_counts(0), self.xero_invoice_counts(1)]
        self.conn_ids, self.tenants = [], []
        with self.transaction() as env:
            for company_id, org in zip(self.company_ids, (DEMO_ORG, SECOND_ORG), strict=True):
                company = env["res.company"].browse(company_id)
                conn = connect_company(env, self.emulator.base_url, company, org,
                                       company.account_sale_tax_id, "OUTPUT2")
                self.conn_ids.append(conn.id)
                self.tenants.append(conn.tenant_id)

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

    def post_invoices(self, index, count):
        with self.transaction() as env:
            company = env["res.company"].browse(self.company_ids[index])
            partner = env["res.partner"].create({"name": f"Scaling {uuid.uuid4().hex[:6]}"})
            moves = env["account.move"].with_company(company).create([{
                "move_type": "out_invoice", "partner_id": partner.id, "company_id": company.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [Command.create({
                    "name": "Service", "quantity": 1, "price_unit": 10.0 + n,
                    "tax_ids": [Command.set(company.account_sale_tax_id.ids)]})],
            } for n in range(count)])
            moves.action_post()
            return moves.mapped("name")

    def run_own_push(self, index):
        with self.transaction() as env:
            conn = env["clarus.xero.connection"].browse(self.conn_ids[index])
            conn._cron("push").method_direct_trigger()

    def xero_invoice_counts(self, index):
        records = self.control(
            "GET", f"/documents/Invoices?tenant={self.tenant_ids[index]}")["records"]
        return Counter(r["InvoiceNumber"] for r in records)

    def sent(self, index):
        """Invoice numbers this test added in Xero, with how many times each is there."""
        counts = self.xero_invoice_counts(index)
        counts.subtract(self.already[index])
        return +counts

    def job_states(self, index):
        with self.transaction() as env:
            jobs = env["clarus.xero.job"].search([("connection_id", "=", self.conn_ids[index])])
            return Counter(jobs.mapped("state"))

    # ------------------------------------------------------------------ tests

    def test_a_connection_has_its_own_actions_while_connected(self):
        with self.transaction() as env:
            conn = env["clarus.xero.connection"].browse(self.conn_ids[0])
            crons = conn.cron_ids
            self.assertEqual(sorted(crons.mapped("clarus_xero_work")), sorted(WORK))
            self.assertTrue(all(crons.mapped("active")))
            self.assertIn(f"browse({conn.id})", crons[0].code)
            self.assertEqual(conn.work_state, "scheduled")
            self.assertTrue(conn.next_run_at, "the card says when the next push runs")
            conn.action_disconnect()
            self.assertFalse(any(conn.cron_ids.mapped("active")))
            self.assertEqual(conn.work_state, "stopped")
            self.assertFalse(conn.next_run_at)
            actions = conn.cron_ids.ir_actions_server_id
            cron_ids = conn.cron_ids.ids
            conn.unlink()
            self.assertFalse(env["ir.cron"].with_context(active_test=False).browse(
                cron_ids).exists(), "the actions go with the connection")
            self.assertFalse(actions.exists())

    def test_own_action_pushes_its_organisation_only(self):
        first = self.post_invoices(0, 30)
        second = self.post_invoices(1, 20)
        self.run_own_push(1)
        self.assertEqual(self.sent(1), Counter(dict.fromkeys(second, 1)))
        self.assertFalse(self.sent(0))
        self.assertEqual(self.job_states(0), Counter({"pending": 31}))
        self.run_own_push(0)
        self.assertEqual(self.sent(0), Counter(dict.fromkeys(first, 1)))

    def test_busy_organisation_is_left_alone_and_its_action_comes_back(self):
        numbers = self.post_invoices(0, 10)
        holder = db_connect(get_db_name()).cursor()
        try:
            # Another server works on this organisation.
            holder.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, self.conn_ids[0]])
            with self.transaction() as env:
                conn = env["clarus.xero.connection"].browse(self.conn_ids[0])
                self.assertEqual(conn.work_state, "working")
            before = fields.Datetime.now()
            self.run_own_push(0)
            self.assertFalse(self.sent(0), "nothing sent beside the holder")
            with self.transaction() as env:
                conn = env["clarus.xero.connection"].browse(self.conn_ids[0])
                self.assertGreater(conn.next_run_at, before, "it comes back in a while")
                self.assertLess(conn.next_run_at, before + WORK_RETRY_BOUND)
        finally:
            holder.execute("SELECT pg_advisory_unlock_all()")
            holder.close()
        self.run_own_push(0)
        self.assertEqual(self.sent(0), Counter(dict.fromkeys(numbers, 1)))
        self.assertEqual(self.job_states(0), Counter({"done": 11}))

    def test_rate_limit_seen_by_one_run_holds_back_every_worker(self):
        self.post_invoices(0, 5)
        self.control("POST", "/faults", {"mode": "rate_limit", "problem": "minute",
                                         "retry_after": 40, "count": 1})
        try:
            self.run_own_push(0)
        finally:
            self.control("DELETE", "/faults")
        with self.transaction() as env:
            conn = env["clarus.xero.connection"].browse(self.conn_ids[0])
            self.assertEqual(conn.work_state, "waiting")
            self.assertIn("429", conn.waiting_reason)
            # Another worker, with a pacer of its own, reads the same state.
            decision = conn._push_pacer().before_call()
            self.assertTrue(decision.stop)
            self.assertGreater(decision.wait, 30)
            self.assertIn("429", decision.reason)
            self.assertFalse(env["clarus.xero.connection"].browse(
                self.conn_ids[1])._push_pacer().before_call().wait,
                "another organisation is not held back")

    def test_calls_are_counted_per_organisation_in_the_database(self):
        self.post_invoices(1, 60)

        def tenant_calls():
            return sum(self.control("GET", "/calls")["by_tenant"][self.tenants[1]].values())

        before = tenant_calls()
        self.run_own_push(1)
        after = tenant_calls()
        with self.transaction() as env:
            pacing = env["clarus.xero.pacing"].search([("connection_id", "=", self.conn_ids[1])])
            self.assertEqual(pacing.calls_today, after - before)
            # What Xero said is left today, after the run's last call.
            self.assertEqual(pacing.day_remaining, 100000 - after)
            self.assertFalse(env["clarus.xero.pacing"].search(
                [("connection_id", "=", self.conn_ids[0])]), "the other one made no call")

    # ------------------------------------------------------- two servers

    def test_two_odoo_servers_on_one_database_send_one_queue_exactly_once(self):
        self.control("POST", "/config", {"latency": {"base": 0.05, "per_record": 0.004}})
        started = self.emulator.state.clock.now()
        numbers = self.post_invoices(0, 300)
        logs = tempfile.mkdtemp(prefix="clarus-two-servers-")
        servers = []
        for _n in range(2):
            servers.append(self.start_odoo_server(logs, [port for _p, port, _l in servers]))
        try:
            for process, port, _log in servers:
                self.wait_until_up(process, port)
            with self.transaction() as env:
                env.ref("clarus_xero_connector.ir_cron_clarus_xero_push")._trigger()
            self.wait_for_jobs(servers, total=301)
        finally:
            for process, _port, _log in servers:
                process.terminate()
            for process, _port, _log in servers:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            self.control("POST", "/config", {"latency": None})
        self.assertEqual(self.sent(0), Counter(dict.fromkeys(numbers, 1)))
        self.assertEqual(self.job_states(0), Counter({"done": 301}))
        rows = [row for row in self.control("GET", "/requests?limit=20000")["requests"]
                if row["tenant"] == self.tenants[0] and row.get("end")
                and row["time"] >= started]
        self.assertEqual(max_in_flight(rows), 1,
                         "one worker at a time talks to an organisation")
        self.assertFalse([row for row in rows if row["status"] == 429])
        for _process, port, log in servers:
            with open(log, encoding="utf-8") as handle:
                self.assertIn("Job 'Xero:", handle.read(),
                              f"the server on port {port} ran Xero's scheduled actions")

    def start_odoo_server(self, logs, taken):
        port = free_port(taken)
        log = os.path.join(logs, f"odoo-{port}.log")
        command = [sys.executable, "-m", "odoo", "server", "-d", get_db_name(),
                   f"--db-filter=^{get_db_name()}$", f"--http-port={port}",
                   "--http-interface=127.0.0.1", "--max-cron-threads=2", "--workers=0",
                   "--limit-time-real-cron=3600",
                   f"--logfile={log}", "--log-level=info"]
        for option in ("db_host", "db_port", "db_user", "db_password"):
            if config.get(option):
                command.append(f"--{option}={config[option]}")
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.STDOUT)
        return process, port, log

    def wait_until_up(self, process, port):
        deadline = time.monotonic() + SERVER_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.fail(f"the Odoo server on port {port} stopped: {process.returncode}")
            try:
                up = requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok
            except requests.RequestException:
                up = False  # not listening yet
            if up:
                return
            time.sleep(0.5)
        self.fail(f"the Odoo server on port {port} did not answer")

    def wait_for_jobs(self, servers, total):
        deadline = time.monotonic() + SERVER_TIMEOUT
        states = Counter()
        while time.monotonic() < deadline:
            states = self.job_states(0)
            if states.get("done") == total:
                return
            for process, port, log in servers:
                if process.poll() is not None:
                    with open(log, encoding="utf-8") as handle:
                        tail = handle.read()[-3000:]
                    self.fail(f"the Odoo server on port {port} stopped:\n{tail}")
            time.sleep(1)
        self.fail(f"the queue was not drained in time: {dict(states)}")


WORK_RETRY_BOUND = timedelta(minutes=2)


def free_port(taken=()):
    """A free port in the 182xx range, other than ``taken``."""
    for port in range(18200, 18300):
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18200-18299")
