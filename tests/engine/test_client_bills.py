"""Supplier bills and credit notes are found by contact, number and date, never by
number alone: Xero lets a supplier's number repeat (XERO_API §4)."""

import json
import urllib.request
import uuid

import pytest

from clarus_sync_engine import mapping, scopes, urls
from clarus_sync_engine.client import BillKey, bill_key, make_gateway
from clarus_sync_engine.pacing import RatePacer
from clarus_xero_emulator.server import start_server


def _post_json(url, data):
    request = urllib.request.Request(url, data=json.dumps(data).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _requests(emulator):
    url = emulator.base_url + "/_emulator/requests?limit=2000"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())["requests"]


@pytest.fixture(scope="module")
def emulator(emulator_spec_path):
    # With XERO_OPENAPI_SPEC set, every request is also checked against Xero's spec.
    handle = start_server(port=0, spec_path=emulator_spec_path)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def gateway(emulator):
    token = _post_json(emulator.base_url + "/_emulator/tokens",
                       {"client_id": "clarus-demo-client", "scope": scopes.DEFAULT_SCOPE})
    return make_gateway("clarus-demo-client", "clarus-demo-secret", lambda: token,
                        lambda new: token.update(new), api_base_url=emulator.base_url,
                        identity_base_url=emulator.base_url, timeout=10, pacer=RatePacer())


@pytest.fixture(scope="module")
def tenant(gateway):
    return next(c["tenantId"] for c in gateway.connections()
                if c["tenantName"] == "Clarus Demo Company (NZ)")


def _supplier(gateway, tenant):
    ref = "S" + uuid.uuid4().hex[:8].upper()
    payload = mapping.contact_payload({"ref": ref, "name": "Supplier %s" % ref})
    result = gateway.send_batch("contact", tenant, [payload], None)
    assert result.results[0].ok, result.results[0].errors
    return result.results[0].xero_id


def _document(kind, contact_id, number, date, price="10.00", doc_type="ACCPAY"):
    move = {"number": number, "vendor_ref": number, "type": doc_type, "date": date,
            "due_date": date, "contact_id": contact_id, "status": "AUTHORISED",
            "lines": [{"description": "Goods", "quantity": 1, "price_unit": price,
                       "account_code": "429" if doc_type == "ACCPAY" else "200",
                       "tax_type": "INPUT2" if doc_type == "ACCPAY" else "OUTPUT2"}]}
    if kind == "credit_note":
        return mapping.credit_note_payload(move)
    return mapping.invoice_payload(move)


def _send(gateway, tenant, kind, elements):
    result = gateway.send_batch(kind, tenant, elements, None)
    assert all(r.ok for r in result.results), [r.errors for r in result.results]
    return [r.xero_id for r in result.results]


def test_a_bill_is_found_by_contact_number_and_date_not_by_number_alone(gateway, tenant):
    supplier, other = _supplier(gateway, tenant), _supplier(gateway, tenant)
    number = "REF-" + uuid.uuid4().hex[:6]
    wanted, same_number_other_day, same_number_other_supplier, sale = _send(
        gateway, tenant, "invoice", [
            _document("invoice", supplier, number, "2026-11-03"),
            _document("invoice", supplier, number, "2026-11-04"),
            _document("invoice", other, number, "2026-11-03"),
            _document("invoice", supplier, number, "2026-11-03", doc_type="ACCREC"),
        ])
    key = BillKey(supplier.lower(), number, "2026-11-03")
    found = gateway.find_bills(tenant, [key, BillKey(supplier.lower(), "NONE", "2026-11-03")])
    assert list(found) == [key]
    assert [e["InvoiceID"] for e in found[key]] == [wanted]
    assert bill_key("invoice", found[key][0]) == key
    # The number look-up used for our own invoices never answers with a supplier's bill.
    by_number = gateway.find_existing("invoice", tenant, [number])
    assert by_number[number]["InvoiceID"] == sale
    assert {same_number_other_day, same_number_other_supplier}.isdisjoint(
        e["InvoiceID"] for e in found[key])


def test_two_bills_with_one_key_are_both_returned(gateway, tenant):
    supplier = _supplier(gateway, tenant)
    number = "TWICE-" + uuid.uuid4().hex[:6]
    ids = _send(gateway, tenant, "invoice", [
        _document("invoice", supplier, number, "2026-11-05", price="10.00"),
        _document("invoice", supplier, number, "2026-11-05", price="20.00"),
    ])
    key = BillKey(supplier.lower(), number, "2026-11-05")
    assert sorted(e["InvoiceID"] for e in gateway.find_bills(tenant, [key])[key]) == sorted(ids)


def test_a_supplier_credit_note_is_found_by_its_key(gateway, tenant):
    supplier = _supplier(gateway, tenant)
    number = "CR-" + uuid.uuid4().hex[:6]
    credit_id, _other_day = _send(gateway, tenant, "credit_note", [
        _document("credit_note", supplier, number, "2026-11-06"),
        _document("credit_note", supplier, number, "2026-11-07"),
    ])
    key = BillKey(supplier.lower(), number, "2026-11-06")
    found = gateway.find_bills(tenant, [key], kind="credit_note")
    assert [e["CreditNoteID"] for e in found[key]] == [credit_id]


def test_bill_lookups_stay_within_the_url_budget_on_the_wire(gateway, tenant, emulator):
    supplier = _supplier(gateway, tenant)
    keys = [BillKey(supplier.lower(), 'Supplier "ref" & no. %03d' % i, "2026-11-08")
            for i in range(60)]
    before = len(_requests(emulator))
    assert gateway.find_bills(tenant, keys) == {}
    gets = [r for r in _requests(emulator)[before:] if r["method"] == "GET"]
    assert len(gets) > 1, "sixty keys do not fit one URL"
    for row in gets:
        assert len(emulator.base_url + row["path"] + "?" + row["query"]) <= urls.URL_BUDGET
