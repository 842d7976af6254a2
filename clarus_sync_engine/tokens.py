"""OAuth2 token helpers: the refresh POST, and the token shape the SDK accepts.

The connector refreshes tokens itself, under a database row lock, because Xero
refresh tokens rotate: two workers refreshing at once would leave one holding a dead
token. The SDK's own automatic refresh (inside an API call) has no such lock.
"""

import time

import requests
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi

from .oauth import OAuthFlowError, check_transport
from .retry import InvalidGrant

# The SDK's token getter result is passed as keyword arguments to
# ``OAuth2Token.update_token``; any other key raises TypeError.
SDK_TOKEN_KEYS = ("access_token", "token_type", "expires_in", "scope", "refresh_token",
                  "expires_at", "id_token")


class TokenRefreshError(Exception):
    """The token endpoint answered with something other than a token or invalid_grant."""

    def __init__(self, status, body):
        super().__init__("Token refresh failed with HTTP %s: %s" % (status, body[:500]))
        self.status = status
        self.body = body


def _secure_transport(url):
    try:
        check_transport(url)
    except OAuthFlowError:
        return False
    return True


def sdk_token(token):
    """Only the keys the SDK token getter may return; ``scope`` as a list, as the SDK keeps it."""
    kept = {key: token[key] for key in SDK_TOKEN_KEYS if key in token}
    kept.setdefault("token_type", "Bearer")
    if isinstance(kept.get("scope"), str):
        kept["scope"] = kept["scope"].split()
    return kept


def refresh_token(client_id, client_secret, refresh_token, token_url, timeout=30, now=None):
    """POST a refresh grant (client credentials in the body, as the SDK does).

    Returns the new token dict with ``expires_at`` added. Raises ``InvalidGrant`` on
    400 ``invalid_grant`` (re-authorisation needed) and ``TokenRefreshError`` otherwise.
    Network exceptions from requests propagate unchanged for ``retry.classify``.
    A token URL that is neither https nor loopback raises ``TokenRefreshError`` unsent.
    """
    if not _secure_transport(token_url):
        raise TokenRefreshError(0, "refused to send the refresh token to %s: https is "
                                   "required (plain http only to this machine)" % token_url)
    response = requests.post(
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token,
              "client_id": client_id, "client_secret": client_secret},
        headers={"Accept": "application/json"},
        timeout=timeout,
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 400 and isinstance(body, dict) \
            and body.get("error") == "invalid_grant":
        raise InvalidGrant(body.get("error_description") or "invalid_grant")
    if response.status_code != 200 or not isinstance(body, dict) \
            or not body.get("access_token"):
        raise TokenRefreshError(response.status_code, response.text)
    issued = time.time() if now is None else now
    if body.get("expires_in") and "expires_at" not in body:
        body["expires_at"] = issued + float(body["expires_in"])
    return body


class EndpointTokenApi(TokenApi):
    """``TokenApi`` whose URLs are instance attributes.

    The SDK reads the URLs through ``self`` but defines them on the class; setting them
    on an instance points one client at the emulator (or a proxy) without changing
    every other ``ApiClient`` in the process.
    """

    def __init__(self, api_client, client_id, client_secret, token_url, revoke_url):
        super().__init__(api_client, client_id, client_secret)
        self.refresh_token_url = token_url
        self.client_credentials_token_url = token_url
        self.revoke_token_url = revoke_url


class EndpointOAuth2Token(OAuth2Token):
    """``OAuth2Token`` that builds ``EndpointTokenApi`` instead of the SDK's ``TokenApi``.

    The SDK constructs ``TokenApi`` inside these three methods, so they are the only
    ones overridden; their logic follows SDK 15.2.0.
    """

    def __init__(self, client_id, client_secret, token_url, revoke_url, **kwargs):
        super().__init__(client_id=client_id, client_secret=client_secret, **kwargs)
        self.token_url = token_url
        self.revoke_url = revoke_url

    def _token_api(self, api_client):
        return EndpointTokenApi(api_client, self.client_id, self.client_secret,
                                self.token_url, self.revoke_url)

    def refresh_access_token(self, api_client):
        if not self.can_refresh_access_token():
            return False
        new_token = self.fetch_access_token(self._token_api(api_client))
        self.update_token(**new_token)
        api_client.set_oauth2_token(new_token)
        return True

    def get_client_credentials_access_token(self, api_client, app_store_billing):
        new_token = self._token_api(api_client).get_client_credentials_token(app_store_billing)
        self.update_token(**new_token)
        api_client.set_oauth2_token(new_token)
        return True

    def revoke_access_token(self, api_client):
        if not self.can_refresh_access_token():
            return False
        self._token_api(api_client).revoke_token(self.refresh_token)
        empty = {"access_token": None, "refresh_token": None, "scope": None,
                 "expires_at": None, "expires_in": None, "token_type": "Bearer",
                 "id_token": None}
        self.update_token(**empty)
        api_client.set_oauth2_token(empty)
        return True
