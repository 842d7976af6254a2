"""The inbound half of the emulator: a person working in Xero (control API), overpayments
and prepayments, UpdatedDateUTC / If-Modified-Since on every kind, paging, webhooks."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from decimal import Decimal as D
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from conftest import XeroSdk, issue_token
from emu_helpers import TODAY, bad_request, contact, invoice, line, messages
from xero_python.accounting import models as m
from xero_python.exceptions import HTTPStatusException


def person(emulator, action, expect=200, **body):
    resp = requests.post(emulator.base_url + "/_emulator/person/" + action, json=body,
                         timeout=10)
    assert resp.status_code == expect, resp.text
    return resp.json()


def advance(emulator, seconds=5):
    requests.post(emulator.base_url + "/_emulator/clock", json={"advance_seconds": seconds},
                  timeout=10).raise_for_status()


def control_post(emulator, path, body):
    resp = requests.post(emulator.base_url + "/_emulator" + path, json=body, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def updated(record):
    return record.updated_date_utc


def net(amount, **kwargs):
    """A line without tax, so totals read as the amounts."""
    return line(unit_amount=amount, tax_type="NONE", **kwargs)


# -- a person in Xero: payments, deletions, voids, credit note allocations ---------------------
def test_person_pays_and_deletes_like_the_api(sdk, emulator):
    c = contact(sdk)
    inv = invoice(sdk, c.contact_id, [net(100)])
    advance(emulator)
    out = person(emulator, "pay", tenant_id=sdk.nz, invoice_id=inv.invoice_id,
                 account_code="090", amount=40, date="2026-03-03", reference="EFT 1")
    pid = out["payment"]["PaymentID"]
    seen = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert (seen.status, seen.amount_due, seen.amount_paid) == ("AUTHORISED", D("60"), D("40"))
    assert updated(seen) > updated(inv)
    payment = sdk.acct.get_payment(sdk.nz, pid).payments[0]
    assert (payment.amount, payment.reference, payment.date) == (D("40"), "EFT 1",
                                                                 dt.date(2026, 3, 3))
    assert payment.account.code == "090" and payment.payment_type == "ACCRECPAYMENT"
    # The person is held to the API's rules: no more than the amount due, a BANK account.
    err = person(emulator, "pay", 400, tenant_id=sdk.nz, invoice_id=inv.invoice_id,
                 account_code="090", amount=60.01)
    assert err["messages"] == ["Payment amount exceeds the amount outstanding on this document"]
    err = person(emulator, "pay", 400, tenant_id=sdk.nz, invoice_id=inv.invoice_id,
                 account_code="200", amount=1)
    assert "BANK" in err["messages"][0]
    # Deleting re-opens the amount and moves both records' UpdatedDateUTC.
    advance(emulator)
    person(emulator, "delete-payment", tenant_id=sdk.nz, payment_id=pid)
    back = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert (back.amount_due, back.payments) == (D("100"), [])
    assert updated(back) > updated(seen)
    gone = sdk.acct.get_payment(sdk.nz, pid).payments[0]
    assert gone.status == "DELETED" and updated(gone) > updated(payment)
    err = person(emulator, "delete-payment", 400, tenant_id=sdk.nz, payment_id=pid)
    assert err["messages"] == ["Payment has already been deleted"]
    history = sdk.acct.get_invoice_history(sdk.nz, inv.invoice_id).history_records
    assert [h.changes for h in history][-2:] == ["Paid", "Payment Deleted"]


def test_payment_deletion_refused_on_a_voided_document(sdk, emulator):
    c = contact(sdk)
    inv = invoice(sdk, c.contact_id)
    pay = sdk.acct.create_payment(sdk.nz, m.Payment(
        invoice=m.Invoice(invoice_id=inv.invoice_id), account=m.Account(code="090"),
        amount=10, date=TODAY)).payments[0]
    # A document with money on it cannot be voided, by a person or by the API.
    err = person(emulator, "void", 400, tenant_id=sdk.nz, invoice_id=inv.invoice_id)
    assert err["messages"] == ["Invoice not of valid status for modification"]
    # A document voided with its payment still on it (as imported from an older ledger)
    # keeps that payment: neither the API nor a person can delete it.
    emulator.state.orgs[sdk.nz].data["Invoices"][inv.invoice_id]["Status"] = "VOIDED"
    err = bad_request(sdk.acct.delete_payment, sdk.nz, pay.payment_id,
                      m.PaymentDelete(status="DELETED"))
    assert messages(err) == ["Payment cannot be deleted from a VOIDED document"]
    err = person(emulator, "delete-payment", 400, tenant_id=sdk.nz, payment_id=pay.payment_id)
    assert err["messages"] == ["Payment cannot be deleted from a VOIDED document"]


def test_person_voids_a_bill_and_pays_a_credit_note(sdk, emulator):
    supplier = contact(sdk, "Supplier")
    bill = invoice(sdk, supplier.contact_id, [net(100, account_code="425")], type="ACCPAY")
    advance(emulator)
    out = person(emulator, "void", tenant_id=sdk.nz, invoice_id=bill.invoice_id)
    assert out["document"]["Status"] == "VOIDED"
    voided = sdk.acct.get_invoice(sdk.nz, bill.invoice_id).invoices[0]
    assert voided.status == "VOIDED" and updated(voided) > updated(bill)
    err = person(emulator, "pay", 400, tenant_id=sdk.nz, invoice_id=bill.invoice_id,
                 account_code="090", amount=1)
    assert err["messages"] == ["Payment can only be applied to a document with a status of "
                               "AUTHORISED"]
    cn = sdk.acct.create_credit_notes(sdk.nz, m.CreditNotes(credit_notes=[m.CreditNote(
        type="ACCRECCREDIT", contact=m.Contact(contact_id=supplier.contact_id),
        line_items=[net(30)], status="AUTHORISED", date=TODAY)])).credit_notes[0]
    out = person(emulator, "pay", tenant_id=sdk.nz, credit_note_id=cn.credit_note_id,
                 account_code="090", amount=30)
    assert out["payment"]["PaymentType"] == "ARCREDITPAYMENT"
    refunded = sdk.acct.get_credit_note(sdk.nz, cn.credit_note_id).credit_notes[0]
    assert (refunded.status, refunded.remaining_credit) == ("PAID", D("0"))


def test_person_allocates_a_credit_note_and_the_invoice_lists_it(sdk, emulator):
    c = contact(sdk)
    other = contact(sdk, "Other Ltd")
    inv = invoice(sdk, c.contact_id, [net(100)])
    foreign = invoice(sdk, other.contact_id, [net(100)])
    cn = sdk.acct.create_credit_notes(sdk.nz, m.CreditNotes(credit_notes=[m.CreditNote(
        type="ACCRECCREDIT", contact=m.Contact(contact_id=c.contact_id),
        line_items=[net(50)], status="AUTHORISED", date=TODAY)])).credit_notes[0]
    err = person(emulator, "allocate", 400, tenant_id=sdk.nz, credit_note_id=cn.credit_note_id,
                 invoice_id=foreign.invoice_id, amount=10, date="2026-03-02")
    assert err["messages"] == ["The Credit Note and Invoice must be for the same contact"]
    err = person(emulator, "allocate", 400, tenant_id=sdk.nz, credit_note_id=cn.credit_note_id,
                 invoice_id=inv.invoice_id, amount=50.01, date="2026-03-02")
    assert err["messages"] == ["The amount allocated cannot exceed the remaining credit on the "
                               "credit note"]
    advance(emulator)
    person(emulator, "allocate", tenant_id=sdk.nz, credit_note_id=cn.credit_note_id,
           invoice_id=inv.invoice_id, amount=50, date="2026-03-02")
    seen = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert (seen.amount_due, seen.amount_credited, seen.amount_paid) == (D("50"), D("50"),
                                                                         D("0"))
    assert [(n.credit_note_id, n.applied_amount) for n in seen.credit_notes] == [
        (cn.credit_note_id, D("50"))]
    assert updated(seen) > updated(inv)
    credit = sdk.acct.get_credit_note(sdk.nz, cn.credit_note_id).credit_notes[0]
    assert (credit.status, credit.remaining_credit) == ("PAID", D("0"))
    assert updated(credit) > updated(cn)


def test_person_edits_a_contact_with_the_api_rules(sdk, emulator):
    c = contact(sdk, "Acme Ltd")
    contact(sdk, "Taken Ltd")
    advance(emulator)
    out = person(emulator, "edit-contact", tenant_id=sdk.nz, contact_id=c.contact_id, fields={
        "Name": "Acme Trading Ltd", "EmailAddress": "ap@acme.example", "TaxNumber": "12-345-678",
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "555 0101"}],
        "Addresses": [{"AddressType": "POBOX", "AddressLine1": "PO Box 1", "City": "Auckland"}]})
    assert out["contact"]["Name"] == "Acme Trading Ltd"
    seen = sdk.acct.get_contact(sdk.nz, c.contact_id).contacts[0]
    assert (seen.name, seen.email_address, seen.tax_number) == (
        "Acme Trading Ltd", "ap@acme.example", "12-345-678")
    assert seen.phones[0].phone_number == "555 0101" and seen.addresses[0].city == "Auckland"
    assert updated(seen) > updated(c)
    err = person(emulator, "edit-contact", 400, tenant_id=sdk.nz, contact_id=c.contact_id,
                 fields={"Name": "TAKEN LTD"})
    assert "already assigned to another contact" in err["messages"][0]
    err = person(emulator, "edit-contact", 400, tenant_id=sdk.nz, contact_id=c.contact_id,
                 fields={"EmailAddress": "a@x.example; b@x.example"})
    assert err["messages"] == ["Email address must be valid."]
    assert sdk.acct.get_contact(sdk.nz, c.contact_id).contacts[0].name == "Acme Trading Ltd"
    history = sdk.acct.get_contact_history(sdk.nz, c.contact_id).history_records
    assert [h.changes for h in history] == ["Created", "Updated"]
    assert history[1].details == ("Contact Acme Trading Ltd updated: Addresses, EmailAddress, "
                                  "Name, Phones, TaxNumber")


# -- overpayments and prepayments --------------------------------------------------------------
def test_overpayment_allocated_at_once_and_later(sdk, emulator):
    c = contact(sdk)
    inv1 = invoice(sdk, c.contact_id, [net(100)])
    inv2 = invoice(sdk, c.contact_id, [net(100)])
    out = person(emulator, "overpayment", tenant_id=sdk.nz, type="RECEIVE-OVERPAYMENT",
                 contact_id=c.contact_id, bank_account_code="090", amount=150,
                 date="2026-03-04", reference="Over",
                 allocations=[{"invoice_id": inv1.invoice_id, "amount": 100,
                               "date": "2026-03-04"}])
    op_id = out["overpayment"]["OverpaymentID"]
    paid = sdk.acct.get_invoice(sdk.nz, inv1.invoice_id).invoices[0]
    assert (paid.status, paid.amount_due, paid.amount_credited) == ("PAID", D("0"), D("100"))
    assert [(o.overpayment_id, o.applied_amount) for o in paid.overpayments] == [
        (op_id, D("100"))]
    op = sdk.acct.get_overpayment(sdk.nz, op_id).overpayments[0]
    assert (op.type, op.status, op.total, op.remaining_credit) == (
        "RECEIVE-OVERPAYMENT", "AUTHORISED", D("150"), D("50"))
    assert op.contact.contact_id == c.contact_id and op.date == dt.date(2026, 3, 4)
    assert [a.invoice.invoice_id for a in op.allocations] == [inv1.invoice_id]
    # The API allocates the rest of the credit to the second invoice.
    advance(emulator)
    alloc = sdk.acct.create_overpayment_allocations(sdk.nz, op_id, m.Allocations(allocations=[
        m.Allocation(invoice=m.Invoice(invoice_id=inv2.invoice_id), amount=50,
                     date=TODAY)])).allocations[0]
    assert alloc.amount == D("50")
    op2 = sdk.acct.get_overpayment(sdk.nz, op_id).overpayments[0]
    assert (op2.status, op2.remaining_credit) == ("PAID", D("0"))
    assert updated(op2) > updated(op)
    part = sdk.acct.get_invoice(sdk.nz, inv2.invoice_id).invoices[0]
    assert (part.status, part.amount_due, part.amount_credited) == ("AUTHORISED", D("50"),
                                                                    D("50"))


def test_allocation_refusals(sdk, emulator):
    c = contact(sdk)
    other = contact(sdk, "Other Ltd")
    inv = invoice(sdk, c.contact_id, [net(100)])
    foreign = invoice(sdk, other.contact_id, [net(100)])
    draft = invoice(sdk, c.contact_id, status="DRAFT")
    out = person(emulator, "prepayment", tenant_id=sdk.nz, type="RECEIVE-PREPAYMENT",
                 contact_id=c.contact_id, bank_account_code="090", amount=150)
    pp_id = out["prepayment"]["PrepaymentID"]

    def allocate(invoice_id, amount):
        return bad_request(sdk.acct.create_prepayment_allocations, sdk.nz, pp_id,
                           m.Allocations(allocations=[m.Allocation(
                               invoice=m.Invoice(invoice_id=invoice_id), amount=amount,
                               date=TODAY)]))

    assert messages(allocate(inv.invoice_id, 100.01)) == [
        "The amount allocated cannot exceed the amount due on the invoice"]
    assert messages(allocate(foreign.invoice_id, 10)) == [
        "The Prepayment and Invoice must be for the same contact"]
    assert messages(allocate(draft.invoice_id, 10)) == [
        "Invoice must be AUTHORISED to receive an allocation"]
    sdk.acct.create_prepayment_allocations(sdk.nz, pp_id, m.Allocations(allocations=[
        m.Allocation(invoice=m.Invoice(invoice_id=inv.invoice_id), amount=60, date=TODAY)]))
    inv2 = invoice(sdk, c.contact_id, [net(100)])
    assert messages(allocate(inv2.invoice_id, 90.01)) == [
        "The amount allocated cannot exceed the remaining credit on the prepayment"]
    seen = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert [(p.prepayment_id, p.applied_amount) for p in seen.prepayments] == [
        (pp_id, D("60"))]
    assert (seen.amount_due, seen.amount_credited) == (D("40"), D("60"))
    # A spend (supplier) overpayment cannot pay a sales invoice; nothing is stored on refusal.
    err = person(emulator, "overpayment", 400, tenant_id=sdk.nz, type="SPEND-OVERPAYMENT",
                 contact_id=c.contact_id, bank_account_code="090", amount=20,
                 allocations=[{"invoice_id": inv2.invoice_id, "amount": 20}])
    assert err["messages"] == ["A SPEND-OVERPAYMENT can only be allocated to a ACCPAY invoice"]
    err = person(emulator, "overpayment", 400, tenant_id=sdk.nz, type="RECEIVE-OVERPAYMENT",
                 contact_id=c.contact_id, bank_account_code="200", amount=20)
    assert err["messages"] == ["A BANK account must be specified for the overpayment"]
    assert sdk.acct.get_overpayments(sdk.nz).overpayments == []


def test_overpayments_and_prepayments_are_paged_and_filtered(sdk, emulator):
    c = contact(sdk)
    supplier = contact(sdk, "Supplier")
    for amount in (10, 20, 30):
        person(emulator, "overpayment", tenant_id=sdk.nz, type="RECEIVE-OVERPAYMENT",
               contact_id=c.contact_id, bank_account_code="090", amount=amount)
    person(emulator, "prepayment", tenant_id=sdk.nz, type="SPEND-PREPAYMENT",
           contact_id=supplier.contact_id, bank_account_code="090", amount=40,
           line_account_code="425")
    page = sdk.acct.get_overpayments(sdk.nz, page=2, page_size=2, order="Total DESC")
    assert (page.pagination.page, page.pagination.page_size, page.pagination.page_count,
            page.pagination.item_count) == (2, 2, 2, 3)
    assert [o.total for o in page.overpayments] == [D("10")]
    big = sdk.acct.get_overpayments(sdk.nz, where="Total>=20").overpayments
    assert sorted(o.total for o in big) == [D("20"), D("30")]
    pre = sdk.acct.get_prepayments(sdk.nz, page=1, page_size=1000).prepayments
    assert [(p.type, p.total, p.line_items[0].account_code) for p in pre] == [
        ("SPEND-PREPAYMENT", D("40"), "425")]


# -- webhooks ----------------------------------------------------------------------------------
KEY = "webhook-key-0123456789"


class Receiver:
    """A webhook endpoint: verifies x-xero-signature over the raw body (200, else 401), or
    answers a fixed status when ``answer`` is set; keeps what it received."""

    def __init__(self, key=KEY):
        self.key, self.answer, self.received = key, None, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                signature = self.headers.get("x-xero-signature") or ""
                expected = base64.b64encode(hmac.new(receiver.key.encode(), body,
                                                     hashlib.sha256).digest()).decode()
                valid = hmac.compare_digest(signature, expected)
                receiver.received.append((body, signature, valid))
                status = receiver.answer or (200 if valid else 401)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/xero/webhook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        return [e for body, _sig, valid in self.received if valid
                for e in json.loads(body)["events"]]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    rec = Receiver()
    yield rec
    rec.close()


def hooks(emulator, method="GET", path="", body=None):
    resp = requests.request(method, emulator.base_url + "/_emulator/webhooks" + path, json=body,
                            timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_intent_to_receive_pass_and_fail(sdk, emulator, receiver):
    out = hooks(emulator, "POST", body={"url": receiver.url, "key": KEY})
    assert out["status"] == "OK"
    assert [(i["signature"], i["status"]) for i in out["intent"]] == [
        ("valid", 200), ("invalid", 401), ("valid", 200), ("invalid", 401)]
    assert all(json.loads(body)["events"] == [] for body, _s, _v in receiver.received)
    # An endpoint that answers 200 to everything (no signature check) fails the intent,
    # and then nothing is queued or delivered.
    receiver.answer = 200
    out = hooks(emulator, "POST", body={"url": receiver.url, "key": KEY})
    assert out["status"] == "INTENT_FAILED"
    assert [i["ok"] for i in out["intent"]] == [True, False, True, False]
    contact(sdk, "Quiet Ltd")
    before = len(receiver.received)
    assert hooks(emulator, "POST", "/deliver")["deliveries"] == []
    assert hooks(emulator)["pending"] == 0 and len(receiver.received) == before
    # A wrong key on the endpoint's side fails it too; an endpoint that is down as well.
    receiver.answer, receiver.key = None, "another-key"
    assert hooks(emulator, "POST", body={"url": receiver.url, "key": KEY})["status"] == \
        "INTENT_FAILED"
    down = hooks(emulator, "POST", body={"url": "http://127.0.0.1:9/hook", "key": KEY})
    assert down["status"] == "INTENT_FAILED"
    assert str(down["intent"][0]["status"]).startswith("no answer")


def test_events_are_signed_batched_and_delivered_at_least_once(sdk, emulator, receiver):
    hooks(emulator, "POST", body={"url": receiver.url, "key": KEY})
    receiver.received.clear()
    c = contact(sdk, "Hooked Ltd")
    inv = invoice(sdk, c.contact_id, [net(100)])
    bill = invoice(sdk, c.contact_id, [net(50, account_code="425")], type="ACCPAY")
    cn = sdk.acct.create_credit_notes(sdk.nz, m.CreditNotes(credit_notes=[m.CreditNote(
        type="ACCPAYCREDIT", contact=m.Contact(contact_id=c.contact_id),
        line_items=[net(10, account_code="425")], status="DRAFT", date=TODAY)])).credit_notes[0]
    advance(emulator)
    person(emulator, "pay", tenant_id=sdk.nz, invoice_id=inv.invoice_id, account_code="090",
           amount=100)
    advance(emulator)
    person(emulator, "edit-contact", tenant_id=sdk.nz, contact_id=c.contact_id,
           fields={"EmailAddress": "ap@hooked.example"})
    out = hooks(emulator, "POST", "/deliver")
    assert out["statuses"] == [200] and out["pending"] == 0
    body, signature, valid = receiver.received[-1]
    assert valid  # base64(HMAC-SHA256(raw body, key)) checked by the endpoint above
    payload = json.loads(body)
    events = payload["events"]
    assert payload["firstEventSequence"] <= payload["lastEventSequence"] and payload["entropy"]
    got = [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in events]
    assert got == [
        ("CONTACT", "CREATE", c.contact_id), ("INVOICE", "CREATE", inv.invoice_id),
        ("INVOICE", "CREATE", bill.invoice_id), ("CREDITNOTE", "CREATE", cn.credit_note_id),
        ("INVOICE", "UPDATE", inv.invoice_id), ("CONTACT", "UPDATE", c.contact_id)]
    first = events[0]
    assert first["tenantId"] == sdk.nz and first["tenantType"] == "ORGANISATION"
    assert first["resourceUrl"] == "%s/api.xro/2.0/Contacts/%s" % (emulator.base_url,
                                                                    c.contact_id)
    assert dt.datetime.strptime(first["eventDateUtc"], "%Y-%m-%dT%H:%M:%S.%f")
    assert events[3]["data"] == {"Type": "ACCPAYCREDIT", "Status": "DRAFT"}
    assert "data" not in events[1]
    # Duplicates: the last batch again, byte for byte, still validly signed.
    again = hooks(emulator, "POST", "/redeliver")
    assert again["redelivery"] and again["status"] == 200
    assert receiver.received[-1][:2] == (body, signature)
    status = hooks(emulator)
    assert [(d["events"], d["redelivery"]) for d in status["deliveries"]] == [(6, False),
                                                                             (6, True)]


def test_failed_delivery_is_retried_and_nothing_is_lost(sdk, emulator, receiver):
    hooks(emulator, "POST", body={"url": receiver.url, "key": KEY})
    c = contact(sdk, "Retry Ltd")
    receiver.answer = 503
    out = hooks(emulator, "POST", "/deliver")
    assert out["statuses"] == [503] and out["pending"] == 1
    receiver.answer = None
    advance(emulator)
    person(emulator, "edit-contact", tenant_id=sdk.nz, contact_id=c.contact_id,
           fields={"Name": "Retry Two Ltd"})
    out = hooks(emulator, "POST", "/deliver")
    assert out["statuses"] == [200] and out["pending"] == 0
    # The refused batch's event comes again, with its sequence number, before the new one.
    failed, retried = (json.loads(body) for body, _s, _v in receiver.received[-2:])
    assert [(e["eventType"], e["resourceId"]) for e in retried["events"]] == [
        ("CREATE", c.contact_id), ("UPDATE", c.contact_id)]
    assert failed["events"] == retried["events"][:1]
    assert retried["firstEventSequence"] == failed["firstEventSequence"]
    # A day of failures disables the webhook; setting it again re-runs the intent.
    receiver.answer = 500
    contact(sdk, "Later Ltd")
    assert hooks(emulator, "POST", "/deliver")["status"] == "OK"
    advance(emulator, 24 * 3600)
    assert hooks(emulator, "POST", "/deliver")["status"] == "DISABLED"
    receiver.answer = None
    assert hooks(emulator, "POST", body={"url": receiver.url, "key": KEY})["status"] == "OK"


def test_background_delivery_and_tenants_of_the_app_only(sdk, emulator, receiver):
    hooks(emulator, "POST", body={"url": receiver.url, "key": KEY})
    hooks(emulator, "POST", "/auto", {"enabled": True, "interval": 0.2})
    c = contact(sdk, "Background Ltd")
    # A new organisation the app is not connected to sends nothing.
    other = control_post(emulator, "/tenants", {"name": "Unconnected Org"})
    person(emulator, "edit-contact", tenant_id=sdk.nz, contact_id=c.contact_id,
           fields={"TaxNumber": "99-999-999"})
    deadline = time.time() + 10
    while not receiver.events() and time.time() < deadline:
        time.sleep(0.1)
    hooks(emulator, "POST", "/auto", {"enabled": False})
    assert {e["resourceId"] for e in receiver.events()} == {c.contact_id}
    assert all(e["tenantId"] == sdk.nz != other["tenantId"] for e in receiver.events())


def test_merge_contacts_sends_contact_events_and_moves_dates(sdk, emulator, receiver):
    a = contact(sdk, "Merge From")
    b = contact(sdk, "Merge Into")
    inv = invoice(sdk, a.contact_id, [net(10)])
    hooks(emulator, "POST", body={"url": receiver.url, "key": KEY})
    advance(emulator)
    control_post(emulator, "/merge-contacts", {"tenant_id": sdk.nz,
                                               "from_contact_id": a.contact_id,
                                               "into_contact_id": b.contact_id})
    hooks(emulator, "POST", "/deliver")
    got = {(e["eventCategory"], e["eventType"], e["resourceId"]) for e in receiver.events()}
    assert got == {("CONTACT", "UPDATE", a.contact_id), ("CONTACT", "UPDATE", b.contact_id),
                   ("INVOICE", "UPDATE", inv.invoice_id)}
    merged = sdk.acct.get_contact(sdk.nz, a.contact_id).contacts[0]
    assert merged.contact_status == "ARCHIVED" and updated(merged) > updated(a)
    moved = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert moved.contact.contact_id == b.contact_id and updated(moved) > updated(inv)
    history = sdk.acct.get_contact_history(sdk.nz, a.contact_id).history_records
    assert [(h.changes, h.details) for h in history][-1] == ("Merged", "Merged into Merge Into")


# -- UpdatedDateUTC, If-Modified-Since and paging on every kind ---------------------------------
def _one_of_each(sdk, emulator):
    """One record of every document kind; -> {kind: (record id, SDK getter of the list)}."""
    c = contact(sdk, "Dated Ltd")
    supplier = contact(sdk, "Dated Supplier")
    inv = invoice(sdk, c.contact_id, [net(100)])
    cn = sdk.acct.create_credit_notes(sdk.nz, m.CreditNotes(credit_notes=[m.CreditNote(
        type="ACCRECCREDIT", contact=m.Contact(contact_id=c.contact_id), line_items=[net(20)],
        status="AUTHORISED", date=TODAY)])).credit_notes[0]
    pay = sdk.acct.create_payment(sdk.nz, m.Payment(
        invoice=m.Invoice(invoice_id=inv.invoice_id), account=m.Account(code="090"),
        amount=10, date=TODAY)).payments[0]
    op = person(emulator, "overpayment", tenant_id=sdk.nz, type="RECEIVE-OVERPAYMENT",
                contact_id=c.contact_id, bank_account_code="090", amount=5)["overpayment"]
    pp = person(emulator, "prepayment", tenant_id=sdk.nz, type="RECEIVE-PREPAYMENT",
                contact_id=c.contact_id, bank_account_code="090", amount=5)["prepayment"]
    po = sdk.acct.create_purchase_orders(sdk.nz, m.PurchaseOrders(purchase_orders=[
        m.PurchaseOrder(contact=m.Contact(contact_id=supplier.contact_id), date=TODAY,
                        line_items=[net(7, account_code="425")])])).purchase_orders[0]
    item = sdk.acct.create_items(sdk.nz, m.Items(items=[m.Item(code="DATED-1", name="Dated")])
                                 ).items[0]
    return {"Invoices": inv.invoice_id, "CreditNotes": cn.credit_note_id,
            "Payments": pay.payment_id, "Overpayments": op["OverpaymentID"],
            "Prepayments": pp["PrepaymentID"], "PurchaseOrders": po.purchase_order_id,
            "Contacts": c.contact_id, "Items": item.item_id}


def _listed(sdk, since=None):
    """The IDs each collection lists (If-Modified-Since when ``since`` is given)."""
    kw = {"if_modified_since": since} if since else {}
    a, t = sdk.acct, sdk.nz
    return {
        "Invoices": {r.invoice_id for r in a.get_invoices(t, **kw).invoices},
        "CreditNotes": {r.credit_note_id for r in a.get_credit_notes(t, **kw).credit_notes},
        "Payments": {r.payment_id for r in a.get_payments(t, **kw).payments},
        "Overpayments": {r.overpayment_id for r in a.get_overpayments(t, **kw).overpayments},
        "Prepayments": {r.prepayment_id for r in a.get_prepayments(t, **kw).prepayments},
        "PurchaseOrders": {r.purchase_order_id
                           for r in a.get_purchase_orders(t, **kw).purchase_orders},
        "Contacts": {r.contact_id for r in a.get_contacts(t, **kw).contacts},
        "Items": {r.item_id for r in a.get_items(t, **kw).items},
    }


def _now(emulator):
    return dt.datetime.fromtimestamp(emulator.state.clock.now(), dt.UTC).replace(
        microsecond=0, tzinfo=None)


def test_if_modified_since_on_every_kind(sdk, emulator):
    advance(emulator, 60)
    start = _now(emulator)
    ids = _one_of_each(sdk, emulator)
    # Set on create: every new record is listed as modified since just before it was made.
    created = _listed(sdk, start)
    assert all(ids[kind] in created[kind] for kind in ids)
    advance(emulator, 60)
    since = _now(emulator)
    assert _listed(sdk, since) == {kind: set() for kind in ids}
    advance(emulator, 5)
    # One change of every kind, each through a different path.
    other = invoice(sdk, ids["Contacts"], [net(30)])
    sdk.acct.delete_payment(sdk.nz, ids["Payments"], m.PaymentDelete(status="DELETED"))
    person(emulator, "allocate", tenant_id=sdk.nz, credit_note_id=ids["CreditNotes"],
           invoice_id=other.invoice_id, amount=5)
    person(emulator, "allocate", tenant_id=sdk.nz, overpayment_id=ids["Overpayments"],
           invoice_id=other.invoice_id, amount=5)
    sdk.acct.create_prepayment_allocations(sdk.nz, ids["Prepayments"], m.Allocations(
        allocations=[m.Allocation(invoice=m.Invoice(invoice_id=other.invoice_id), amount=5,
                                  date=TODAY)]))
    sdk.acct.update_purchase_order(sdk.nz, ids["PurchaseOrders"], m.PurchaseOrders(
        purchase_orders=[m.PurchaseOrder(status="SUBMITTED")]))
    person(emulator, "edit-contact", tenant_id=sdk.nz, contact_id=ids["Contacts"],
           fields={"EmailAddress": "dated@example.com"})
    sdk.acct.update_item(sdk.nz, ids["Items"], m.Items(items=[m.Item(code="DATED-1",
                                                                      name="Dated again")]))
    changed = _listed(sdk, since)
    assert changed == {
        # the paid invoice (payment deleted) and the one the credits were applied to
        "Invoices": {ids["Invoices"], other.invoice_id}, "CreditNotes": {ids["CreditNotes"]},
        "Payments": {ids["Payments"]}, "Overpayments": {ids["Overpayments"]},
        "Prepayments": {ids["Prepayments"]}, "PurchaseOrders": {ids["PurchaseOrders"]},
        "Contacts": {ids["Contacts"]}, "Items": {ids["Items"]}}
    moved = sdk.acct.get_invoice(sdk.nz, ids["Invoices"]).invoices[0].updated_date_utc
    assert moved.replace(tzinfo=None) >= since


def test_paging_at_xeros_sizes_on_every_paged_collection(sdk, emulator):
    c = contact(sdk, "Paged Ltd")
    for amount in range(1, 4):
        inv = invoice(sdk, c.contact_id, [net(amount * 10)])
        sdk.acct.create_payment(sdk.nz, m.Payment(
            invoice=m.Invoice(invoice_id=inv.invoice_id), account=m.Account(code="090"),
            amount=1, date=TODAY))
    a, t = sdk.acct, sdk.nz
    for getter, field in ((a.get_invoices, "invoices"), (a.get_payments, "payments"),
                          (a.get_contacts, "contacts"), (a.get_credit_notes, "credit_notes"),
                          (a.get_purchase_orders, "purchase_orders"),
                          (a.get_overpayments, "overpayments"),
                          (a.get_prepayments, "prepayments")):
        full = getter(t, page=1, page_size=1000)
        assert full.pagination.page_size == 1000
        assert full.pagination.item_count == len(getattr(full, field))
        err = bad_request(getter, t, page=1, page_size=1001)
        assert err["Message"] == "pageSize must be between 1 and 1000", getter
        err = bad_request(getter, t, page=1, page_size=0)
        assert err["Message"] == "pageSize must be between 1 and 1000"
    page = a.get_invoices(t, page=2, page_size=2)
    assert (page.pagination.page_count, page.pagination.item_count, len(page.invoices)) == (
        2, 3, 1)
    # Items are not paged: page is ignored and no pagination is answered.
    sdk.acct.create_items(t, m.Items(items=[m.Item(code="P-%d" % i, name="P") for i in range(3)]))
    raw = requests.get(emulator.base_url + "/api.xro/2.0/Items?page=1&pageSize=1", timeout=10,
                       headers={"Authorization": "Bearer " + sdk.token["access_token"],
                                "xero-tenant-id": t, "Accept": "application/json"}).json()
    assert len(raw["Items"]) == 3 and "pagination" not in raw


def test_allocations_deleted_by_the_api_and_by_a_person(sdk, emulator):
    c = contact(sdk)
    inv = invoice(sdk, c.contact_id, [net(100)])
    cn = sdk.acct.create_credit_notes(sdk.nz, m.CreditNotes(credit_notes=[m.CreditNote(
        type="ACCRECCREDIT", contact=m.Contact(contact_id=c.contact_id), line_items=[net(40)],
        status="AUTHORISED", date=TODAY)])).credit_notes[0]
    cn_alloc = person(emulator, "allocate", tenant_id=sdk.nz, credit_note_id=cn.credit_note_id,
                      invoice_id=inv.invoice_id, amount=40)["allocation"]
    op = person(emulator, "overpayment", tenant_id=sdk.nz, type="RECEIVE-OVERPAYMENT",
                contact_id=c.contact_id, bank_account_code="090", amount=60,
                allocations=[{"invoice_id": inv.invoice_id, "amount": 60}])
    op_id, op_alloc = op["overpayment"]["OverpaymentID"], op["allocations"][0]["AllocationID"]
    paid = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert (paid.status, paid.amount_credited) == ("PAID", D("100"))
    advance(emulator)
    gone = sdk.acct.delete_overpayment_allocations(sdk.nz, op_id, op_alloc)
    assert gone.is_deleted and gone.amount == D("60")
    back = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert (back.status, back.amount_due, back.amount_credited, back.overpayments) == (
        "AUTHORISED", D("60"), D("40"), [])
    assert back.updated_date_utc > paid.updated_date_utc
    credit = sdk.acct.get_overpayment(sdk.nz, op_id).overpayments[0]
    assert (credit.status, credit.remaining_credit, credit.allocations) == (
        "AUTHORISED", D("60"), [])
    person(emulator, "delete-allocation", tenant_id=sdk.nz, credit_note_id=cn.credit_note_id,
           allocation_id=cn_alloc["AllocationID"])
    back = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert (back.amount_due, back.credit_notes) == (D("100"), [])
    assert sdk.acct.get_credit_note(sdk.nz, cn.credit_note_id).credit_notes[0].remaining_credit \
        == D("40")
    err = person(emulator, "delete-allocation", 404, tenant_id=sdk.nz,
                 credit_note_id=cn.credit_note_id, allocation_id=cn_alloc["AllocationID"])
    assert err["messages"] == ["allocation_id not found"]


def test_the_bank_account_of_an_overpayment_shows_on_its_bank_transaction(sdk, emulator):
    c = contact(sdk)
    op = person(emulator, "overpayment", tenant_id=sdk.nz, type="RECEIVE-OVERPAYMENT",
                contact_id=c.contact_id, bank_account_code="091", amount=25,
                reference="Paid twice")["overpayment"]
    # Bank transactions need their own scope, as in Xero.
    with pytest.raises(HTTPStatusException) as info:
        sdk.acct.get_bank_transactions(sdk.nz)
    assert info.value.status == 401
    banker = XeroSdk(emulator.base_url, issue_token(
        emulator.base_url, scope="offline_access accounting.banktransactions.read "
                                 "accounting.payments.read"))
    txns = banker.acct.get_bank_transactions(banker.nz, page=1, page_size=1000)
    assert txns.pagination.item_count == 1
    txn = txns.bank_transactions[0]
    assert (txn.type, txn.overpayment_id, txn.bank_account.code, txn.total, txn.reference) == (
        "RECEIVE-OVERPAYMENT", op["OverpaymentID"], "091", D("25"), "Paid twice")
    assert banker.acct.get_bank_transaction(banker.nz, txn.bank_transaction_id
                                            ).bank_transactions[0].contact.contact_id == \
        c.contact_id


def test_refund_of_an_overpayment_by_the_api_and_by_a_person(sdk, emulator):
    c = contact(sdk)
    inv = invoice(sdk, c.contact_id, [net(50)])
    op_id = person(emulator, "overpayment", tenant_id=sdk.nz, type="RECEIVE-OVERPAYMENT",
                   contact_id=c.contact_id, bank_account_code="090", amount=80,
                   allocations=[{"invoice_id": inv.invoice_id, "amount": 50}]
                   )["overpayment"]["OverpaymentID"]

    def refund(amount):
        return sdk.acct.create_payment(sdk.nz, m.Payment(
            overpayment=m.Overpayment(overpayment_id=op_id), account=m.Account(code="090"),
            amount=amount, date=TODAY))

    err = bad_request(refund, 30.01)
    assert messages(err) == ["Payment amount exceeds the amount outstanding on this document"]
    paid = refund(20).payments[0]
    assert paid.payment_type == "AROVERPAYMENTPAYMENT"
    assert paid.overpayment.overpayment_id == op_id
    op = sdk.acct.get_overpayment(sdk.nz, op_id).overpayments[0]
    assert (op.status, op.remaining_credit, len(op.payments)) == ("AUTHORISED", D("10"), 1)
    person(emulator, "pay", tenant_id=sdk.nz, overpayment_id=op_id, account_code="090",
           amount=10)
    assert sdk.acct.get_overpayment(sdk.nz, op_id).overpayments[0].status == "PAID"
    # Deleting the refund gives the credit back.
    person(emulator, "delete-payment", tenant_id=sdk.nz, payment_id=paid.payment_id)
    op = sdk.acct.get_overpayment(sdk.nz, op_id).overpayments[0]
    assert (op.status, op.remaining_credit) == ("AUTHORISED", D("20"))


def test_an_overpayment_whose_allocations_cannot_all_be_made_is_refused_whole(sdk, emulator):
    c = contact(sdk)
    inv1 = invoice(sdk, c.contact_id, [net(30)])
    inv2 = invoice(sdk, c.contact_id, [net(30)])
    err = person(emulator, "overpayment", 400, tenant_id=sdk.nz, type="RECEIVE-OVERPAYMENT",
                 contact_id=c.contact_id, bank_account_code="090", amount=50,
                 allocations=[{"invoice_id": inv1.invoice_id, "amount": 30},
                              {"invoice_id": inv2.invoice_id, "amount": 25}])
    assert err["messages"] == [
        "The amount allocated cannot exceed the remaining credit on the overpayment"]
    err = person(emulator, "overpayment", 400, tenant_id=sdk.nz, type="RECEIVE-OVERPAYMENT",
                 contact_id=c.contact_id, bank_account_code="090", amount=50,
                 allocations=[{"invoice_id": inv1.invoice_id, "amount": 20},
                              {"invoice_id": inv1.invoice_id, "amount": 20}])
    assert err["messages"] == ["The amount allocated cannot exceed the amount due on the invoice"]
    assert sdk.acct.get_overpayments(sdk.nz).overpayments == []
    untouched = sdk.acct.get_invoice(sdk.nz, inv1.invoice_id).invoices[0]
    assert (untouched.amount_due, untouched.overpayments) == (D("30"), [])
