"""The pull's decisions (watermark, overlap, pages, business hours), and its reads
against the emulator over real HTTP with the real SDK."""

import datetime as dt
import json
import urllib.request

import pytest

from clarus_sync_engine import inbound, scopes
from clarus_sync_engine.client import make_gateway
from clarus_sync_engine.pacing import RatePacer
from clarus_xero_emulator.server import start_server

T0 = dt.datetime(2026, 11, 23, 10, 0, 0)


def ms(moment):
    return "/Date(%d+0000)/" % int((moment - dt.datetime(1970, 1, 1)).total_seconds() * 1000)


def invoice(xero_id, moment):
    return {"InvoiceID": xero_id, "UpdatedDateUTC": ms(moment), "Status": "PAID"}


# ------------------------------------------------------------------ decisions


def test_updated_at_reads_xero_ms_json_and_iso():
    assert inbound.updated_at({"UpdatedDateUTC": "/Date(1795428000123+0000)/"}) == \
        dt.datetime(2026, 11, 23, 10, 0, 0, 123000)
    # The offset says where the moment was shown, not a shift of the UTC milliseconds.
    assert inbound.updated_at({"UpdatedDateUTC": "/Date(1795428000000+1300)/"}) == T0
    assert inbound.updated_at({"UpdatedDateUTC": "2026-11-23T10:00:00Z"}) == T0
    assert inbound.updated_at({"UpdatedDateUTC": "2026-11-23T23:00:00+13:00"}) == T0
    assert inbound.updated_at({"UpdatedDateUTC": "yesterday"}) is None
    assert inbound.updated_at({}) is None


def test_first_read_has_no_if_modified_since_later_ones_overlap():
    assert inbound.read_since(None) is None
    assert inbound.read_since(T0) == T0 - dt.timedelta(minutes=5)
    first = inbound.reader_arguments("invoices", None, 1)
    assert first == {"order": "UpdatedDateUTC ASC", "page": 1, "page_size": 1000}
    later = inbound.reader_arguments("invoices", inbound.read_since(T0), 3, 1000)
    assert later["if_modified_since"] == "2026-11-23T09:55:00"
    assert later["page"] == 3
    assert inbound.reader_arguments("contacts", None, 1)["include_archived"] is True


def test_last_page_is_the_page_count_or_a_short_page():
    full = [{}] * 1000
    assert not inbound.is_last_page(1, full, {"pageCount": 3}, 1000)
    assert inbound.is_last_page(3, full, {"pageCount": 3}, 1000)
    assert inbound.is_last_page(1, [], {"pageCount": 0}, 1000)
    assert not inbound.is_last_page(1, full, None, 1000)
    assert inbound.is_last_page(2, full[:10], None, 1000)


def test_watermark_moves_to_the_latest_change_and_never_back():
    page = [invoice("a", T0), invoice("b", T0 + dt.timedelta(seconds=9))]
    assert inbound.advance(None, page) == T0 + dt.timedelta(seconds=9)
    assert inbound.advance(T0 + dt.timedelta(hours=1), page) == T0 + dt.timedelta(hours=1)
    assert inbound.advance(T0, []) == T0


def test_paged_read_rewinds_when_a_record_moves_during_the_run():
    def at(seconds):
        return T0 + dt.timedelta(seconds=seconds)

    read = inbound.PagedRead("InvoiceID", T0)
    assert read.take([invoice("a", at(1)), invoice("b", at(2))]) == at(2)
    assert read.take([invoice("c", at(3)), invoice("d", at(4))]) == at(4)
    assert not read.rewound
    # "a" changed while the run read: it comes back last, everything after it shifted one
    # place up, and one record may have slipped onto a page already read.
    moved = [invoice("e", at(5)), invoice("a", at(6))]
    assert read.take(moved) == T0, "back to before the page where 'a' was first seen"
    assert read.rewound


def test_change_key_is_one_per_change_of_one_record():
    one = inbound.change_key(7, "invoices", invoice("a", T0))
    assert one == inbound.change_key(7, "invoices", invoice("a", T0))
    assert one != inbound.change_key(7, "invoices", invoice("a", T0 + dt.timedelta(seconds=1)))
    assert one != inbound.change_key(8, "invoices", invoice("a", T0))
    assert one.startswith("7:import_invoice:a@")


def test_document_ref_names_the_bound_record_each_change_concerns():
    assert inbound.document_ref("invoices", {"InvoiceID": "i"}) == ("invoice", "i")
    assert inbound.document_ref("credit_notes", {"CreditNoteID": "c"}) == ("credit_note", "c")
    assert inbound.document_ref("contacts", {"ContactID": "p"}) == ("contact", "p")
    assert inbound.document_ref("payments", {"Invoice": {"InvoiceID": "i"}}) == ("invoice", "i")
    assert inbound.document_ref("payments", {"CreditNote": {"CreditNoteID": "c"}}) == \
        ("credit_note", "c")
    assert inbound.document_ref("overpayments", {"Allocations": [
        {"Invoice": {"InvoiceID": "i"}}]}) == ("invoice", "i")
    assert inbound.document_ref("prepayments", {"Allocations": []}) == (None, None)


def test_summary_keeps_the_id_and_the_fields_that_matter():
    kept = inbound.summary("payments", {"PaymentID": "p", "Amount": 40, "Status": "DELETED",
                                        "Reference": "", "Account": {"Code": "090"}})
    assert kept == {"PaymentID": "p", "Amount": 40, "Status": "DELETED"}


@pytest.mark.parametrize(("moment", "days", "start", "end", "inside"), [
    (dt.datetime(2026, 11, 23, 9, 0), "weekdays", 8.0, 18.0, True),     # a Monday
    (dt.datetime(2026, 11, 23, 7, 59), "weekdays", 8.0, 18.0, False),
    (dt.datetime(2026, 11, 23, 18, 0), "weekdays", 8.0, 18.0, False),   # the end is out
    (dt.datetime(2026, 11, 28, 9, 0), "weekdays", 8.0, 18.0, False),    # a Saturday
    (dt.datetime(2026, 11, 28, 9, 0), "monday_saturday", 8.0, 18.0, True),
    (dt.datetime(2026, 11, 29, 9, 0), "every_day", 8.5, 9.5, True),     # 08:30 to 09:30
    (dt.datetime(2026, 11, 23, 23, 0), "weekdays", 22.0, 6.0, True),   # across midnight
    (dt.datetime(2026, 11, 23, 12, 0), "weekdays", 22.0, 6.0, False),
    (dt.datetime(2026, 11, 23, 3, 0), "weekdays", 0.0, 0.0, True),     # all day
])
def test_business_hours(moment, days, start, end, inside):
    assert inbound.within_business_hours(moment, days, start, end) is inside


# ------------------------------------------------------------ against Xero


def _post(url, data):
    request = urllib.request.Request(url, data=json.dumps(data).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def xero():
    handle = start_server(port=0)
    token = _post(handle.base_url + "/_emulator/tokens",
                  {"client_id": "clarus-demo-client", "scope": scopes.DEFAULT_SCOPE})
    gateway = make_gateway("clarus-demo-client", "clarus-demo-secret", lambda: token,
                           token.update, api_base_url=handle.base_url,
                           identity_base_url=handle.base_url, timeout=10, pacer=RatePacer())
    tenant = gateway.connections()[0]["tenantId"]
    yield handle, gateway, tenant
    handle.stop()


def test_read_changed_pages_oldest_first_from_the_watermark(xero):
    handle, gateway, tenant = xero
    contacts = [{"Name": f"Pull contact {n}"} for n in range(5)]
    gateway.send_batch("contact", tenant, contacts, None)
    everything, pagination = gateway.read_changed("contacts", tenant, None, 1, 1000)
    assert pagination["pageCount"] == 1
    stamps = [inbound.updated_at(c) for c in everything]
    assert stamps == sorted(stamps), "oldest change first"
    mine = [c for c in everything if c["Name"].startswith("Pull contact")]
    since = inbound.updated_at(mine[0]) - dt.timedelta(milliseconds=1)
    pages, page = [], 1
    while True:
        elements, pagination = gateway.read_changed("contacts", tenant, since, page, 2)
        pages.append([c["Name"] for c in elements])
        if inbound.is_last_page(page, elements, pagination, 2):
            break
        page += 1
    # The header has whole seconds: contacts made in the same second come too.
    names = [name for page_names in pages for name in page_names]
    assert [n for n in names if n.startswith("Pull contact")] == [c["Name"] for c in contacts]
    assert all(len(p) == 2 for p in pages[:-1]) and len(pages) == (len(names) + 1) // 2


def test_read_collection_by_ids_for_payments(xero):
    handle, gateway, tenant = xero
    contact = gateway.send_batch("contact", tenant, [{"Name": "Pull payer"}], None).results[0]
    invoices = gateway.send_batch("invoice", tenant, [{
        "Type": "ACCREC", "Contact": {"ContactID": contact.xero_id}, "Status": "AUTHORISED",
        "Date": "2026-11-23", "DueDate": "2026-12-23", "LineAmountTypes": "Exclusive",
        "LineItems": [{"Description": "Work", "Quantity": 1, "UnitAmount": 100,
                       "AccountCode": "200", "TaxType": "NONE"}]}] * 2, None).results
    assert all(result.ok for result in invoices), [r.errors for r in invoices]
    paid = [_post(handle.base_url + "/_emulator/person/pay", {
        "tenant_id": tenant, "invoice_id": result.xero_id, "account_code": "090",
        "amount": 30})["payment"]["PaymentID"] for result in invoices]
    found = gateway.read_collection_by_ids("payments", tenant, paid + [
        "00000000-0000-0000-0000-000000000000"])
    assert sorted(found) == sorted(paid)
    assert {element["Amount"] for element in found.values()} == {30}
