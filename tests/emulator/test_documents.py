"""Invoices, credit notes and purchase orders: totals, status rules, batches, reads."""

import datetime as dt
from decimal import Decimal as D

import requests
from emu_helpers import TODAY, bad_request, contact, control, invoice, line, messages, raw
from xero_python.accounting import models as m


def test_totals_exclusive_inclusive_notax_discount(sdk):
    c = contact(sdk)
    inv = invoice(sdk, c.contact_id, [line(quantity=3, unit_amount=19.99, tax_type="OUTPUT2"),
                                      line(quantity=1, unit_amount=100, discount_rate=12.5)])
    assert [ln.line_amount for ln in inv.line_items] == [D("59.97"), D("87.5")]
    assert (inv.sub_total, inv.total_tax, inv.total) == (D("147.47"), D("22.13"), D("169.60"))
    assert inv.amount_due == inv.total and inv.amount_paid == 0
    inc = invoice(sdk, c.contact_id, [line(quantity=1, unit_amount=115)],
                  line_amount_types=m.LineAmountTypes.INCLUSIVE)
    assert (inc.sub_total, inc.total_tax, inc.total) == (D("100"), D("15"), D("115"))
    notax = invoice(sdk, c.contact_id, [line(quantity=2, unit_amount=10)],
                    line_amount_types=m.LineAmountTypes.NOTAX)
    assert (notax.total_tax, notax.total) == (D("0"), D("20"))


def test_tax_amount_override_within_tolerance(sdk):
    c = contact(sdk)
    # 3 x 0.33 at 15%: Xero computes 0.15 tax; a client rounding globally may send 0.14.
    inv = invoice(sdk, c.contact_id, [line(quantity=3, unit_amount=0.33, tax_type="OUTPUT2",
                                           tax_amount=0.14)])
    assert (inv.total_tax, inv.total) == (D("0.14"), D("1.13"))
    error = bad_request(invoice, sdk, c.contact_id, [
        line(quantity=1, unit_amount=100, tax_type="OUTPUT2", tax_amount=5)])
    assert any("TaxAmount" in text for text in messages(error))


def test_unitdp_four(sdk):
    c = contact(sdk)
    inv = sdk.acct.create_invoices(sdk.nz, m.Invoices(invoices=[m.Invoice(
        type="ACCREC", contact=m.Contact(contact_id=c.contact_id), date=TODAY,
        line_items=[line(quantity=3, unit_amount=1.23456)])]), unitdp=4).invoices[0]
    assert inv.line_items[0].unit_amount == D("1.2346")
    assert inv.line_items[0].line_amount == D("3.70")
    plain = invoice(sdk, c.contact_id, [line(quantity=3, unit_amount=1.23456)])
    assert plain.line_items[0].unit_amount == D("1.23") and plain.sub_total == D("3.69")


def test_invoice_number_unique_and_auto(sdk):
    c = contact(sdk)
    first = invoice(sdk, c.contact_id)
    assert first.invoice_number == "INV-0001"
    invoice(sdk, c.contact_id, invoice_number="SO-1")
    err = bad_request(invoice, sdk, c.contact_id, invoice_number="SO-1")
    assert messages(err) == ["Invoice # must be unique."]
    bill1 = invoice(sdk, c.contact_id, type="ACCPAY", invoice_number="SUP-9",
                    lines=[line(account_code="429")])
    bill2 = invoice(sdk, c.contact_id, type="ACCPAY", invoice_number="SUP-9",
                    lines=[line(account_code="429")])
    assert bill1.invoice_id != bill2.invoice_id


def test_validation_rules_on_lines_and_currency(sdk):
    c = contact(sdk)
    err = bad_request(invoice, sdk, c.contact_id, [line(account_code="476")])
    assert messages(err) == ["Account code '476' has been removed as it does not match a "
                             "recognised account."]
    err = bad_request(invoice, sdk, c.contact_id, [line(tax_type="BOGUS")])
    assert "The TaxType code 'BOGUS'" in messages(err)[0]
    err = bad_request(invoice, sdk, c.contact_id, currency_code=m.CurrencyCode.EUR)
    assert messages(err) == ["Organisation is not subscribed to currency EUR"]
    aud = invoice(sdk, c.contact_id, currency_code=m.CurrencyCode.AUD)
    assert aud.currency_code.value == "AUD" and aud.currency_rate > 0
    tracked = invoice(sdk, c.contact_id, [line(tracking=[m.LineItemTracking(
        name="Region", option="Warehouse WH")])])
    assert tracked.line_items[0].tracking[0].tracking_option_id
    err = bad_request(invoice, sdk, c.contact_id, [line(tracking=[m.LineItemTracking(
        name="Region", option="Nowhere")])])
    assert "Nowhere" in messages(err)[0]


def test_summarize_errors_false_returns_every_element(sdk, emulator):
    c = contact(sdk)
    good = m.Invoice(type="ACCREC", contact=m.Contact(contact_id=c.contact_id), date=TODAY,
                     line_items=[line()])
    bad = m.Invoice(type="ACCREC", contact=m.Contact(contact_id=c.contact_id), date=TODAY,
                    line_items=[line(account_code="999")])
    out = sdk.acct.create_invoices(sdk.nz, m.Invoices(invoices=[bad, good, bad]),
                                   summarize_errors=False).invoices
    assert [i.status_attribute_string for i in out] == ["ERROR", "OK", "ERROR"]
    assert [bool(i.has_errors) for i in out] == [True, False, True]
    assert "999" in out[0].validation_errors[0].message
    assert out[0].date == TODAY and out[1].invoice_id
    log = control(emulator, "GET", "/requests?limit=1")["requests"][0]
    assert "summarizeErrors=False" in log["query"]
    stored = control(emulator, "GET", "/documents/Invoices?tenant=" + sdk.nz)["records"]
    assert len(stored) == 1


def test_summarize_errors_default_400_and_valid_elements_created(sdk, emulator):
    c = contact(sdk)
    good = m.Contact(name="Fresh Co")
    dup = m.Contact(name=c.name)
    err = bad_request(sdk.acct.create_contacts, sdk.nz, m.Contacts(contacts=[good, dup]))
    assert (err["ErrorNumber"], err["Type"], err["Message"]) == (
        10, "ValidationException", "A validation exception occurred")
    assert len(err["Elements"]) == 1 and err["Elements"][0]["Name"] == c.name
    names = [x.name for x in sdk.acct.get_contacts(sdk.nz).contacts]
    assert "Fresh Co" in names


def test_status_rules(sdk):
    c = contact(sdk)
    draft = invoice(sdk, c.contact_id, status="DRAFT")
    sub = sdk.acct.update_invoice(sdk.nz, draft.invoice_id, m.Invoices(invoices=[
        m.Invoice(status="SUBMITTED")])).invoices[0]
    assert sub.status == "SUBMITTED"
    auth = sdk.acct.update_invoice(sdk.nz, draft.invoice_id, m.Invoices(invoices=[
        m.Invoice(status="AUTHORISED")])).invoices[0]
    assert auth.status == "AUTHORISED"
    err = bad_request(sdk.acct.update_invoice, sdk.nz, draft.invoice_id,
                      m.Invoices(invoices=[m.Invoice(status="DELETED")]))
    assert messages(err) == ["Invoice not of valid status for modification"]
    err = bad_request(sdk.acct.update_invoice, sdk.nz, draft.invoice_id,
                      m.Invoices(invoices=[m.Invoice(status="DRAFT")]))
    assert messages(err) == ["Invoice not of valid status for modification"]
    voided = sdk.acct.update_invoice(sdk.nz, draft.invoice_id, m.Invoices(invoices=[
        m.Invoice(status="VOIDED")])).invoices[0]
    assert voided.status == "VOIDED"
    err = bad_request(sdk.acct.update_invoice, sdk.nz, draft.invoice_id,
                      m.Invoices(invoices=[m.Invoice(reference="late")]))
    assert messages(err) == ["Invoice not of valid status for modification"]
    other = invoice(sdk, c.contact_id, status="DRAFT")
    deleted = sdk.acct.update_invoice(sdk.nz, other.invoice_id, m.Invoices(invoices=[
        m.Invoice(status="DELETED")])).invoices[0]
    assert deleted.status == "DELETED"
    err = bad_request(invoice, sdk, c.contact_id, status="PAID")
    assert "not of valid status" in messages(err)[0]


def test_post_update_replaces_lines_and_upserts_by_number(sdk):
    c = contact(sdk)
    inv = invoice(sdk, c.contact_id, [line(description="A"), line(description="B")],
                  status="DRAFT", invoice_number="SO-7")
    keep = inv.line_items[0]
    upd = sdk.acct.update_invoice(sdk.nz, inv.invoice_id, m.Invoices(invoices=[m.Invoice(
        line_items=[m.LineItem(line_item_id=keep.line_item_id, description="A",
                               quantity=2, unit_amount=100, account_code="200"),
                    line(description="C", unit_amount=5)])])).invoices[0]
    assert [ln.description for ln in upd.line_items] == ["A", "C"]
    assert upd.line_items[0].line_item_id == keep.line_item_id
    assert upd.line_items[1].line_item_id not in {ln.line_item_id for ln in inv.line_items}
    assert upd.sub_total == D("205")
    ups = sdk.acct.update_or_create_invoices(sdk.nz, m.Invoices(invoices=[m.Invoice(
        type="ACCREC", invoice_number="SO-7", reference="PO-123")])).invoices[0]
    assert ups.invoice_id == inv.invoice_id and ups.reference == "PO-123"
    by_number = sdk.acct.get_invoice(sdk.nz, "SO-7").invoices[0]
    assert by_number.invoice_id == inv.invoice_id


def test_invoice_reads_filters_paging_modified_since(sdk, emulator):
    a = contact(sdk, "Alpha")
    b = contact(sdk, "Beta")
    made = [invoice(sdk, a.contact_id, reference="R%d" % i) for i in range(3)]
    made.append(invoice(sdk, b.contact_id, status="DRAFT", reference="R9"))
    bill = invoice(sdk, b.contact_id, type="ACCPAY", lines=[line(account_code="429")])
    get = sdk.acct.get_invoices
    assert len(get(sdk.nz, where='Type=="ACCREC"').invoices) == 4
    assert [i.invoice_id for i in get(sdk.nz, where='Type=="ACCPAY" AND Status=="AUTHORISED"'
                                      ).invoices] == [bill.invoice_id]
    assert len(get(sdk.nz, where='Contact.ContactID==guid("%s")' % a.contact_id).invoices) == 3
    assert len(get(sdk.nz, where='Reference=="R1" || Reference=="R2"').invoices) == 2
    assert len(get(sdk.nz, where='Status!="DRAFT"').invoices) == 4
    assert [i.invoice_number for i in get(sdk.nz, where='InvoiceNumber=="INV-0002"').invoices
            ] == ["INV-0002"]
    assert len(get(sdk.nz, statuses=["DRAFT"]).invoices) == 1
    assert len(get(sdk.nz, contact_i_ds=[b.contact_id]).invoices) == 2
    assert len(get(sdk.nz, i_ds=[made[0].invoice_id, made[1].invoice_id]).invoices) == 2
    assert len(get(sdk.nz, invoice_numbers=["INV-0001"]).invoices) == 1
    page = get(sdk.nz, page=2, page_size=2)
    assert page.pagination.item_count == 5 and page.pagination.page_count == 3
    assert len(page.invoices) == 2
    # If-Modified-Since: move the clock, touch one invoice, ask for changes since then.
    control(emulator, "POST", "/clock", {"advance_seconds": 1000})
    since = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=500)
    sdk.acct.update_invoice(sdk.nz, made[3].invoice_id, m.Invoices(invoices=[
        m.Invoice(reference="changed")]))
    changed = get(sdk.nz, if_modified_since=since).invoices
    assert [i.invoice_id for i in changed] == [made[3].invoice_id]
    http_date = since.strftime("%a, %d %b %Y %H:%M:%S GMT")
    resp = raw(emulator, "GET", "/api.xro/2.0/Invoices", sdk.token["access_token"], sdk.nz,
               headers={"If-Modified-Since": http_date})
    assert [i["InvoiceID"] for i in resp.json()["Invoices"]] == [made[3].invoice_id]


def test_unparseable_where_is_400(sdk, emulator):
    resp = raw(emulator, "GET", "/api.xro/2.0/Invoices", sdk.token["access_token"], sdk.nz,
               params={"where": 'Type=="ACCREC" AND ('})
    assert resp.status_code == 400 and resp.json()["Type"] == "QueryParseException"
    err = bad_request(sdk.acct.get_contacts, sdk.nz, where="Name ~~ 3")
    assert err["Type"] == "QueryParseException"
    assert requests.get(emulator.base_url + "/nowhere", timeout=5).status_code == 404


def test_credit_notes_and_allocations(sdk):
    c = contact(sdk)
    other = contact(sdk, "Other")
    inv = invoice(sdk, c.contact_id, [line(unit_amount=100)])
    cn_model = m.CreditNote(type="ACCRECCREDIT", contact=m.Contact(contact_id=c.contact_id),
                            date=TODAY, status="AUTHORISED",
                            line_items=[line(unit_amount=40)])
    cn = sdk.acct.create_credit_notes(sdk.nz, m.CreditNotes(credit_notes=[cn_model])
                                      ).credit_notes[0]
    assert cn.credit_note_number == "CN-0001" and cn.remaining_credit == D("46")
    draft_cn = sdk.acct.create_credit_notes(sdk.nz, m.CreditNotes(credit_notes=[m.CreditNote(
        type="ACCRECCREDIT", contact=m.Contact(contact_id=c.contact_id), date=TODAY,
        line_items=[line(unit_amount=5)])])).credit_notes[0]
    alloc = lambda cn_id, inv_id, amount: sdk.acct.create_credit_note_allocation(  # noqa: E731
        sdk.nz, cn_id, m.Allocations(allocations=[m.Allocation(
            invoice=m.Invoice(invoice_id=inv_id), amount=amount, date=TODAY)]))
    err = bad_request(alloc, draft_cn.credit_note_id, inv.invoice_id, 1)
    assert "AUTHORISED" in messages(err)[0]
    err = bad_request(alloc, cn.credit_note_id, inv.invoice_id, 50)
    assert "remaining credit" in messages(err)[0]
    other_inv = invoice(sdk, other.contact_id)
    err = bad_request(alloc, cn.credit_note_id, other_inv.invoice_id, 10)
    assert "same contact" in messages(err)[0]
    out = alloc(cn.credit_note_id, inv.invoice_id, 46).allocations[0]
    assert out.amount == D("46") and out.date == TODAY
    inv2 = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert (inv2.amount_credited, inv2.amount_due, inv2.status) == (D("46"), D("69"),
                                                                    "AUTHORISED")
    cn2 = sdk.acct.get_credit_note(sdk.nz, cn.credit_note_id).credit_notes[0]
    assert cn2.remaining_credit == 0 and cn2.status == "PAID"
    err = bad_request(sdk.acct.update_credit_note, sdk.nz, cn.credit_note_id,
                      m.CreditNotes(credit_notes=[m.CreditNote(status="VOIDED")]))
    assert "not of valid status" in messages(err)[0]
    listed = sdk.acct.get_credit_notes(sdk.nz, where='Status=="PAID"').credit_notes
    assert [x.credit_note_id for x in listed] == [cn.credit_note_id]
    ups = sdk.acct.update_or_create_credit_notes(sdk.nz, m.CreditNotes(credit_notes=[
        m.CreditNote(credit_note_id=draft_cn.credit_note_id, reference="ret")])).credit_notes
    assert ups[0].reference == "ret"


def test_purchase_orders(sdk):
    c = contact(sdk, "Supplier")
    po = sdk.acct.create_purchase_orders(sdk.nz, m.PurchaseOrders(purchase_orders=[
        m.PurchaseOrder(contact=m.Contact(contact_id=c.contact_id), date=TODAY,
                        delivery_date=TODAY + dt.timedelta(days=7),
                        line_items=[line(account_code="429", unit_amount=50, quantity=4)])])
    ).purchase_orders[0]
    assert po.purchase_order_number == "PO-0001" and po.status == "DRAFT"
    assert po.total == D("230") and po.delivery_date == TODAY + dt.timedelta(days=7)
    auth = sdk.acct.update_purchase_order(sdk.nz, po.purchase_order_id, m.PurchaseOrders(
        purchase_orders=[m.PurchaseOrder(status="AUTHORISED")])).purchase_orders[0]
    assert auth.status == "AUTHORISED"
    billed = sdk.acct.update_or_create_purchase_orders(sdk.nz, m.PurchaseOrders(
        purchase_orders=[m.PurchaseOrder(purchase_order_id=po.purchase_order_id,
                                         status="BILLED")])).purchase_orders[0]
    assert billed.status == "BILLED"
    err = bad_request(sdk.acct.update_purchase_order, sdk.nz, po.purchase_order_id,
                      m.PurchaseOrders(purchase_orders=[m.PurchaseOrder(status="DRAFT")]))
    assert "not of valid status" in messages(err)[0]
    assert sdk.acct.get_purchase_order_by_number(sdk.nz, "PO-0001").purchase_orders[0] \
        .purchase_order_id == po.purchase_order_id
    assert len(sdk.acct.get_purchase_orders(sdk.nz, status="BILLED").purchase_orders) == 1
    assert sdk.acct.get_purchase_order(sdk.nz, po.purchase_order_id).purchase_orders[0] \
        .status == "BILLED"
    err = bad_request(sdk.acct.create_purchase_orders, sdk.nz, m.PurchaseOrders(
        purchase_orders=[m.PurchaseOrder(contact=m.Contact(name="Nobody Known"),
                                         line_items=[line()])]))
    assert "contact" in messages(err)[0].lower()


def test_history_notes(sdk):
    c = contact(sdk)
    inv = invoice(sdk, c.contact_id)
    out = sdk.acct.create_invoice_history(sdk.nz, inv.invoice_id, m.HistoryRecords(
        history_records=[m.HistoryRecord(details="Shipped: UPS 1Z999")])).history_records
    assert out[0].details == "Shipped: UPS 1Z999" and out[0].date_utc is not None
    hist = sdk.acct.get_invoice_history(sdk.nz, inv.invoice_id).history_records
    assert [h.changes for h in hist] == ["Created", "Note"]
    err = bad_request(sdk.acct.create_invoice_history, sdk.nz, inv.invoice_id,
                      m.HistoryRecords(history_records=[m.HistoryRecord(details="x" * 251)]))
    assert "250" in messages(err)[0]
    cn = sdk.acct.create_credit_notes(sdk.nz, m.CreditNotes(credit_notes=[m.CreditNote(
        type="ACCRECCREDIT", contact=m.Contact(contact_id=c.contact_id), date=TODAY,
        line_items=[line()])])).credit_notes[0]
    sdk.acct.create_credit_note_history(sdk.nz, cn.credit_note_id, m.HistoryRecords(
        history_records=[m.HistoryRecord(details="cn note")]))
    assert sdk.acct.get_credit_note_history(sdk.nz, cn.credit_note_id).history_records[-1] \
        .details == "cn note"
    po = sdk.acct.create_purchase_orders(sdk.nz, m.PurchaseOrders(purchase_orders=[
        m.PurchaseOrder(contact=m.Contact(contact_id=c.contact_id), line_items=[line()])])
    ).purchase_orders[0]
    sdk.acct.create_purchase_order_history(sdk.nz, po.purchase_order_id, m.HistoryRecords(
        history_records=[m.HistoryRecord(details="po note")]))
    assert sdk.acct.get_purchase_order_history(sdk.nz, po.purchase_order_id).history_records[
        -1].details == "po note"
