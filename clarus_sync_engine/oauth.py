"""The OAuth 2.0 authorisation-code flow with PKCE, through requests-oauthlib.

Kept out of the Odoo model so it can be tested against the emulator without the ORM.
The caller stores ``state`` and ``code_verifier`` between the two steps and checks the
state that comes back (CSRF).
"""

import base64
import hashlib
import os
import secrets
from contextlib import contextmanager

import requests
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from .retry import InvalidGrant


class OAuthFlowError(Exception):
    """The authorisation server refused the exchange for another reason than invalid_grant."""


def new_code_verifier():
    return secrets.token_urlsafe(64)


def code_challenge(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@contextmanager
def _transport_allowed(url):
    """oauthlib refuses plain http; allow it only for a loopback server (tests, demos)."""
    loopback = url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]"))
    previous = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
    if loopback:
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        if loopback:
            if previous is None:
                os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
            else:
                os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = previous


def authorization_url(authorize_url, client_id, redirect_uri, scope, state, verifier):
    """The URL to send the user to: response_type=code, the state, an S256 challenge."""
    session = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=scope.split())
    with _transport_allowed(authorize_url):
        url, _state = session.authorization_url(
            authorize_url, state=state, code_challenge=code_challenge(verifier),
            code_challenge_method="S256",
        )
    return url


def exchange_code(client_id, client_secret, code, redirect_uri, code_verifier, token_url,
                  timeout=30):
    """Trade an authorisation code for a token dict (access, refresh, expiry)."""
    session = OAuth2Session(client_id, redirect_uri=redirect_uri)
    try:
        with _transport_allowed(token_url):
            token = session.fetch_token(
                token_url, code=code, client_secret=client_secret, include_client_id=True,
                code_verifier=code_verifier, timeout=timeout,
            )
    except OAuth2Error as exc:
        if exc.error == "invalid_grant":
            raise InvalidGrant(exc.description or "invalid_grant")
        raise OAuthFlowError(f"{exc.error}: {exc.description or ''}".strip())
    return dict(token)


def revoke_token(client_id, client_secret, refresh_token, revoke_url, timeout=30):
    """Revoke a refresh token (and the grant behind it). Raises for a non-200 answer."""
    response = requests.post(
        revoke_url, data={"token": refresh_token}, auth=(client_id, client_secret),
        timeout=timeout,
    )
    if response.status_code != 200:
        raise OAuthFlowError(f"revocation failed with HTTP {response.status_code}")
