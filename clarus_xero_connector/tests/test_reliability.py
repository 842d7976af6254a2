"""Crashes, faults, rate limits and refresh races: every invoice lands exactly once."""

import threading
import time
from collections import Counter
from datetime import timedelta
from unittest.mock import patch

import requests

from odoo import SUPERUSER_ID, api, fields
from odoo.orm.environments import Transaction
from odoo.tests import tagged

from clarus_sync_engine import mapping

from ..models.clarus_xero_connection import TokenRefreshedElsewhere
from .common import CLIENT_ID, CLIENT_SECRET, XeroEmulatorCase


class WorkerKilled(BaseException):
    """Stands for the process dying: nothing after it runs, no handler catches it."""


@tagged("post_install", "-at_install")
class TestReliability(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        self.product_a.default_code = "WIDGET-A"
        self.moves = self.env["account.move"]
        for qty in (1, 2, 3, 4, 5):
            self.moves |= self.make_invoice(lines=[(self.product_a, qty, 10.0)])

    # ---------------------------------------------------------------- helpers

    def committing(self):
        """A commit callback for tests: a savepoint marks what a real commit would keep."""
        def commit(processed=0):
            self.env.flush_all()
            self.env.cr.execute("SAVEPOINT last_commit")
            return float("inf")
        commit(0)
        return commit

    def crash_recovery(self):
        """What the database holds after the worker died: everything since the last commit
        is gone. Later, the stuck-job sweep sends the in-flight jobs back to the queue."""
        self.env.cr.execute("ROLLBACK TO SAVEPOINT last_commit")
        self.env.invalidate_all()
        self.env["clarus.xero.job"]._requeue_stuck(older_than=timedelta(0))

    def xero_invoice_counts(self):
        return Counter(i["InvoiceNumber"] for i in self.xero_documents("Invoices"))

    def assert_each_invoice_once(self):
        counts = self.xero_invoice_counts()
        for move in self.moves:
            self.assertEqual(counts[move.name], 1, f"{move.name} in Xero {counts[move.name]}x")
            self.assertEqual(self.jobs_for(move, "invoice").state, "done")

    def make_due(self):
        """Time passes: the jobs are due, and the waits Xero asked for are over (the
        organisation's pacing state, shared by every worker, is forgotten)."""
        jobs = self.env["clarus.xero.job"].search([("state", "=", "pending")])
        jobs.write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
        self.env["clarus.xero.pacing"].sudo().search([]).unlink()

    def push_until_done(self, rounds=40):
        for _ in range(rounds):
            self.make_due()
            self.env["clarus.xero.job"]._requeue_stuck(older_than=timedelta(0))
            self.push()
            if not self.env["clarus.xero.job"].search_count(
                [("state", "in", ("pending", "running"))]
            ):
                return
        self.fail("the queue did not drain")

    def dying_commit(self, stage):
        """A commit callback whose worker dies at a chosen point of an invoice send.

        ``before``: right after the in-flight mark is committed, before the request;
        ``during`` and ``after``: at the first commit after the request (the caller adds
        an emulator fault that loses the answer for ``during``). What a real commit would
        keep is marked with a savepoint; ``crash_recovery`` rolls back to it."""
        seen = {"in_flight": False}

        def commit(processed=0):
            self.env.flush_all()
            if seen["in_flight"] and stage in ("during", "after"):
                raise WorkerKilled()
            self.env.cr.execute("SAVEPOINT last_commit")
            in_flight = bool(self.env["clarus.xero.job"].search_count(
                [("kind", "=", "invoice"), ("in_flight", "=", True)]))
            seen["in_flight"] = seen["in_flight"] or in_flight
            if in_flight and stage == "before":
                raise WorkerKilled()
            return float("inf")
        return commit

    # ------------------------------------------------------------------ tests

    def _crash_then_recover(self, stage):
        if stage == "during":
            # Xero stores the invoices, the answer never comes back, the worker dies.
            self.control("POST", "/faults", {"mode": "timeout", "hold": 1.5, "count": 1,
                                              "path_prefix": "/api.xro/2.0/Invoices"})
            self.connection.request_timeout = 1
        self.committing()
        # Not assertRaises: Odoo's rolls back its block, which would hide what a crash leaves.
        killed = False
        try:
            self.push(commit=self.dying_commit(stage))
        except WorkerKilled:
            killed = True
        self.assertTrue(killed)
        self.crash_recovery()
        in_flight = self.env["clarus.xero.job"].search([("kind", "=", "invoice")])
        self.assertTrue(all(j.state == "pending" for j in in_flight))
        self.assertTrue(all(j.outcome_unknown for j in in_flight), "looked up before resending")
        self.push_until_done()
        self.assert_each_invoice_once()

    def test_crash_before_the_call(self):
        self._crash_then_recover("before")
        self.assertEqual(sum(self.xero_invoice_counts().values()), 5)

    def test_crash_during_the_call(self):
        self._crash_then_recover("during")

    def test_crash_after_the_answer_before_the_commit(self):
        self._crash_then_recover("after")
        # The second run found them in Xero instead of sending them again.
        invoice_writes = [r for r in self.xero_requests()
                          if r["method"] in ("PUT", "POST") and r["path"].endswith("/Invoices")]
        self.assertEqual(len(invoice_writes), 1)

    def test_lost_answer_is_looked_up_not_resent(self):
        self.control("POST", "/faults", {"mode": "timeout", "hold": 1.5, "count": 1,
                                         "path_prefix": "/api.xro/2.0/Invoices", "method": "POST"})
        self.connection.request_timeout = 1
        self.push()
        job = self.jobs_for(self.moves[0], "invoice")
        self.assertEqual(job.state, "pending")
        self.assertEqual(job.error_category, "unknown_outcome")
        self.push_until_done()
        self.assert_each_invoice_once()

    def test_lost_allocation_answer_is_not_applied_twice(self):
        self.push()
        invoice = self.moves[0]
        reversal = self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": invoice.journal_id.id, "date": fields.Date.today()})
        credit = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        credit.action_post()
        self.control("POST", "/faults", {"mode": "timeout", "hold": 1.5, "count": 1,
                                         "path_prefix": "/api.xro/2.0/CreditNotes/",
                                         "method": "PUT"})
        self.connection.request_timeout = 1
        self.push()
        job = self.jobs_for(credit, "allocation")
        self.assertEqual(job.state, "pending")
        self.assertTrue(job.outcome_unknown)
        self.push_until_done()
        self.assertEqual(job.state, "done")
        note = self.xero_documents("CreditNotes")[0]
        self.assertEqual(len(note["Allocations"]), 1, "allocated once")

    def test_lost_history_answer_adds_the_note_once(self):
        move = self.moves[0]
        self.push()
        self.control("POST", "/faults", {"mode": "timeout", "hold": 1.5, "count": 1,
                                         "path_prefix": "/api.xro/2.0/Invoices/",
                                         "method": "PUT"})
        self.connection.request_timeout = 1
        job = self.env["clarus.xero.job"]._enqueue(self.connection, move, "history")
        Document = type(self.env["clarus.xero.document"])

        def shipped_note(document, ctx, record):
            return mapping.history_payload(
                "invoice", document._binding_id(ctx, record), "Shipped via Courier, ONCE-1"), []

        with patch.object(Document, "_history_element", shipped_note):
            self.push()
            self.assertTrue(job.outcome_unknown)
            self.push_until_done()
        self.assertEqual(job.state, "done")
        history = self.connection._gateway().history_of(
            "invoice", self.connection.tenant_id, move.clarus_xero_id)
        self.assertEqual(sum("ONCE-1" in note for note in history), 1)

    def test_faults_and_limits_every_invoice_lands_once(self):
        for qty in range(6, 26):
            self.moves |= self.make_invoice(lines=[(self.product_a, qty, 10.0)])
        self.env["clarus.xero.job"].search([("kind", "=", "invoice")]).write({"priority": 20})
        self.connection.request_timeout = 1
        self.control("POST", "/faults", {"faults": [
            {"mode": "error", "status": 503, "rate": 0.1, "seed": 7},
            {"mode": "timeout", "hold": 1.5, "count": 1, "path_prefix": "/api.xro/2.0/Invoices"},
            {"mode": "rate_limit", "problem": "minute", "retry_after": 20, "count": 2},
            {"mode": "rate_limit", "problem": "day", "retry_after": 3600, "count": 1},
        ]})
        started = time.monotonic()
        self.push_until_done()
        self.assertLess(time.monotonic() - started, 60, "no sleeping for Retry-After")
        self.assert_each_invoice_once()

    def test_rate_limit_reschedules_without_sleeping(self):
        self.control("POST", "/faults", {"mode": "rate_limit", "problem": "minute",
                                         "retry_after": 45, "count": 1})
        started = time.monotonic()
        self.push()
        self.assertLess(time.monotonic() - started, 10)
        pending = self.env["clarus.xero.job"].search([("state", "=", "pending")])
        self.assertTrue(pending)
        soonest = min(pending.mapped("next_attempt_at"))
        self.assertGreaterEqual(soonest, fields.Datetime.now() + timedelta(seconds=40))
        attempted = pending.filtered("error_category")
        self.assertEqual(set(attempted.mapped("error_category")), {"rate_limit"})
        self.push_until_done()
        self.assert_each_invoice_once()

    def test_refused_refresh_marks_the_connection_and_keeps_the_token(self):
        conn = self.connection.sudo()
        requests.post(f"{self.xero_url}/connect/revocation", data={"token": conn.refresh_token},
                      auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
        stored = conn.refresh_token
        conn.token_expires_at = fields.Datetime.now() - timedelta(minutes=1)
        self.push()
        self.assertEqual(conn.state, "needs_reauth")
        self.assertEqual(conn.refresh_token, stored, "an error never erases the token")
        self.assertTrue(self.moves[0].clarus_xero_needs_reauth, "the banner shows")
        self.assertFalse(self.env["clarus.xero.job"].search([("state", "=", "failed")]))
        self.assertFalse(self.xero_documents("Invoices"))
        # Sending stays stopped until someone re-authorises; then everything goes.
        self.env["clarus.xero.push"]._run_all()
        self.assertFalse(self.xero_documents("Invoices"))
        self.authorize(conn)
        conn._select_tenant(conn.tenant_id)
        self.push_until_done()
        self.assert_each_invoice_once()


@tagged("post_install", "-at_install")
class TestConcurrentRefresh(XeroEmulatorCase):
    registry_test_mode = False  # four real transactions race

    def test_four_workers_refresh_once(self):
        # Committed data, so that four real transactions can race for it.
        conn_id = self.committed_copy_of_connection("Race")
        self.addCleanup(self._drop_connection, conn_id)
        before = self._token_posts()
        tokens, errors = [], []
        barrier = threading.Barrier(4)

        def attempt(wait):
            with self.registry.cursor() as cr:
                # The registry lock is held by the test runner: hand the registry over.
                cr.transaction = Transaction(self.registry)
                env = api.Environment(cr, SUPERUSER_ID, {})
                if wait:
                    barrier.wait(timeout=10)
                token = env["clarus.xero.connection"].browse(conn_id)._ensure_fresh_token()
                # A real worker's own transaction, as the cron commits it.
                cr.commit()  # pylint: disable=invalid-commit
                return token

        def worker():
            # A worker that loses the race gives way and retries, as the cron would.
            try:
                try:
                    tokens.append(attempt(wait=True))
                except TokenRefreshedElsewhere:
                    tokens.append(attempt(wait=False))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(errors)
        self.assertEqual(self._token_posts() - before, 1, "exactly one refresh")
        self.assertEqual(len(set(tokens)), 1, "every worker uses the one fresh token")
        with self.registry.cursor() as cr:
            cr.execute("SELECT state FROM clarus_xero_connection WHERE id = %s", [conn_id])
            self.assertEqual(cr.fetchone()[0], "connected")

    def _token_posts(self):
        return sum(1 for r in self.xero_requests() if r["path"] == "/connect/token")

    def _drop_connection(self, conn_id):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM clarus_xero_connection WHERE id = %s", [conn_id])
