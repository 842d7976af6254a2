"""A rotated refresh token survives whatever happens to the transaction that asked for it.

Xero rotates the refresh token on every refresh and the old one dies 30 minutes later:
a refresh whose new token is rolled back with the caller's work loses the connection.
These tests use real transactions on committed data (a rollback in a test transaction's
savepoint would also roll back a refresh made in a cursor that wraps it).
"""


import requests

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import tagged

from clarus_sync_engine import tokens

from .common import CLIENT_ID, CLIENT_SECRET, XeroEmulatorCase

# Past the emulator's (and Xero's) grace period for a rotated refresh token.
PAST_GRACE = 31 * 60


class CallerFailed(Exception):
    """What the caller's work raises after the refresh."""


@tagged("post_install", "-at_install")
class TestRefreshSurvivesRollback(XeroEmulatorCase):
    registry_test_mode = False  # real transactions: the point is what a rollback keeps

    def setUp(self):
        super().setUp()
        source = self.connection.sudo()
        self.first_token = source.refresh_token
        self.conn_id = self.committed_copy_of_connection("Rollback")
        self.addCleanup(self._drop_connection)

    def _drop_connection(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM mail_message WHERE model = 'clarus.xero.connection' "
                       "AND res_id = %s", [self.conn_id])
            cr.execute("DELETE FROM clarus_xero_connection WHERE id = %s", [self.conn_id])

    def in_transaction(self, work, commit=False):
        """Run ``work(connection)`` in a transaction of its own, as a cron or request does."""
        cr = self.registry.cursor()
        try:
            env = api.Environment(cr, SUPERUSER_ID, {})
            result = work(env["clarus.xero.connection"].browse(self.conn_id))
            if commit:
                cr.commit()  # pylint: disable=invalid-commit
            return result
        finally:
            cr.rollback()
            cr.close()

    def stored(self):
        return self.in_transaction(lambda conn: (conn.state, conn.refresh_token))

    def assert_rotated_token_kept_and_usable(self):
        state, stored = self.stored()
        self.assertEqual(state, "connected")
        self.assertNotEqual(stored, self.first_token, "the rotated token was stored")
        # The old token dies after the grace period: only the stored one keeps the link.
        self.control("POST", "/clock", {"advance_seconds": PAST_GRACE})
        dead = requests.post(f"{self.xero_url}/connect/token", data={
            "grant_type": "refresh_token", "refresh_token": self.first_token,
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, timeout=10)
        self.assertEqual(dead.json().get("error"), "invalid_grant")
        self.in_transaction(lambda conn: conn._ensure_fresh_token(force=True), commit=True)
        state, again = self.stored()
        self.assertEqual(state, "connected", "the stored token still refreshes")
        self.assertNotEqual(again, stored)

    def test_a_refresh_survives_the_callers_rollback(self):
        def refresh_then_fail(conn):
            token = conn._ensure_fresh_token()
            self.assertEqual(conn.sudo().access_token, token, "the caller uses the new token")
            raise CallerFailed
        with self.assertRaises(CallerFailed):
            self.in_transaction(refresh_then_fail)
        self.assert_rotated_token_kept_and_usable()

    def test_a_failed_reference_import_keeps_the_rotated_token(self):
        self.control("POST", "/faults", {"mode": "error", "status": 503,
                                         "path_prefix": "/api.xro/2.0/"})
        with self.assertRaisesRegex(UserError, "Xero did not answer the import"):
            self.in_transaction(lambda conn: conn.action_import_reference_data())
        self.control("DELETE", "/faults")
        self.assert_rotated_token_kept_and_usable()

    def test_a_token_the_sdk_refreshed_is_kept(self):
        fresh = tokens.refresh_token(CLIENT_ID, CLIENT_SECRET, self.first_token,
                                     f"{self.xero_url}/connect/token")

        def save_then_fail(conn):
            conn._gateway().api_client.set_oauth2_token(fresh)
            raise CallerFailed
        with self.assertRaises(CallerFailed):
            self.in_transaction(save_then_fail)
        self.assertEqual(self.stored(), ("connected", fresh["refresh_token"]))
        self.assert_rotated_token_kept_and_usable()
