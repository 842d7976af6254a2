"""Purchasing in the emulator: purchase orders, supplier bills (ACCPAY) and supplier credit
notes (ACCPAYCREDIT), driven through the real xero-python SDK."""

import datetime as dt
from decimal import Decimal as D

import pytest
from emu_helpers import TODAY, bad_request, contact, line, messages, raw
from xero_python.accounting import models as m


def po_line(**kwargs):
    kwargs.setdefault("account_code", "429")
    return line(**kwargs)


def new_po(sdk, contact_id, lines=None, **kwargs):
    kwargs.setdefault("date", TODAY)
    order = m.PurchaseOrder(contact=m.Contact(contact_id=contact_id),
                            line_items=[po_line()] if lines is None else lines, **kwargs)
    return sdk.acct.create_purchase_orders(sdk.nz, m.PurchaseOrders(purchase_orders=[order])
                                           ).purchase_orders[0]


def set_po(sdk, po_id, **kwargs):
    return sdk.acct.update_purchase_order(sdk.nz, po_id, m.PurchaseOrders(
        purchase_orders=[m.PurchaseOrder(**kwargs)])).purchase_orders[0]


def stored_po(sdk, po_id):
    return sdk.acct.get_purchase_order(sdk.nz, po_id).purchase_orders[0]


def bill(sdk, contact_id, lines=None, doc_type="ACCPAY", status="AUTHORISED", tenant=None,
         **kwargs):
    """A supplier bill (ACCPAY) or supplier credit note (ACCPAYCREDIT)."""
    kwargs.setdefault("date", TODAY)
    lines = lines or [po_line()]
    ref = m.Contact(contact_id=contact_id)
    if doc_type == "ACCPAYCREDIT":
        doc = m.CreditNote(type=doc_type, contact=ref, line_items=lines, status=status, **kwargs)
        return sdk.acct.create_credit_notes(tenant or sdk.nz, m.CreditNotes(
            credit_notes=[doc])).credit_notes[0]
    doc = m.Invoice(type=doc_type, contact=ref, line_items=lines, status=status,
                    due_date=kwargs["date"] + dt.timedelta(days=30), **kwargs)
    return sdk.acct.create_invoices(tenant or sdk.nz, m.Invoices(invoices=[doc])).invoices[0]


INVALID_MODIFICATION = ["Purchase Order not of valid status for modification"]


# -- Purchase order statuses ---------------------------------------------------------------
def test_purchase_order_goes_forward_to_billed_and_is_then_frozen(sdk):
    supplier = contact(sdk, "Supplier")
    po = new_po(sdk, supplier.contact_id)
    assert po.status == "DRAFT"
    assert set_po(sdk, po.purchase_order_id, status="SUBMITTED").status == "SUBMITTED"
    err = bad_request(set_po, sdk, po.purchase_order_id, status="DRAFT")
    assert messages(err) == INVALID_MODIFICATION
    assert set_po(sdk, po.purchase_order_id, status="AUTHORISED").status == "AUTHORISED"
    assert set_po(sdk, po.purchase_order_id, status="BILLED").status == "BILLED"
    for change in ({"status": "AUTHORISED"}, {"status": "DELETED"},
                   {"reference": "late change"}, {"status": "BILLED"}):
        err = bad_request(set_po, sdk, po.purchase_order_id, **change)
        assert messages(err) == INVALID_MODIFICATION, change
    kept = stored_po(sdk, po.purchase_order_id)
    assert kept.status == "BILLED" and kept.reference is None


@pytest.mark.parametrize("before", ["DRAFT", "SUBMITTED"])
def test_only_an_authorised_order_can_be_billed(emulator, sdk, before):
    supplier = contact(sdk, "Supplier")
    po = new_po(sdk, supplier.contact_id, status=before)
    err = bad_request(set_po, sdk, po.purchase_order_id, status="BILLED")
    assert messages(err) == INVALID_MODIFICATION
    assert stored_po(sdk, po.purchase_order_id).status == before


@pytest.mark.parametrize("status", ["BILLED", "DELETED"])
def test_an_order_cannot_be_created_billed_or_deleted(emulator, sdk, status):
    supplier = contact(sdk, "Supplier")
    err = bad_request(new_po, sdk, supplier.contact_id, status=status)
    assert messages(err) == ["Purchase Order not of valid status for creation"]
    assert sdk.acct.get_purchase_orders(sdk.nz).purchase_orders == []


@pytest.mark.parametrize("before", ["DRAFT", "SUBMITTED", "AUTHORISED"])
def test_delete_by_id_and_status_alone_then_the_order_is_frozen(emulator, sdk, before):
    supplier = contact(sdk, "Supplier")
    po = new_po(sdk, supplier.contact_id, status=before)
    # The delete payload the sync engine sends: the ID and the status, nothing else.
    out = sdk.acct.update_or_create_purchase_orders(sdk.nz, m.PurchaseOrders(purchase_orders=[
        m.PurchaseOrder(purchase_order_id=po.purchase_order_id, status="DELETED")]))
    assert out.purchase_orders[0].status == "DELETED"
    deleted = stored_po(sdk, po.purchase_order_id)
    assert deleted.status == "DELETED" and deleted.total == po.total
    for change in ({"status": before}, {"status": "DELETED"}, {"reference": "again"}):
        err = bad_request(set_po, sdk, po.purchase_order_id, **change)
        assert messages(err) == INVALID_MODIFICATION, change
    history = sdk.acct.get_purchase_order_history(sdk.nz, po.purchase_order_id)
    assert [h.changes for h in history.history_records][-1] == "Deleted"


# -- Purchase order numbers, fields and look-ups -------------------------------------------
def test_order_number_is_generated_when_omitted_and_kept_when_sent(sdk):
    supplier = contact(sdk, "Supplier")
    first = new_po(sdk, supplier.contact_id)
    assert first.purchase_order_number == "PO-0001"
    ours = new_po(sdk, supplier.contact_id, purchase_order_number="PO-0002")
    assert ours.purchase_order_number == "PO-0002"
    odoo = new_po(sdk, supplier.contact_id, purchase_order_number="P00042")
    assert odoo.purchase_order_number == "P00042"
    # The sequence skips a number a client took.
    assert new_po(sdk, supplier.contact_id).purchase_order_number == "PO-0003"
    err = bad_request(new_po, sdk, supplier.contact_id, purchase_order_number="P00042")
    assert messages(err) == ["Purchase Order # must be unique."]
    assert len(sdk.acct.get_purchase_orders(sdk.nz).purchase_orders) == 4


def test_delivery_fields_are_stored_and_returned(sdk):
    supplier = contact(sdk, "Supplier")
    address = "Clarus Warehouse\n12 Dock Road\nPetone 5012\nNew Zealand"
    po = new_po(sdk, supplier.contact_id, reference="RFQ P00007",
                delivery_date=TODAY + dt.timedelta(days=7),
                expected_arrival_date=TODAY + dt.timedelta(days=9),
                delivery_address=address, attention_to="Receiving: Jo Bloggs",
                telephone="+64 4 555 0100", delivery_instructions="Dock 3, before noon")
    for got in (po, stored_po(sdk, po.purchase_order_id)):
        assert got.reference == "RFQ P00007"
        assert got.delivery_date == TODAY + dt.timedelta(days=7)
        assert got.expected_arrival_date == TODAY + dt.timedelta(days=9)
        assert got.delivery_address == address
        assert got.attention_to == "Receiving: Jo Bloggs"
        assert got.telephone == "+64 4 555 0100"
        assert got.delivery_instructions == "Dock 3, before noon"


def test_delivery_instructions_allow_500_characters(emulator, sdk):
    supplier = contact(sdk, "Supplier")
    po = new_po(sdk, supplier.contact_id, delivery_instructions="x" * 500)
    assert len(po.delivery_instructions) == 500
    err = bad_request(new_po, sdk, supplier.contact_id, delivery_instructions="x" * 501)
    assert messages(err) == ["DeliveryInstructions must not be more than 500 characters long."]
    err = bad_request(set_po, sdk, po.purchase_order_id, delivery_instructions="y" * 501)
    assert messages(err) == ["DeliveryInstructions must not be more than 500 characters long."]
    assert stored_po(sdk, po.purchase_order_id).delivery_instructions == "x" * 500
    assert len(sdk.acct.get_purchase_orders(sdk.nz).purchase_orders) == 1


def test_dates_must_be_dates(emulator, sdk):
    supplier = contact(sdk, "Supplier")
    resp = raw(emulator, "PUT", "/api.xro/2.0/PurchaseOrders", token=sdk.token["access_token"],
               tenant=sdk.nz, json={"PurchaseOrders": [{
                   "Contact": {"ContactID": supplier.contact_id}, "DeliveryDate": "next week",
                   "LineItems": [{"Description": "Widget", "Quantity": 1, "UnitAmount": 5,
                                  "AccountCode": "429"}]}]})
    assert resp.status_code == 400
    assert "'next week' is not a valid date for DeliveryDate" in resp.text
    assert sdk.acct.get_purchase_orders(sdk.nz).purchase_orders == []


def test_an_order_needs_a_line_and_takes_no_discount(emulator, sdk):
    supplier = contact(sdk, "Supplier")
    err = bad_request(new_po, sdk, supplier.contact_id, lines=[], status="DRAFT")
    assert messages(err) == ["Purchase Order must have at least one line item"]
    err = bad_request(new_po, sdk, supplier.contact_id, lines=[po_line(discount_rate=10)])
    assert messages(err) == ["Discounts are only supported on ACCREC invoices: ACC PAY "
                             "invoices and credit notes in Xero do not support discounts."]
    assert sdk.acct.get_purchase_orders(sdk.nz).purchase_orders == []


def test_an_order_needs_an_existing_active_supplier(emulator, sdk):
    err = bad_request(sdk.acct.create_purchase_orders, sdk.nz, m.PurchaseOrders(
        purchase_orders=[m.PurchaseOrder(contact=m.Contact(name="Nobody Known"),
                                         line_items=[po_line()])]))
    assert messages(err) == ["The contact could not be found; send an existing ContactID"]
    supplier = contact(sdk, "Old Supplier")
    po = new_po(sdk, supplier.contact_id)
    sdk.acct.update_contact(sdk.nz, supplier.contact_id, m.Contacts(contacts=[
        m.Contact(contact_id=supplier.contact_id, contact_status="ARCHIVED")]))
    err = bad_request(new_po, sdk, supplier.contact_id)
    assert messages(err) == ["The contact 'Old Supplier' is archived and cannot be used on "
                             "new transactions."]
    # The order made before the archive keeps its supplier and can still be approved.
    assert set_po(sdk, po.purchase_order_id, status="AUTHORISED").status == "AUTHORISED"
    assert len(sdk.acct.get_purchase_orders(sdk.nz).purchase_orders) == 1


def test_update_by_id_or_by_number_and_read_by_either(sdk):
    supplier = contact(sdk, "Supplier")
    po = new_po(sdk, supplier.contact_id, purchase_order_number="P00010")
    by_number = sdk.acct.update_or_create_purchase_orders(sdk.nz, m.PurchaseOrders(
        purchase_orders=[m.PurchaseOrder(purchase_order_number="P00010",
                                         reference="confirmed by phone",
                                         line_items=[po_line(quantity=3, unit_amount=20)])]))
    updated = by_number.purchase_orders[0]
    assert updated.purchase_order_id == po.purchase_order_id
    assert updated.reference == "confirmed by phone" and updated.sub_total == D("60")
    by_id = sdk.acct.update_or_create_purchase_orders(sdk.nz, m.PurchaseOrders(
        purchase_orders=[m.PurchaseOrder(purchase_order_id=po.purchase_order_id,
                                         status="AUTHORISED")])).purchase_orders[0]
    assert by_id.status == "AUTHORISED" and by_id.sub_total == D("60")
    assert len(sdk.acct.get_purchase_orders(sdk.nz).purchase_orders) == 1
    found = sdk.acct.get_purchase_order_by_number(sdk.nz, "P00010").purchase_orders[0]
    assert (found.purchase_order_id, found.status) == (po.purchase_order_id, "AUTHORISED")
    assert stored_po(sdk, po.purchase_order_id).purchase_order_number == "P00010"


def test_purchase_order_history(sdk):
    supplier = contact(sdk, "Supplier")
    po = new_po(sdk, supplier.contact_id)
    set_po(sdk, po.purchase_order_id, status="AUTHORISED")
    sdk.acct.create_purchase_order_history(sdk.nz, po.purchase_order_id, m.HistoryRecords(
        history_records=[m.HistoryRecord(details="Received 4 of 4 in WH/IN/00012")]))
    history = sdk.acct.get_purchase_order_history(sdk.nz, po.purchase_order_id)
    records = history.history_records
    assert [h.changes for h in records] == ["Created", "Approved", "Note"]
    assert records[-1].details == "Received 4 of 4 in WH/IN/00012"
    err = bad_request(sdk.acct.create_purchase_order_history, sdk.nz, po.purchase_order_id,
                      m.HistoryRecords(history_records=[m.HistoryRecord(details="z" * 251)]))
    assert messages(err) == ["The Details must not be more than 250 characters long."]


# -- Supplier bills and credit notes -------------------------------------------------------
def test_supplier_numbers_are_not_unique_but_sales_numbers_are(sdk):
    supplier = contact(sdk, "Supplier")
    first = bill(sdk, supplier.contact_id, invoice_number="SUP-77")
    second = bill(sdk, supplier.contact_id, invoice_number="SUP-77")
    assert first.invoice_id != second.invoice_id
    assert {first.invoice_number, second.invoice_number} == {"SUP-77"}
    cn1 = bill(sdk, supplier.contact_id, doc_type="ACCPAYCREDIT", credit_note_number="SC-1")
    cn2 = bill(sdk, supplier.contact_id, doc_type="ACCPAYCREDIT", credit_note_number="SC-1")
    assert cn1.credit_note_id != cn2.credit_note_id
    customer = contact(sdk, "Customer")
    bill(sdk, customer.contact_id, [line()], doc_type="ACCREC", invoice_number="SUP-77")
    err = bad_request(bill, sdk, customer.contact_id, [line()], doc_type="ACCREC",
                      invoice_number="SUP-77")
    assert messages(err) == ["Invoice # must be unique."]
    listed = sdk.acct.get_invoices(sdk.nz, invoice_numbers=["SUP-77"]).invoices
    assert sorted(i.type for i in listed) == ["ACCPAY", "ACCPAY", "ACCREC"]


def test_reference_is_dropped_on_supplier_documents(sdk):
    supplier = contact(sdk, "Supplier")
    payable = bill(sdk, supplier.contact_id, status="DRAFT", reference="P00042")
    assert payable.reference is None
    sdk.acct.update_invoice(sdk.nz, payable.invoice_id, m.Invoices(invoices=[
        m.Invoice(reference="again")]))
    assert sdk.acct.get_invoice(sdk.nz, payable.invoice_id).invoices[0].reference is None
    credit = bill(sdk, supplier.contact_id, doc_type="ACCPAYCREDIT", reference="RET-1")
    assert credit.reference is None
    assert sdk.acct.get_credit_note(sdk.nz, credit.credit_note_id).credit_notes[0] \
        .reference is None
    sale = bill(sdk, supplier.contact_id, [line()], doc_type="ACCREC", reference="S00001")
    assert sale.reference == "S00001"


def test_supplier_documents_take_no_discounts(emulator, sdk):
    supplier = contact(sdk, "Supplier")
    refused = ["Discounts are only supported on ACCREC invoices: ACC PAY invoices and credit "
               "notes in Xero do not support discounts."]
    for doc_type in ("ACCPAY", "ACCPAYCREDIT"):
        for discount in ({"discount_rate": 5}, {"discount_amount": 2}):
            err = bad_request(bill, sdk, supplier.contact_id, [po_line(**discount)],
                              doc_type=doc_type)
            assert messages(err) == refused, (doc_type, discount)
    assert sdk.acct.get_invoices(sdk.nz).invoices == []
    assert sdk.acct.get_credit_notes(sdk.nz).credit_notes == []


def _tracked_item(sdk, code="STK-9"):
    sdk.acct.create_items(sdk.nz, m.Items(items=[m.Item(
        code=code, name="Stocked widget", inventory_asset_account_code="630",
        purchase_details=m.Purchase(unit_price=10, cogs_account_code="310", tax_type="INPUT2"),
        sales_details=m.Purchase(unit_price=30, account_code="200", tax_type="OUTPUT2"))]))


def _stock(sdk, code="STK-9"):
    item = sdk.acct.get_item(sdk.nz, code).items[0]
    return item.quantity_on_hand, item.total_cost_pool


def test_bills_raise_and_supplier_credits_lower_stock_at_net_cost(sdk):
    _tracked_item(sdk)
    supplier = contact(sdk, "Supplier")
    draft = bill(sdk, supplier.contact_id, [m.LineItem(item_code="STK-9", quantity=10,
                                                       unit_amount=12)], status="DRAFT")
    assert _stock(sdk) == (0, 0)
    sdk.acct.update_invoice(sdk.nz, draft.invoice_id, m.Invoices(invoices=[
        m.Invoice(status="AUTHORISED")]))
    assert _stock(sdk) == (10, D("120"))
    # Prices including 15% GST: the cost is the net 2 x 10.00, not the gross 23.00.
    bill(sdk, supplier.contact_id, [m.LineItem(item_code="STK-9", quantity=2,
                                               unit_amount=D("11.50"))],
         line_amount_types=m.LineAmountTypes.INCLUSIVE)
    assert _stock(sdk) == (12, D("140"))
    # A bill in Australian dollars is costed in the organisation's currency (NZD).
    bill(sdk, supplier.contact_id, [m.LineItem(item_code="STK-9", quantity=5,
                                               unit_amount=10)],
         currency_code=m.CurrencyCode.AUD, currency_rate=0.5)
    assert _stock(sdk) == (17, D("240"))
    credit = bill(sdk, supplier.contact_id, [m.LineItem(item_code="STK-9", quantity=3,
                                                        unit_amount=12)],
                  doc_type="ACCPAYCREDIT")
    assert credit.line_items[0].account_code == "630"
    assert _stock(sdk) == (14, D("204"))
    err = bad_request(bill, sdk, supplier.contact_id,
                      [m.LineItem(item_code="STK-9", quantity=15, unit_amount=12)],
                      doc_type="ACCPAYCREDIT")
    assert messages(err) == ["The quantity on hand for item 'STK-9' would fall below zero "
                             "(14 on hand, 15 required). Use allowBackorders=true to allow "
                             "this."]
    sdk.acct.update_credit_note(sdk.nz, credit.credit_note_id, m.CreditNotes(credit_notes=[
        m.CreditNote(status="VOIDED")]))
    assert _stock(sdk) == (17, D("240"))


def test_history_on_bills_and_supplier_credit_notes(sdk):
    supplier = contact(sdk, "Supplier")
    payable = bill(sdk, supplier.contact_id, invoice_number="SUP-5")
    sdk.acct.create_invoice_history(sdk.nz, payable.invoice_id, m.HistoryRecords(
        history_records=[m.HistoryRecord(details="Matched to P00042")]))
    records = sdk.acct.get_invoice_history(sdk.nz, payable.invoice_id).history_records
    assert [(h.changes, h.details) for h in records][-1] == ("Note", "Matched to P00042")
    assert records[0].changes == "Created"
    credit = bill(sdk, supplier.contact_id, doc_type="ACCPAYCREDIT")
    sdk.acct.create_credit_note_history(sdk.nz, credit.credit_note_id, m.HistoryRecords(
        history_records=[m.HistoryRecord(details="Returned 2 damaged")]))
    records = sdk.acct.get_credit_note_history(sdk.nz, credit.credit_note_id).history_records
    assert [h.changes for h in records] == ["Created", "Note"]
    assert records[-1].details == "Returned 2 damaged"


def test_bill_is_found_by_type_contact_number_and_date(sdk):
    """The look-up after a lost answer: a bill by its supplier, number and date."""
    supplier = contact(sdk, "Supplier")
    other = contact(sdk, "Other Supplier")
    wanted = bill(sdk, supplier.contact_id, invoice_number="INV-881")
    bill(sdk, supplier.contact_id, invoice_number="INV-881",
         date=TODAY + dt.timedelta(days=1))
    bill(sdk, other.contact_id, invoice_number="INV-881")
    bill(sdk, supplier.contact_id, invoice_number="INV-882")
    bill(sdk, supplier.contact_id, [line()], doc_type="ACCREC", invoice_number="INV-881")
    where = ('Type=="ACCPAY" AND Contact.ContactID==guid("%s") AND InvoiceNumber=="INV-881" '
             'AND Date==DateTime(%d,%02d,%02d)'
             % (supplier.contact_id, TODAY.year, TODAY.month, TODAY.day))
    found = sdk.acct.get_invoices(sdk.nz, where=where).invoices
    assert [i.invoice_id for i in found] == [wanted.invoice_id]
    by_contact = sdk.acct.get_invoices(sdk.nz, where='Type=="ACCPAY" AND Contact.ContactID=='
                                       'guid("%s")' % supplier.contact_id).invoices
    assert len(by_contact) == 3
    # Two keys OR-ed, each term in brackets, as the sync engine batches its look-ups.
    other_clause = ('(Type=="ACCPAY" AND Contact.ContactID==guid("%s") AND '
                    'InvoiceNumber=="INV-881" AND Date==DateTime(%d,%02d,%02d))'
                    % (other.contact_id.upper(), TODAY.year, TODAY.month, TODAY.day))
    both = sdk.acct.get_invoices(sdk.nz, where="(%s) OR %s" % (where, other_clause)).invoices
    assert len(both) == 2 and {i.contact.contact_id for i in both} == {
        supplier.contact_id, other.contact_id}
    next_day = TODAY + dt.timedelta(days=1)
    later = sdk.acct.get_invoices(sdk.nz, where='Type=="ACCPAY" AND Date>=DateTime(%d,%02d,%02d)'
                                  % (next_day.year, next_day.month, next_day.day)).invoices
    assert [i.date for i in later] == [next_day]


def test_supplier_credit_note_is_found_by_type_contact_number_and_date(sdk):
    supplier = contact(sdk, "Supplier")
    wanted = bill(sdk, supplier.contact_id, doc_type="ACCPAYCREDIT", credit_note_number="CR-5")
    bill(sdk, supplier.contact_id, doc_type="ACCPAYCREDIT", credit_note_number="CR-5",
         date=TODAY - dt.timedelta(days=1))
    where = ('(Type=="ACCPAYCREDIT" AND Contact.ContactID==guid("%s") AND '
             'CreditNoteNumber=="CR-5" AND Date==DateTime(%d,%02d,%02d))'
             % (supplier.contact_id, TODAY.year, TODAY.month, TODAY.day))
    found = sdk.acct.get_credit_notes(sdk.nz, where=where).credit_notes
    assert [c.credit_note_id for c in found] == [wanted.credit_note_id]


# -- Seeded charts of accounts -------------------------------------------------------------
@pytest.mark.parametrize("region, expense_tax, revenue_tax",
                         [("nz", "INPUT2", "OUTPUT2"), ("au", "INPUT", "OUTPUT")])
def test_every_region_has_freight_and_other_revenue(emulator, sdk, region, expense_tax,
                                                    revenue_tax):
    tenant = getattr(sdk, region)
    accounts = {a.code: a for a in sdk.acct.get_accounts(tenant).accounts}
    freight, other = accounts["425"], accounts["260"]
    assert (freight.name, freight.type.value, freight.tax_type) == ("Freight & Courier",
                                                                    "EXPENSE", expense_tax)
    assert (other.name, other.type.value, other.tax_type) == ("Other Revenue", "REVENUE",
                                                              revenue_tax)
    supplier = contact(sdk, "Carrier", tenant=tenant)
    shipped = bill(sdk, supplier.contact_id, [m.LineItem(description="Freight", quantity=1,
                                                         unit_amount=40, account_code="425")],
                   tenant=tenant)
    assert shipped.line_items[0].tax_type == expense_tax and shipped.total_tax > 0
