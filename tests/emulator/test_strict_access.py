"""Scopes per app and per endpoint, disconnection, missing tenant, and URL length (§1, §8)."""

import urllib.parse

import pytest
import requests
from conftest import CLIENT_ID, NZ_NAME, XeroSdk, issue_token
from emu_helpers import control, raw
from xero_python.accounting import models as m
from xero_python.exceptions import HTTPStatusException

REDIRECT = "http://127.0.0.1:8765/callback"
LEGACY_ID = "clarus-legacy-client"
LEGACY_SECRET = "clarus-legacy-secret"
GRANULAR = ("offline_access accounting.contacts accounting.settings accounting.invoices "
            "accounting.payments")


def authorize(emulator, client_id, scope):
    """-> the query of the redirect Xero's authorize endpoint answers with."""
    url = emulator.base_url + "/identity/connect/authorize?" + urllib.parse.urlencode(
        {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
         "scope": scope, "state": "s1"})
    resp = requests.get(url, allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(resp.headers["Location"]).query))


def nz_tenant(emulator):
    tenants = control(emulator, "GET", "/tenants")["tenants"]
    return next(t["tenantId"] for t in tenants if t["tenantName"] == NZ_NAME)


def tokens_call(emulator, **body):
    return requests.post(emulator.base_url + "/_emulator/tokens", json=body, timeout=10)


def test_new_app_is_refused_broad_and_unknown_scopes(emulator):
    broad = authorize(emulator, CLIENT_ID, "offline_access accounting.transactions")
    assert broad == {"error": "invalid_scope", "state": "s1"}
    read = authorize(emulator, CLIENT_ID, "accounting.transactions.read")
    assert read["error"] == "invalid_scope"
    unknown = authorize(emulator, CLIENT_ID, "offline_access accounting.everything")
    assert unknown["error"] == "invalid_scope"
    ok = authorize(emulator, CLIENT_ID, GRANULAR)
    assert ok.get("code") and "error" not in ok
    # The control API's direct tokens follow the same rule, as a 400 from a token endpoint.
    resp = tokens_call(emulator, client_id=CLIENT_ID, scope="accounting.transactions")
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_scope"
    assert issue_token(emulator.base_url)["scope"] == GRANULAR


def test_legacy_app_keeps_broad_scopes(emulator):
    granted = authorize(emulator, LEGACY_ID, "offline_access accounting.transactions "
                                             "accounting.settings")
    assert granted.get("code")
    form = {"grant_type": "authorization_code", "code": granted["code"],
            "redirect_uri": REDIRECT, "client_id": LEGACY_ID, "client_secret": LEGACY_SECRET}
    token = requests.post(emulator.base_url + "/connect/token", data=form, timeout=10).json()
    assert "accounting.transactions" in token["scope"].split()
    tenant = nz_tenant(emulator)
    invoices = raw(emulator, "GET", "/api.xro/2.0/Invoices", token["access_token"], tenant)
    assert invoices.status_code == 200
    # The broad scope does not cover Contacts, nor Items (the spec puts them in settings).
    contacts = raw(emulator, "GET", "/api.xro/2.0/Contacts", token["access_token"], tenant)
    assert contacts.status_code == 401
    # A client registered through the control API as legacy behaves the same.
    control(emulator, "POST", "/clients", {"client_id": "old-app", "client_secret": "x",
                                           "legacy": True})
    assert tokens_call(emulator, client_id="old-app",
                       scope="accounting.transactions").status_code == 200
    control(emulator, "POST", "/clients", {"client_id": "new-app", "client_secret": "x"})
    assert tokens_call(emulator, client_id="new-app",
                       scope="accounting.transactions").status_code == 400


def assert_insufficient(resp):
    assert resp.status_code == 401, resp.text
    assert resp.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'
    assert resp.json()["Title"] == "Unauthorized"


@pytest.mark.parametrize("scope,method,path,allowed", [
    ("accounting.contacts", "GET", "/Invoices", False),
    ("accounting.invoices", "GET", "/Invoices", True),
    ("accounting.invoices.read", "GET", "/CreditNotes", True),
    ("accounting.invoices.read", "PUT", "/Invoices", False),
    ("accounting.invoices", "GET", "/Payments", False),
    ("accounting.payments.read", "GET", "/Payments", True),
    ("accounting.payments.read", "PUT", "/Payments", False),
    ("accounting.invoices", "GET", "/Contacts", False),
    ("accounting.contacts.read", "POST", "/Contacts", False),
    ("accounting.invoices", "GET", "/Organisation", False),
    ("accounting.settings.read", "GET", "/TaxRates", True),
    ("accounting.settings.read", "PUT", "/Accounts", False),
    ("accounting.invoices", "PUT", "/Items", True),
    ("accounting.settings", "POST", "/Items", True),
    ("accounting.invoices.read", "POST", "/Items", False),
    ("accounting.payments", "GET", "/ManualJournals", False),
    ("accounting.settings", "GET", "/BankTransactions", False),
    ("accounting.invoices", "PUT", "/CreditNotes/abc/Allocations", True),
    ("accounting.payments", "PUT", "/CreditNotes/abc/Allocations", False),
])
def test_endpoint_needs_its_scope(emulator, scope, method, path, allowed):
    token = issue_token(emulator.base_url, scope=scope)["access_token"]
    resp = raw(emulator, method, "/api.xro/2.0" + path, token, nz_tenant(emulator),
               json={} if method != "GET" else None)
    if allowed:
        assert resp.status_code != 401, resp.text
    else:
        assert_insufficient(resp)


def test_sdk_sees_insufficient_scope_as_401(emulator, token_urls):
    sdk = XeroSdk(emulator.base_url, issue_token(emulator.base_url,
                                                 scope="accounting.contacts.read"))
    assert sdk.acct.get_contacts(sdk.nz).contacts == []
    with pytest.raises(HTTPStatusException) as info:
        sdk.acct.create_contacts(sdk.nz, m.Contacts(contacts=[m.Contact(name="X")]))
    assert info.value.status == 401
    assert "insufficient_scope" in info.value.headers["WWW-Authenticate"]
    assert control(emulator, "GET", "/documents/Contacts?tenant=" + sdk.nz)["records"] == []


def test_disconnected_tenant_and_missing_tenant_answer_403(emulator, sdk):
    token = sdk.token["access_token"]
    missing = raw(emulator, "GET", "/api.xro/2.0/Organisation", token)
    assert missing.status_code == 403 and missing.json()["Title"] == "Forbidden"
    out = control(emulator, "POST", "/disconnect", {"tenant_id": sdk.nz})
    assert out["disconnected_grants"] == 1
    for method, path in (("GET", "/Organisation"), ("GET", "/Invoices"),
                         ("PUT", "/Contacts")):
        resp = raw(emulator, method, "/api.xro/2.0" + path, token, sdk.nz,
                   json={"Contacts": [{"Name": "After"}]} if method == "PUT" else None)
        assert resp.status_code == 403, (path, resp.text)
        assert resp.json()["Title"] == "Forbidden" and resp.json()["Detail"]
    assert NZ_NAME not in [c.tenant_name for c in sdk.ident.get_connections()]
    # The other organisation stays connected.
    assert sdk.acct.get_organisations(sdk.au).organisations


def test_url_over_2000_characters_answers_404(emulator, sdk):
    ids = ",".join("00000000-0000-0000-0000-%012d" % i for i in range(60))
    long_path = "/api.xro/2.0/Invoices?IDs=" + urllib.parse.quote(ids)
    assert len(long_path) > 2000
    resp = raw(emulator, "GET", long_path, sdk.token["access_token"], sdk.nz)
    assert resp.status_code == 404
    assert resp.json()["Detail"] == "The resource you're looking for cannot be found"
    short = "/api.xro/2.0/Invoices?IDs=" + urllib.parse.quote(ids[:37 * 50 - 1])
    assert len(short) <= 2000
    assert raw(emulator, "GET", short, sdk.token["access_token"], sdk.nz).status_code == 200
    # The SDK meets the same answer for a where clause that grows too long.
    where = " OR ".join('InvoiceNumber=="INV-%05d"' % i for i in range(80))
    with pytest.raises(HTTPStatusException) as info:
        sdk.acct.get_invoices(sdk.nz, where=where)
    assert info.value.status == 404
