"""Many organisations, Xero's answer time, and a request log that shows calls in flight."""

import threading
import time

import requests

from tests.conftest import XeroSdk, issue_token


def control(emulator, method, path, body=None):
    response = requests.request(method, f"{emulator.base_url}/_emulator{path}", json=body,
                                timeout=30)
    return response.status_code, response.json()


def test_a_new_organisation_has_the_seed_chart_and_one_consent_grants_every_one(
        emulator, token_urls):
    names = [f"Client Org {n:02d}" for n in range(3)]
    for name in names:
        status, tenant = control(emulator, "POST", "/tenants", {"name": name})
        assert status == 200 and tenant["tenantName"] == name
        assert tenant["baseCurrency"] == "NZD"
    sdk = XeroSdk(emulator.base_url, issue_token(emulator.base_url))
    assert set(names) <= set(sdk.tenants)
    accounts = sdk.acct.get_accounts(sdk.tenants[names[1]]).accounts
    assert "200" in {a.code for a in accounts}
    taxes = sdk.acct.get_tax_rates(sdk.tenants[names[1]]).tax_rates
    assert "OUTPUT2" in {t.tax_type for t in taxes}


def test_adding_an_organisation_twice_or_without_a_name_is_refused(emulator):
    assert control(emulator, "POST", "/tenants", {"name": "Twice"})[0] == 200
    status, body = control(emulator, "POST", "/tenants", {"name": "Twice"})
    assert status == 400 and "exists" in body["error"]
    assert control(emulator, "POST", "/tenants", {})[0] == 400
    assert control(emulator, "POST", "/tenants", {"name": "X", "country_code": "US"})[0] == 400


def test_latency_delays_calls_per_record_and_organisations_are_answered_in_parallel(
        emulator, sdk):
    status, config = control(emulator, "POST", "/config",
                             {"latency": {"base": 0.2, "per_record": 0.01}})
    assert status == 200 and config["latency"] == {"base": 0.2, "per_record": 0.01}
    started = time.monotonic()
    sdk.acct.create_contacts(sdk.nz, {"Contacts": [{"Name": f"Latency {n}"}
                                                   for n in range(30)]})
    assert time.monotonic() - started >= 0.5  # 0.2 + 30 x 0.01

    threads = [threading.Thread(target=sdk.acct.get_accounts, args=(tenant,))
               for tenant in (sdk.nz, sdk.au)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started < 0.39  # two 0.2 s calls, side by side

    rows = control(emulator, "GET", "/requests?limit=3")[1]["requests"]
    gets = [r for r in rows if r["path"].endswith("/Accounts")]
    assert len(gets) == 2
    for row in gets:
        assert row["end"] - row["time"] >= 0.2
    # The two calls of two organisations overlapped in time.
    assert max(r["time"] for r in gets) < min(r["end"] for r in gets)
    control(emulator, "POST", "/config", {"latency": None})


def test_the_request_log_can_be_made_longer(emulator):
    status, config = control(emulator, "POST", "/config", {"request_log_size": 5000})
    assert status == 200 and config["request_log_size"] == 5000
