"""Rate limits, idempotency keys, fault injection and the control API."""

import concurrent.futures
import time
import uuid

import pytest
import requests
from emu_helpers import TODAY, contact, control, line, raw
from xero_python.accounting import models as m
from xero_python.exceptions import HTTPStatusException, RateLimitException

LIMIT_HEADERS = ("X-DayLimit-Remaining", "X-MinLimit-Remaining", "X-AppMinLimit-Remaining")


def get_org(emulator, sdk, tenant=None):
    return raw(emulator, "GET", "/api.xro/2.0/Organisation", sdk.token["access_token"],
               tenant or sdk.nz)


def test_limit_headers_count_down_per_tenant(emulator, sdk):
    first = get_org(emulator, sdk)
    second = get_org(emulator, sdk)
    assert all(h in first.headers for h in LIMIT_HEADERS)
    assert int(second.headers["X-MinLimit-Remaining"]) == \
        int(first.headers["X-MinLimit-Remaining"]) - 1
    assert int(second.headers["X-DayLimit-Remaining"]) == \
        int(first.headers["X-DayLimit-Remaining"]) - 1
    au = get_org(emulator, sdk, sdk.au)
    assert int(au.headers["X-MinLimit-Remaining"]) == 59


def test_minute_limit_429_and_reset(emulator, sdk):
    control(emulator, "POST", "/config", {"minute_limit": 3})
    for _ in range(3):
        assert get_org(emulator, sdk).status_code == 200
    over = get_org(emulator, sdk)
    assert over.status_code == 429
    assert over.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert over.headers["X-MinLimit-Remaining"] == "0"
    with pytest.raises(RateLimitException) as info:
        sdk.acct.get_organisations(sdk.nz)
    assert info.value.rate_limit == "minute"
    assert get_org(emulator, sdk, sdk.au).status_code == 200
    control(emulator, "POST", "/clock", {"advance_seconds": 61})
    assert get_org(emulator, sdk).status_code == 200
    assert control(emulator, "GET", "/calls")["rate_limited"] == 2


def test_day_limit_429(emulator, sdk):
    control(emulator, "POST", "/config", {"day_limit": 2})
    get_org(emulator, sdk)
    get_org(emulator, sdk)
    over = get_org(emulator, sdk)
    assert over.status_code == 429 and over.headers["X-Rate-Limit-Problem"] == "day"
    assert 80000 < int(over.headers["Retry-After"]) <= 86400
    assert over.headers["X-DayLimit-Remaining"] == "0"


def test_concurrent_limit_429_without_retry_after(emulator, sdk):
    control(emulator, "POST", "/config", {"concurrent_limit": 2})
    control(emulator, "POST", "/faults", {"mode": "slow", "delay": 0.6, "count": 2})
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        slow = [pool.submit(get_org, emulator, sdk) for _ in range(2)]
        time.sleep(0.25)
        third = get_org(emulator, sdk)
        assert [f.result().status_code for f in slow] == [200, 200]
    assert third.status_code == 429
    assert third.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert "Retry-After" not in third.headers


def test_idempotency_replay_mismatch_and_expiry(emulator, sdk):
    key = str(uuid.uuid4())
    contacts = m.Contacts(contacts=[m.Contact(name="Idem Co")])
    first = sdk.acct.create_contacts(sdk.nz, contacts, idempotency_key=key).contacts[0]
    again = sdk.acct.create_contacts(sdk.nz, contacts, idempotency_key=key).contacts[0]
    assert again.contact_id == first.contact_id
    stored = control(emulator, "GET", "/documents/Contacts?tenant=" + sdk.nz)["records"]
    assert len(stored) == 1
    with pytest.raises(HTTPStatusException) as info:
        sdk.acct.create_contacts(sdk.nz, m.Contacts(contacts=[m.Contact(name="Different")]),
                                 idempotency_key=key)
    assert info.value.status == 400 and b"Idempotency-Key" in info.value.body
    # Errors are replayed too.
    dup_key = str(uuid.uuid4())
    body = {"Contacts": [{"Name": "Idem Co"}]}
    r1 = raw(emulator, "PUT", "/api.xro/2.0/Contacts", sdk.token["access_token"], sdk.nz,
             json=body, headers={"Idempotency-Key": dup_key})
    r2 = raw(emulator, "PUT", "/api.xro/2.0/Contacts", sdk.token["access_token"], sdk.nz,
             json=body, headers={"Idempotency-Key": dup_key})
    assert r1.status_code == r2.status_code == 400 and r1.content == r2.content
    assert r2.headers.get("X-Emulator-Idempotent-Replay") == "true"
    control(emulator, "POST", "/clock", {"advance_seconds": 361})
    fresh = sdk.acct.create_contacts(sdk.nz, m.Contacts(contacts=[m.Contact(name="Idem 2")]),
                                     idempotency_key=key).contacts[0]
    assert fresh.contact_id != first.contact_id


def test_rate_limit_checked_before_idempotency(emulator, sdk):
    control(emulator, "POST", "/config", {"minute_limit": 1})
    key = str(uuid.uuid4())
    ok = raw(emulator, "PUT", "/api.xro/2.0/Contacts", sdk.token["access_token"], sdk.nz,
             json={"Contacts": [{"Name": "RL"}]}, headers={"Idempotency-Key": key})
    assert ok.status_code == 200
    again = raw(emulator, "PUT", "/api.xro/2.0/Contacts", sdk.token["access_token"], sdk.nz,
                json={"Contacts": [{"Name": "RL"}]}, headers={"Idempotency-Key": key})
    assert again.status_code == 429


def test_fault_5xx_before_processing_with_count_and_filters(emulator, sdk):
    control(emulator, "POST", "/faults", {"mode": "error", "status": 502, "count": 1,
                                          "method": "PUT", "path_prefix": "/api.xro/2.0/Contacts"})
    assert get_org(emulator, sdk).status_code == 200
    with pytest.raises(HTTPStatusException) as info:
        contact(sdk, "Five")
    assert info.value.status == 502
    assert control(emulator, "GET", "/documents/Contacts?tenant=" + sdk.nz)["records"] == []
    assert contact(sdk, "Five").name == "Five"
    control(emulator, "POST", "/faults", {"mode": "error", "rate": 0.5, "seed": 7})
    statuses = [get_org(emulator, sdk).status_code for _ in range(20)]
    assert 503 in statuses and 200 in statuses
    control(emulator, "DELETE", "/faults")
    assert {get_org(emulator, sdk).status_code for _ in range(3)} == {200}


def test_fault_rate_is_deterministic_for_a_seed(emulator, sdk):
    runs = []
    for _ in range(2):
        control(emulator, "DELETE", "/faults")
        control(emulator, "POST", "/faults", {"mode": "error", "rate": 0.3, "seed": 42})
        runs.append([get_org(emulator, sdk).status_code for _ in range(12)])
    control(emulator, "DELETE", "/faults")
    assert runs[0] == runs[1] and 503 in runs[0]


def test_fault_slow(emulator, sdk):
    control(emulator, "POST", "/faults", {"mode": "slow", "delay": 0.4, "count": 1})
    start = time.monotonic()
    assert sdk.acct.get_organisations(sdk.nz).organisations
    assert time.monotonic() - start >= 0.4


def test_fault_timeout_stores_write_but_never_answers(emulator, sdk):
    control(emulator, "POST", "/faults", {"mode": "timeout", "hold": 0.3, "count": 1,
                                          "method": "PUT"})
    key = str(uuid.uuid4())
    with pytest.raises(requests.exceptions.ConnectionError):
        raw(emulator, "PUT", "/api.xro/2.0/Contacts", sdk.token["access_token"], sdk.nz,
            json={"Contacts": [{"Name": "Ghost"}]}, headers={"Idempotency-Key": key})
    stored = control(emulator, "GET", "/documents/Contacts?tenant=" + sdk.nz)["records"]
    assert [c["Name"] for c in stored] == ["Ghost"]
    retry = raw(emulator, "PUT", "/api.xro/2.0/Contacts", sdk.token["access_token"], sdk.nz,
                json={"Contacts": [{"Name": "Ghost"}]}, headers={"Idempotency-Key": key})
    assert retry.status_code == 200
    assert retry.json()["Contacts"][0]["ContactID"] == stored[0]["ContactID"]


def test_fault_drop_closes_without_processing(emulator, sdk):
    control(emulator, "POST", "/faults", {"mode": "drop", "count": 1})
    with pytest.raises(requests.exceptions.ConnectionError):
        raw(emulator, "PUT", "/api.xro/2.0/Contacts", sdk.token["access_token"], sdk.nz,
            json={"Contacts": [{"Name": "Dropped"}]})
    assert control(emulator, "GET", "/documents/Contacts?tenant=" + sdk.nz)["records"] == []
    log = control(emulator, "GET", "/requests?limit=1")["requests"][0]
    assert log["fault"] == "drop" and log["status"] == "dropped"


def test_fault_forced_limits(emulator, sdk):
    control(emulator, "POST", "/faults", {"faults": [
        {"mode": "rate_limit", "problem": "day", "count": 1},
        {"mode": "rate_limit", "problem": "minute", "count": 1, "retry_after": 7}]})
    day = get_org(emulator, sdk)
    assert day.status_code == 429 and day.headers["X-Rate-Limit-Problem"] == "day"
    assert int(day.headers["Retry-After"]) > 60
    minute = get_org(emulator, sdk)
    assert minute.headers["X-Rate-Limit-Problem"] == "minute"
    assert minute.headers["Retry-After"] == "7"
    assert get_org(emulator, sdk).status_code == 200


def test_control_api_inspection(emulator, sdk):
    contact(sdk, "Inspect")
    sdk.acct.get_contacts(sdk.nz)
    calls = control(emulator, "GET", "/calls")
    assert calls["by_endpoint"]["PUT /Contacts"] == 1
    assert calls["by_endpoint"]["GET /Contacts"] == 1
    assert calls["by_tenant"][sdk.nz]["PUT /Contacts"] == 1
    reqs = control(emulator, "GET", "/requests?limit=2")["requests"]
    assert [r["method"] for r in reqs] == ["PUT", "GET"]
    assert reqs[0]["tenant"] == sdk.nz and reqs[0]["status"] == 200
    tenants = control(emulator, "GET", "/tenants")["tenants"]
    assert len(tenants) == 2
    cfg = control(emulator, "POST", "/config", {"minute_limit": 10})
    assert cfg["minute_limit"] == 10 and cfg["day_limit"] == 5000
    control(emulator, "POST", "/reset", {"seed": False})
    assert control(emulator, "GET", "/tenants")["tenants"] == []
    control(emulator, "POST", "/reset", {"seed": True})
    assert len(control(emulator, "GET", "/tenants")["tenants"]) == 2
    assert requests.get(emulator.base_url + "/_emulator/nope", timeout=5).status_code == 404


def test_every_date_deserializes_through_sdk(sdk):
    c = contact(sdk, "Dates")
    inv = sdk.acct.create_invoices(sdk.nz, m.Invoices(invoices=[m.Invoice(
        type="ACCREC", contact=m.Contact(contact_id=c.contact_id), date=TODAY, due_date=TODAY,
        status="AUTHORISED", line_items=[line()])])).invoices[0]
    sdk.acct.create_payment(sdk.nz, m.Payment(invoice=m.Invoice(invoice_id=inv.invoice_id),
                                              account=m.Account(code="090"), amount=1,
                                              date=TODAY))
    full = sdk.acct.get_invoices(sdk.nz).invoices[0]
    assert full.date == TODAY and full.due_date == TODAY
    assert full.updated_date_utc.tzinfo is not None
    assert full.payments[0].date == TODAY
    for call in (sdk.acct.get_accounts, sdk.acct.get_contacts, sdk.acct.get_items,
                 sdk.acct.get_payments, sdk.acct.get_credit_notes,
                 sdk.acct.get_purchase_orders, sdk.acct.get_organisations):
        assert call(sdk.nz) is not None
