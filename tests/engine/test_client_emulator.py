"""The gateway against the project's Xero emulator, over real HTTP with the real SDK."""

import json
import random
import urllib.request
import uuid
from decimal import Decimal as D

import pytest

from clarus_sync_engine import mapping, scopes, states, taxes, totals, urls
from clarus_sync_engine.client import make_gateway
from clarus_sync_engine.pacing import RatePacer
from clarus_sync_engine.retry import classify

try:
    from clarus_xero_emulator.server import start_server
except ImportError as exc:  # the emulator is developed alongside; skip only while absent
    start_server = None
    IMPORT_ERROR = str(exc)

pytestmark = pytest.mark.skipif(
    start_server is None,
    reason="clarus_xero_emulator.server is not importable yet (%s)"
    % (IMPORT_ERROR if start_server is None else ""),
)


def _post_json(url, data):
    request = urllib.request.Request(url, data=json.dumps(data).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def emulator():
    handle = start_server(port=0)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def gateway(emulator):
    token = _post_json(emulator.base_url + "/_emulator/tokens",
                       {"client_id": "clarus-demo-client", "scope": scopes.DEFAULT_SCOPE})
    return make_gateway("clarus-demo-client", "clarus-demo-secret", lambda: token,
                        lambda new: token.update(new), api_base_url=emulator.base_url,
                        identity_base_url=emulator.base_url, timeout=10,
                        pacer=RatePacer())


@pytest.fixture(scope="module")
def tenant(gateway):
    connections = gateway.connections()
    assert connections, "the emulator lists no tenant"
    return connections[0]["tenantId"]


@pytest.fixture(scope="module")
def reference(gateway, tenant):
    return gateway.get_reference_data(tenant)


def _sales_account_and_tax(reference):
    account = next(a for a in reference["accounts"] if a.get("Type") in ("REVENUE", "SALES")
                   and a.get("Status", "ACTIVE") == "ACTIVE")
    tax = next(t for t in reference["tax_rates"] if t.get("CanApplyToRevenue", True)
               and t.get("Status", "ACTIVE") == "ACTIVE")
    return account["Code"], tax["TaxType"]


def _contact(gateway, tenant, ref):
    payload = mapping.contact_payload({"ref": ref, "name": "Engine test %s" % ref,
                                       "email": "%s@example.test" % ref.lower()})
    result = gateway.send_batch("contact", tenant, [payload], "contact-" + ref)
    assert result.results[0].ok, result.results[0].errors
    return result.results[0].xero_id


def test_reference_data_has_what_mapping_needs(reference):
    assert reference["accounts"] and reference["tax_rates"] and reference["currencies"]
    assert isinstance(reference["contacts"], list)


def test_organisation_is_the_tenants_own(gateway, tenant):
    # The dict ``guards.lock_date_check`` reads its PeriodLockDate/EndOfYearLockDate from.
    names = {c["tenantId"]: c["tenantName"] for c in gateway.connections()}
    assert gateway.organisation(tenant)["Name"] == names[tenant]


def test_contact_created_then_found_by_its_number(gateway, tenant):
    ref = "E" + uuid.uuid4().hex[:8].upper()
    xero_id = _contact(gateway, tenant, ref)
    assert xero_id
    found = gateway.find_existing("contact", tenant, [ref, "NOPE-" + ref])
    assert list(found) == [ref] and found[ref]["ContactID"] == xero_id


def test_invoice_batch_binds_ids_and_reports_bad_elements_separately(gateway, tenant, reference,
                                                                     emulator):
    account, tax = _sales_account_and_tax(reference)
    contact_id = _contact(gateway, tenant, "E" + uuid.uuid4().hex[:8].upper())
    number = "INV/T/" + uuid.uuid4().hex[:6]
    good = mapping.invoice_payload({
        "number": number, "sale_order_ref": "S1", "date": "2026-03-01",
        "due_date": "2026-03-31", "contact_id": contact_id, "status": "AUTHORISED",
        "lines": [{"description": "Widget", "quantity": 2, "price_unit": "12.3456",
                   "account_code": account, "tax_type": tax}]})
    bad = dict(good, InvoiceNumber=number + "-bad", LineItems=[
        dict(good["LineItems"][0], AccountCode="NO-SUCH-ACCOUNT")])
    key = "engine-" + uuid.uuid4().hex
    result = gateway.send_batch("invoice", tenant, [good, bad], key)
    assert result.status == 200 and len(result.results) == 2
    first, second = result.results
    assert first.ok and first.xero_id and first.number == number
    assert not second.ok and second.errors
    assert any(k.lower() == "x-minlimit-remaining" for k in result.headers)
    found = gateway.find_existing("invoice", tenant, [number])
    assert found[number]["InvoiceID"] == first.xero_id
    log = json.dumps(_get_json(emulator.base_url + "/_emulator/requests"))
    assert key in log and "summarizeErrors=False" in log and "unitdp=4" in log


def test_read_back_by_ids_for_invoices_and_credit_notes(gateway, tenant, reference):
    account, tax = _sales_account_and_tax(reference)
    contact_id = _contact(gateway, tenant, "E" + uuid.uuid4().hex[:8].upper())
    move = {"date": "2026-03-01", "due_date": "2026-03-31", "contact_id": contact_id,
            "lines": [{"description": "W", "quantity": 1, "price_unit": 5,
                       "account_code": account, "tax_type": tax}]}
    invoice = gateway.send_batch("invoice", tenant, [mapping.invoice_payload(
        dict(move, number="INV/B/" + uuid.uuid4().hex[:6]))], None).results[0]
    note = gateway.send_batch("credit_note", tenant, [mapping.credit_note_payload(
        dict(move, number="CN/B/" + uuid.uuid4().hex[:6]))], None).results[0]
    unknown = [str(uuid.uuid4()) for _ in range(70)]  # several URL chunks
    found = gateway.read_by_ids("invoice", tenant, unknown + [invoice.xero_id])
    assert list(found) == [invoice.xero_id] and found[invoice.xero_id]["Status"]
    found = gateway.read_by_ids("credit_note", tenant, [note.xero_id] + unknown)
    assert list(found) == [note.xero_id]


def test_history_note_on_an_invoice(gateway, tenant, reference):
    account, tax = _sales_account_and_tax(reference)
    contact_id = _contact(gateway, tenant, "E" + uuid.uuid4().hex[:8].upper())
    invoice = mapping.invoice_payload({
        "number": "INV/H/" + uuid.uuid4().hex[:6], "date": "2026-03-01",
        "due_date": "2026-03-31",  # Xero refuses an AUTHORISED invoice without one
        "contact_id": contact_id, "lines": [{"description": "W", "quantity": 1,
                                             "price_unit": 5, "account_code": account,
                                             "tax_type": tax}]})
    created = gateway.send_batch("invoice", tenant, [invoice], None).results[0]
    assert created.ok, created.errors
    invoice_id = created.xero_id
    note = mapping.history_payload("invoice", invoice_id,
                                   mapping.history_note("UPS", "1Z999", "WH/OUT/1"))
    result = gateway.send_batch("history", tenant, [note], "hist-" + uuid.uuid4().hex)
    assert result.status == 200 and result.results and result.results[0].ok


def test_unknown_invoice_is_classified_for_the_user(gateway, tenant):
    with pytest.raises(Exception) as info:
        gateway.add_history("invoice", tenant, str(uuid.uuid4()), "x")
    assert classify(info.value).category in (states.VALIDATION,)


def _requests(emulator, limit=500):
    return _get_json(emulator.base_url + "/_emulator/requests?limit=%d" % limit)["requests"]


def test_new_contacts_are_put_and_a_name_clash_comes_back_as_such(gateway, tenant, emulator):
    ref = "E" + uuid.uuid4().hex[:8].upper()
    name = "Clash Test %s" % ref
    first = gateway.send_batch("contact", tenant, [mapping.contact_payload(
        {"ref": ref, "name": name})], "put-" + ref).results[0]
    assert first.ok
    # Same name in another case and spacing, another code: Xero's PUT refuses it.
    again = gateway.send_batch("contact", tenant, [mapping.contact_payload(
        {"ref": ref + "B", "name": "  " + name.upper()})], None).results[0]
    assert not again.ok and again.conflict == "name_clash"
    bound = mapping.contact_payload({"ref": ref, "name": name + " renamed",
                                     "xero_id": first.xero_id})
    update = gateway.send_batch("contact", tenant, [bound], None).results[0]
    assert update.ok and update.xero_id == first.xero_id
    writes = [r for r in _requests(emulator, 50) if r["path"].endswith("/Contacts")
              and r["method"] in ("PUT", "POST")]
    assert [r["method"] for r in writes[-3:]] == ["PUT", "PUT", "POST"]


def test_lookups_stay_within_the_url_budget_on_the_wire(gateway, tenant, emulator):
    names = ['Very "Long" Customer & Partners %03d of Wellington' % i for i in range(120)]
    before = len(_requests(emulator, 2000))
    by_number, by_name, _ = gateway.find_contacts(tenant, numbers=["N%03d" % i
                                                                  for i in range(50)],
                                                  names=names)
    assert not by_number and not by_name  # none of them exists
    gets = [r for r in _requests(emulator, 2000)[before:] if r["method"] == "GET"]
    assert len(gets) > 1
    for row in gets:
        wire = emulator.base_url + row["path"] + "?" + row["query"]
        assert len(wire) <= urls.URL_BUDGET


def _coding(reference, klass, types):
    """An active account of ``types``, the tax rates that fit it, its no-tax rate."""
    account = next(a for a in reference["accounts"] if a.get("Type") in types
                   and a.get("Status", "ACTIVE") == "ACTIVE" and not a.get("SystemAccount"))
    fitting = taxes.rates_for_account(reference["tax_rates"], account)
    return account["Code"], fitting, taxes.no_tax_type(reference["tax_rates"], klass)


def test_random_discounted_invoices_land_on_odoo_totals_in_xero(gateway, tenant, reference):
    coding = {"ACCREC": _coding(reference, "REVENUE", ("REVENUE", "SALES")),
              "ACCPAY": _coding(reference, "EXPENSE", ("EXPENSE", "DIRECTCOSTS", "OVERHEADS"))}
    contact_id = _contact(gateway, tenant, "E" + uuid.uuid4().hex[:8].upper())
    rng = random.Random(7)
    moves, payloads = [], []
    for index in range(12):
        kind = "ACCPAY" if index % 3 == 0 else "ACCREC"
        account, fitting, no_tax = coding[kind]
        lines = []
        for _ in range(rng.randint(1, 6)):
            tax = rng.choice(fitting)
            lines.append({"description": "W", "account_code": account,
                          "tax_type": tax["TaxType"], "tax_rate": D(str(tax["EffectiveRate"])),
                          "quantity": D(rng.choice(["1", "3", "0.5", "12"])),
                          "price_unit": D(rng.randint(1, 900000)) / 1000,
                          "discount": rng.choice([D(0), D("12.5"), D("33.33")])})
        base = [line["quantity"] * line["price_unit"] * (1 - line["discount"] / 100)
                for line in lines]
        tax_exact = sum(b * line["tax_rate"] / 100 for b, line in zip(base, lines, strict=True))
        untaxed = totals.round_money(sum(base))  # Odoo "round globally"
        tax_total = totals.round_money(tax_exact)
        move = {"number": "INV/R/%s-%d" % (uuid.uuid4().hex[:6], index), "date": "2026-03-01",
                "due_date": "2026-03-31", "contact_id": contact_id,
                "type": kind,
                "rounding": "round_globally", "amount_untaxed": untaxed,
                "amount_tax": tax_total, "amount_total": untaxed + tax_total,
                "rounding_account_code": account, "no_tax_type": no_tax, "lines": lines}
        problems = []
        build = mapping.credit_note_payload if index % 4 == 1 else mapping.invoice_payload
        payloads.append(build(move, problems))
        assert not problems
        moves.append(move)
    invoices = [p for p in payloads if "CreditNoteNumber" not in p]
    notes = [p for p in payloads if "CreditNoteNumber" in p]
    answers = gateway.send_batch("invoice", tenant, invoices, None).results
    answers += gateway.send_batch("credit_note", tenant, notes, None).results
    expected = [m for m, p in zip(moves, payloads, strict=True) if "CreditNoteNumber" not in p]
    expected += [m for m, p in zip(moves, payloads, strict=True) if "CreditNoteNumber" in p]
    for move, answer in zip(expected, answers, strict=True):
        assert answer.ok, answer.errors
        odoo = totals.odoo_figures(move["amount_untaxed"], move["amount_tax"],
                                   move["amount_total"])
        assert totals.answer_mismatch(answer.raw, odoo) == ""
