from contextlib import contextmanager
from datetime import timedelta

import requests
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.orm.environments import Transaction

from clarus_sync_engine import oauth, tokens
from clarus_sync_engine.retry import InvalidGrant

# Refresh this long before the access token expires, so no call goes out with a token
# that dies on the way.
REFRESH_MARGIN = timedelta(seconds=120)
# How long a refresh waits for another worker's refresh of the same connection.
REFRESH_LOCK_TIMEOUT = "60s"


class TokenRefreshedElsewhere(Exception):
    """Another worker is refreshing (or just refreshed) the token: retry in a new transaction."""


# What can go wrong talking to the token endpoint, besides a refused grant.
TOKEN_ERRORS = (tokens.TokenRefreshError, oauth.OAuthFlowError, requests.RequestException,
                TokenRefreshedElsewhere)


class ClarusXeroTokenMixin(models.AbstractModel):
    """The tokens of a Xero connection: stored, refreshed one worker at a time, and
    committed in a transaction of their own, because Xero rotates refresh tokens.

    The fields (``access_token``, ``refresh_token``, ``token_expires_at`` ...) are the
    connection's; this mixin keeps the token handling out of the connection's file.
    """

    _name = "clarus.xero.token.mixin"
    _description = "Xero token handling"

    def _token_url(self):
        return f"{self.identity_base_url.rstrip('/')}/connect/token"

    def _token_values(self, token):
        expires_in = int(token.get("expires_in") or 1800)
        return {
            "access_token": token["access_token"],
            "refresh_token": token.get("refresh_token") or self.sudo().refresh_token,
            "token_expires_at": fields.Datetime.now() + timedelta(seconds=expires_in),
            "last_refresh_at": fields.Datetime.now(),
        }

    def _store_token(self, token):
        """Store a token in the current transaction (the first one, from the consent)."""
        self.sudo().write(self._token_values(token))

    def _store_sdk_token(self, token):
        """Token saver for the SDK: a token the SDK refreshed itself is committed at once."""
        self.ensure_one()
        with self._refresh_cursor() as own:
            own._lock_for_refresh()
            own._store_token(token)
            values = own._token_state()
        self._adopt_token_state(values)

    @contextmanager
    def _refresh_cursor(self):
        """This connection (sudo) in a transaction of its own, committed on success.

        Xero rotates refresh tokens: once Xero has answered a refresh, the old token is
        gone, so the new one must be stored whatever happens to the caller's transaction
        (an import that fails, a cron that rolls back).
        """
        with self.env.registry.cursor() as cr:
            # The caller's registry, not a fresh look-up (which takes the registry lock).
            cr.transaction = Transaction(self.env.registry)
            yield self.with_env(self.env(cr=cr, su=True))

    def _token_state(self):
        return {name: self[name] for name in (
            "access_token", "refresh_token", "token_expires_at", "last_refresh_at", "state",
            "last_error")}

    def _adopt_token_state(self, values):
        """Show the caller what the refresh transaction committed.

        The caller's snapshot may predate that commit: its cache gets the committed values
        so that its next call uses the new access token.
        """
        self.env["account.move"].invalidate_model(
            ["clarus_xero_connection_id", "clarus_xero_needs_reauth"])
        self.sudo()._update_cache(values, validate=False)

    def _lock_for_refresh(self):
        """Row lock: one refresh at a time per connection, across workers.

        Taken in the refresh transaction (``_refresh_cursor``). A worker that waited while
        another one refreshed cannot see the new token from its snapshot (PostgreSQL says
        "could not serialize"): it gives way, and a new transaction sees the stored token.
        """
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT set_config('lock_timeout', %s, true)", [REFRESH_LOCK_TIMEOUT])
                self.env.cr.execute(
                    "SELECT id FROM clarus_xero_connection WHERE id = %s FOR NO KEY UPDATE",
                    [self.id],
                    log_exceptions=False,  # an expected race, handled below
                )
        except (pg_errors.SerializationFailure, pg_errors.LockNotAvailable):
            raise TokenRefreshedElsewhere(self.name) from None
        self.invalidate_recordset()

    def _ensure_fresh_token(self, force=False):
        """Return a valid access token, refreshing under the row lock when due.

        The refresh and the storing of the rotated refresh token commit in a transaction
        of their own, whatever the caller does afterwards.
        """
        self.ensure_one()
        conn = self.sudo()
        if conn.state == "needs_reauth":
            raise InvalidGrant(conn.last_error or "re-authorisation needed")
        if not force and conn._token_is_fresh():
            return conn.access_token
        # The refresh transaction reads the row as stored: flush what the caller changed.
        conn.flush_recordset()
        try:
            values, refused = conn._refresh_committed(force)
        except TokenRefreshedElsewhere:
            # Another worker refreshed meanwhile: a new transaction sees its token.
            values, refused = conn._refresh_committed(False)
        conn._adopt_token_state(values)
        if refused:
            raise refused
        return values["access_token"]

    def _refresh_committed(self, force):
        """Refresh in the refresh transaction; returns (committed values, refusal or None)."""
        refused = None
        with self._refresh_cursor() as own:
            own._lock_for_refresh()
            if own.state == "needs_reauth":
                refused = InvalidGrant(own.last_error or "re-authorisation needed")
            elif force or not own._token_is_fresh():
                try:
                    token = tokens.refresh_token(
                        own.client_id, own.client_secret, own.refresh_token, own._token_url())
                except InvalidGrant as exc:
                    own._mark_needs_reauth(str(exc))
                    refused = exc
                else:
                    own._store_token(token)
            values = own._token_state()
        return values, refused

    def _token_is_fresh(self):
        return bool(
            self.access_token
            and self.token_expires_at
            and self.token_expires_at > fields.Datetime.now() + REFRESH_MARGIN
        )

    def _mark_needs_reauth(self, reason):
        """Stop sending until someone re-authorises. Tokens stay as they are."""
        self.env["account.move"].invalidate_model(
            ["clarus_xero_connection_id", "clarus_xero_needs_reauth"]
        )
        self.sudo().write(
            {
                "state": "needs_reauth",
                "last_error": self.env._(
                    "Xero refused the stored authorisation (%s). Click 'Connect to Xero' "
                    "to authorise again; nothing is sent until then.",
                    reason,
                ),
            }
        )

    @api.model
    def _cron_keep_alive(self):
        """Refresh idle connections: Xero expires refresh tokens unused for 60 days."""
        stale = fields.Datetime.now() - timedelta(days=20)
        for conn in self.sudo().search(
            [("state", "=", "connected"), "|", ("last_refresh_at", "=", False),
             ("last_refresh_at", "<", stale)]
        ):
            try:
                conn._ensure_fresh_token(force=True)
            except (InvalidGrant, TokenRefreshedElsewhere):
                continue  # marked for re-authorisation, or refreshed by another worker
            except TOKEN_ERRORS as exc:
                conn.last_error = str(exc)

    def _token_dict(self):
        conn = self.sudo()
        # No expires_at: the SDK must never refresh on its own, outside our lock.
        return {
            "access_token": conn.access_token,
            "refresh_token": conn.refresh_token,
            "token_type": "Bearer",
            "expires_in": 1800,
            "scope": conn.scope.split(),
        }
