"""OAuth 2.0 flow, token rotation, grace, expiry, revocation and /connections."""

import base64
import os
import urllib.parse
from contextlib import contextmanager
from unittest.mock import patch

import pytest
import requests
from conftest import AU_NAME, CLIENT_ID, CLIENT_SECRET, NZ_NAME, XeroSdk, issue_token
from emu_helpers import control, raw
from requests_oauthlib import OAuth2Session
from xero_python.exceptions import AccountingBadRequestException, HTTPStatusException

REDIRECT = "http://127.0.0.1:8765/callback"
SCOPE = ["openid", "offline_access", "accounting.invoices", "accounting.payments",
         "accounting.contacts", "accounting.settings"]


@pytest.fixture(autouse=True)
def insecure_transport(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def authorize(emulator, extra=None, scope=SCOPE):
    session = OAuth2Session(CLIENT_ID, redirect_uri=REDIRECT, scope=scope, pkce="S256")
    url, state = session.authorization_url(emulator.base_url + "/identity/connect/authorize",
                                           **(extra or {}))
    resp = requests.get(url, allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert params["state"] == state
    return session, location, params


def dance(emulator, **kwargs):
    session, location, _ = authorize(emulator, **kwargs)
    return session.fetch_token(emulator.base_url + "/connect/token",
                               authorization_response=location, client_secret=CLIENT_SECRET,
                               include_client_id=True)


def refresh(emulator, refresh_token, basic=False):
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    headers = {}
    if basic:
        raw_auth = ("%s:%s" % (CLIENT_ID, CLIENT_SECRET)).encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw_auth).decode()
    else:
        form.update(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    return requests.post(emulator.base_url + "/connect/token", data=form, headers=headers,
                         timeout=10)


def test_authorization_code_pkce_flow_and_connections(emulator, token_urls):
    token = dance(emulator)
    assert token["token_type"] == "Bearer" and token["expires_in"] == 1800
    assert token["refresh_token"] and token["id_token"]
    assert set(token["scope"]) == set(SCOPE)
    sdk = XeroSdk(emulator.base_url, {k: token[k] for k in (
        "access_token", "refresh_token", "token_type", "expires_in", "scope")})
    assert set(sdk.tenants) == {NZ_NAME, AU_NAME}
    conns = sdk.ident.get_connections()
    assert all(c.tenant_type == "ORGANISATION" and c.auth_event_id for c in conns)
    assert conns[0].created_date_utc is not None
    org = sdk.acct.get_organisations(sdk.nz).organisations[0]
    assert org.name == NZ_NAME and org.base_currency.value == "NZD"
    # Disconnect one tenant: 204, then that tenant is forbidden.
    au_conn = next(c for c in conns if c.tenant_name == AU_NAME)
    sdk.ident.delete_connection(au_conn.id)
    assert [c.tenant_name for c in sdk.ident.get_connections()] == [NZ_NAME]
    with pytest.raises(HTTPStatusException) as info:
        sdk.acct.get_organisations(sdk.au)
    assert info.value.status == 403


def test_tenants_param_limits_grant_and_no_offline_access(emulator):
    tenants = control(emulator, "GET", "/tenants")["tenants"]
    nz = next(t["tenantId"] for t in tenants if t["tenantName"] == NZ_NAME)
    token = dance(emulator, extra={"tenants": nz}, scope=["accounting.settings"])
    assert "refresh_token" not in token
    conns = raw(emulator, "GET", "/connections", token=token["access_token"]).json()
    assert [c["tenantId"] for c in conns] == [nz]


def test_pkce_failure_and_code_single_use(emulator):
    session, location, params = authorize(emulator)
    form = {"grant_type": "authorization_code", "code": params["code"],
            "redirect_uri": REDIRECT, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "code_verifier": "not-the-verifier-" + "x" * 40}
    resp = requests.post(emulator.base_url + "/connect/token", data=form, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"
    # A fresh code with the right verifier works once, then is spent.
    session, location, params = authorize(emulator)
    form.update(code=params["code"], code_verifier=session._code_verifier)
    ok = requests.post(emulator.base_url + "/connect/token", data=form, timeout=10)
    assert ok.status_code == 200, ok.text
    again = requests.post(emulator.base_url + "/connect/token", data=form, timeout=10)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # Wrong redirect_uri and wrong secret are refused too.
    session, location, params = authorize(emulator)
    form.update(code=params["code"], code_verifier=session._code_verifier,
                redirect_uri="http://127.0.0.1:1/other")
    bad = requests.post(emulator.base_url + "/connect/token", data=form, timeout=10)
    assert bad.json()["error"] == "invalid_grant"
    bad = requests.post(emulator.base_url + "/connect/token",
                        data=dict(form, client_secret="nope"), timeout=10)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"


def test_authorize_rejects_unknown_client_and_foreign_redirect(emulator):
    def url(client_id, redirect):
        return emulator.base_url + "/identity/connect/authorize?" + urllib.parse.urlencode(
            {"response_type": "code", "client_id": client_id, "redirect_uri": redirect,
             "scope": "openid", "state": "s"})

    def get(client_id, redirect):
        return requests.get(url(client_id, redirect), allow_redirects=False, timeout=10)

    assert get("nobody", REDIRECT).status_code == 400
    assert get(CLIENT_ID, "https://evil.example/cb").status_code == 400
    control(emulator, "POST", "/clients", {"client_id": "other", "client_secret": "s",
                                           "redirect_uris": ["https://app.example/cb"]})
    resp = get("other", "https://app.example/cb")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("https://app.example/cb?code=")
    assert "state=s" in resp.headers["Location"]


def test_refresh_rotation_grace_and_invalid_grant(emulator):
    first = issue_token(emulator.base_url)
    r1 = refresh(emulator, first["refresh_token"])
    assert r1.status_code == 200
    new = r1.json()
    assert new["refresh_token"] != first["refresh_token"]
    assert new["access_token"] != first["access_token"]
    assert new["scope"] == first["scope"]
    # Within the 30-minute grace the old token answers the same new pair again.
    control(emulator, "POST", "/clock", {"advance_seconds": 29 * 60})
    replay = refresh(emulator, first["refresh_token"], basic=True).json()
    assert replay["refresh_token"] == new["refresh_token"]
    assert replay["access_token"] == new["access_token"]
    # After the grace it is dead; the newest token still rotates.
    control(emulator, "POST", "/clock", {"advance_seconds": 2 * 60})
    stale = refresh(emulator, first["refresh_token"])
    assert stale.status_code == 400 and stale.json() == {"error": "invalid_grant"}
    assert refresh(emulator, new["refresh_token"]).status_code == 200
    unknown = refresh(emulator, "garbage")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"


def test_access_token_expiry_and_sixty_day_refresh_expiry(emulator):
    token = issue_token(emulator.base_url)
    tenant = control(emulator, "GET", "/tenants")["tenants"][0]["tenantId"]
    assert raw(emulator, "GET", "/api.xro/2.0/Organisation", token["access_token"],
               tenant).status_code == 200
    control(emulator, "POST", "/clock", {"advance_seconds": 1801})
    expired = raw(emulator, "GET", "/api.xro/2.0/Organisation", token["access_token"], tenant)
    assert expired.status_code == 401
    assert "X-MinLimit-Remaining" in expired.headers
    ok = refresh(emulator, token["refresh_token"])
    assert ok.status_code == 200
    control(emulator, "POST", "/clock", {"advance_seconds": 60 * 86400 + 10})
    dead = refresh(emulator, ok.json()["refresh_token"])
    assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant"


def test_revocation_kills_grant(emulator):
    token = issue_token(emulator.base_url)
    resp = requests.post(emulator.base_url + "/connect/revocation",
                         data={"token": token["refresh_token"], "client_id": CLIENT_ID,
                               "client_secret": CLIENT_SECRET}, timeout=10)
    assert resp.status_code == 200
    assert refresh(emulator, token["refresh_token"]).json()["error"] == "invalid_grant"
    assert raw(emulator, "GET", "/connections", token=token["access_token"]).status_code == 401


def test_sdk_auto_refresh_and_invalid_grant_surface(emulator, token_urls):
    token = issue_token(emulator.base_url)
    sdk = XeroSdk(emulator.base_url, token)
    # Make the SDK believe the token is about to expire: it refreshes inside the call.
    import time

    sdk.token = dict(token, expires_at=time.time() + 10)
    sdk.api_client.set_oauth2_token(sdk.token)
    assert sdk.acct.get_organisations(sdk.nz).organisations
    assert sdk.saved and sdk.saved[-1]["refresh_token"] != token["refresh_token"]
    # A stale refresh token inside an accounting call surfaces as invalid_grant.
    control(emulator, "POST", "/clock", {"advance_seconds": 31 * 60})
    sdk.token = dict(token, expires_at=time.time() + 10)
    sdk.api_client.set_oauth2_token(sdk.token)
    with pytest.raises(AccountingBadRequestException) as info:
        sdk.acct.get_organisations(sdk.nz)
    assert info.value.error_data == {"error": "invalid_grant"}


def test_accounting_requires_token_and_tenant(emulator):
    token = issue_token(emulator.base_url)
    assert raw(emulator, "GET", "/api.xro/2.0/Contacts").status_code == 401
    assert raw(emulator, "GET", "/api.xro/2.0/Contacts", token="bogus").status_code == 401
    resp = raw(emulator, "GET", "/api.xro/2.0/Contacts", token=token["access_token"])
    assert resp.status_code == 403
    resp = raw(emulator, "GET", "/api.xro/2.0/Contacts", token=token["access_token"],
               tenant="00000000-0000-0000-0000-000000000000")
    assert resp.status_code == 403
    assert os.environ.get("OAUTHLIB_INSECURE_TRANSPORT") == "1"


# ---------------------------------------------------------------- the connector's client


class _GuardedEnviron(dict):
    """``os.environ`` stand-in that fails the test on any change."""

    def _refuse(self, *args, **kwargs):
        raise AssertionError("os.environ was modified: %r" % (args,))

    __setitem__ = __delitem__ = pop = setdefault = update = clear = popitem = _refuse


@contextmanager
def environ_untouched(monkeypatch):
    """Within the block, any change to ``os.environ`` fails the test."""
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    with patch.object(os, "environ", _GuardedEnviron(os.environ)):
        yield


def test_connector_flow_over_loopback_http_never_touches_environ(emulator, monkeypatch):
    with environ_untouched(monkeypatch):
        _connector_flow(emulator)
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


def _connector_flow(emulator):
    from clarus_sync_engine import oauth, tokens

    verifier = oauth.new_code_verifier()
    url = oauth.authorization_url(emulator.base_url + "/identity/connect/authorize",
                                  CLIENT_ID, REDIRECT, " ".join(SCOPE), "st-1", verifier)
    consent = requests.get(url, allow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.text
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(consent.headers["Location"]).query))
    assert params["state"] == "st-1"
    token = oauth.exchange_code(CLIENT_ID, CLIENT_SECRET, params["code"], REDIRECT, verifier,
                                emulator.base_url + "/connect/token")
    assert token["access_token"] and token["refresh_token"] and token["expires_at"]
    assert set(token["scope"]) == set(SCOPE)
    # The code is single use; PKCE is checked: a wrong verifier is invalid_grant.
    with pytest.raises(oauth.InvalidGrant):
        oauth.exchange_code(CLIENT_ID, CLIENT_SECRET, params["code"], REDIRECT, verifier,
                            emulator.base_url + "/connect/token")
    refreshed = tokens.refresh_token(CLIENT_ID, CLIENT_SECRET, token["refresh_token"],
                                     emulator.base_url + "/connect/token")
    assert refreshed["refresh_token"] != token["refresh_token"]


def test_connector_refuses_a_wrong_verifier(emulator, monkeypatch):
    from clarus_sync_engine import oauth

    verifier = oauth.new_code_verifier()
    with environ_untouched(monkeypatch):
        url = oauth.authorization_url(emulator.base_url + "/identity/connect/authorize",
                                      CLIENT_ID, REDIRECT, " ".join(SCOPE), "st-2", verifier)
        consent = requests.get(url, allow_redirects=False, timeout=10)
        code = dict(urllib.parse.parse_qsl(
            urllib.parse.urlsplit(consent.headers["Location"]).query))["code"]
        with pytest.raises(oauth.InvalidGrant):
            oauth.exchange_code(CLIENT_ID, CLIENT_SECRET, code, REDIRECT,
                                oauth.new_code_verifier(), emulator.base_url + "/connect/token")


@pytest.mark.parametrize("url", [
    "http://identity.example.com/connect/token",
    "http://127.0.0.1.example.com/connect/token",  # looks local, is not
    "http://localhost.example.com:8070/connect/token",
    "ftp://127.0.0.1/connect/token",
    "",
])
def test_https_required_for_anything_but_loopback(monkeypatch, url):
    from clarus_sync_engine import oauth, tokens

    def no_network(*args, **kwargs):
        raise AssertionError("a secret was about to be sent to %s" % url)

    monkeypatch.setattr(requests, "post", no_network)
    # Even with the process-wide oauthlib switch on, the rule stays per request.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with pytest.raises(oauth.OAuthFlowError, match="insecure_transport"):
        oauth.authorization_url(url, CLIENT_ID, REDIRECT, "openid", "st", "v" * 43)
    with pytest.raises(oauth.OAuthFlowError, match="insecure_transport"):
        oauth.exchange_code(CLIENT_ID, CLIENT_SECRET, "code", REDIRECT, "v" * 43, url)
    with pytest.raises(oauth.OAuthFlowError, match="insecure_transport"):
        oauth.revoke_token(CLIENT_ID, CLIENT_SECRET, "rt", url)
    with pytest.raises(tokens.TokenRefreshError, match="https is required"):
        tokens.refresh_token(CLIENT_ID, CLIENT_SECRET, "rt", url)


@pytest.mark.parametrize("url", [
    "https://identity.xero.com/connect/token",
    "http://127.0.0.1:8070/connect/token",
    "http://localhost/connect/token",
    "http://[::1]:8070/connect/token",
])
def test_https_or_loopback_is_allowed(url):
    from clarus_sync_engine import oauth

    oauth.check_transport(url)
