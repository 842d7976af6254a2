"""The OAuth 2.0 authorisation-code flow with PKCE.

Kept out of the Odoo model so it can be tested against the emulator without the ORM.
The caller stores ``state`` and ``code_verifier`` between the two steps and checks the
state that comes back (CSRF).

Both steps are plain HTTP built here (a URL, a form POST through ``requests``), so that
the rule "https, except for a loopback server" is decided per request by
``check_transport``. Nothing touches ``os.environ``: the process-wide
``OAUTHLIB_INSECURE_TRANSPORT`` switch would open plain http to every thread.
"""

import base64
import hashlib
import secrets
import time
from urllib.parse import urlencode, urlsplit

import requests

from .retry import InvalidGrant

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class OAuthFlowError(Exception):
    """The authorisation server refused the exchange for another reason than invalid_grant."""


def check_transport(url):
    """Raise ``OAuthFlowError`` unless ``url`` is https, or plain http to this machine.

    Secrets (client secret, codes, tokens) never travel in clear over a network.
    """
    parts = urlsplit(url or "")
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise OAuthFlowError(
        "insecure_transport: %s must use https (plain http only to 127.0.0.1, localhost "
        "or ::1)." % (url or "an empty address"))


def new_code_verifier():
    return secrets.token_urlsafe(64)


def code_challenge(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def authorization_url(authorize_url, client_id, redirect_uri, scope, state, verifier):
    """The URL to send the user to: response_type=code, the state, an S256 challenge."""
    check_transport(authorize_url)
    query = urlencode({
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scope.split()),
        "state": state,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    })
    separator = "&" if urlsplit(authorize_url).query else "?"
    return f"{authorize_url}{separator}{query}"


def exchange_code(client_id, client_secret, code, redirect_uri, code_verifier, token_url,
                  timeout=30):
    """Trade an authorisation code for a token dict (access, refresh, expiry).

    Raises ``InvalidGrant`` for ``invalid_grant`` (a used, expired or mismatched code or
    verifier) and ``OAuthFlowError`` for any other refusal or an answer without a token.
    """
    check_transport(token_url)
    response = requests.post(
        token_url,
        data={"grant_type": "authorization_code", "code": code,
              "redirect_uri": redirect_uri, "code_verifier": code_verifier,
              "client_id": client_id, "client_secret": client_secret},
        headers={"Accept": "application/json"},
        timeout=timeout,
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise OAuthFlowError("the token endpoint answered HTTP %s without a token"
                             % response.status_code)
    if body.get("error"):
        if body["error"] == "invalid_grant":
            raise InvalidGrant(body.get("error_description") or "invalid_grant")
        raise OAuthFlowError(f"{body['error']}: {body.get('error_description') or ''}".strip())
    if response.status_code != 200 or not body.get("access_token"):
        raise OAuthFlowError("the token endpoint answered HTTP %s without a token"
                             % response.status_code)
    if isinstance(body.get("scope"), str):
        body["scope"] = body["scope"].split()
    if body.get("expires_in") and "expires_at" not in body:
        body["expires_at"] = time.time() + float(body["expires_in"])
    return body


def revoke_token(client_id, client_secret, refresh_token, revoke_url, timeout=30):
    """Revoke a refresh token (and the grant behind it). Raises for a non-200 answer."""
    check_transport(revoke_url)
    response = requests.post(
        revoke_url, data={"token": refresh_token}, auth=(client_id, client_secret),
        timeout=timeout,
    )
    if response.status_code != 200:
        raise OAuthFlowError(f"revocation failed with HTTP {response.status_code}")
