"""Tracked inventory in the emulator: quantity and average cost moved by the four document
types, zero-total stock adjustments, and the accounts a stock line may be coded to."""

import datetime as dt
from decimal import Decimal as D

from emu_helpers import TODAY, bad_request, contact, messages
from xero_python.accounting import models as m

ADJUSTMENT = "312"


def _tracked_item(sdk, code="STK-1"):
    sdk.acct.create_items(sdk.nz, m.Items(items=[m.Item(
        code=code, name="Stocked widget", inventory_asset_account_code="630",
        purchase_details=m.Purchase(unit_price=10, cogs_account_code="310", tax_type="INPUT2"),
        sales_details=m.Purchase(unit_price=30, account_code="200", tax_type="OUTPUT2"))]))


def _stock(sdk, code="STK-1"):
    item = sdk.acct.get_item(sdk.nz, code).items[0]
    return item.quantity_on_hand, item.total_cost_pool


def _doc(sdk, contact_id, doc_type, lines, status="AUTHORISED", **kwargs):
    """An invoice (ACCREC/ACCPAY) or credit note (ACCRECCREDIT/ACCPAYCREDIT)."""
    ref = m.Contact(contact_id=contact_id)
    if doc_type.endswith("CREDIT"):
        note = m.CreditNote(type=doc_type, contact=ref, line_items=lines, status=status,
                            date=TODAY, **kwargs)
        return sdk.acct.create_credit_notes(sdk.nz, m.CreditNotes(credit_notes=[note]))\
            .credit_notes[0]
    inv = m.Invoice(type=doc_type, contact=ref, line_items=lines, status=status, date=TODAY,
                    due_date=TODAY + dt.timedelta(days=20), **kwargs)
    return sdk.acct.create_invoices(sdk.nz, m.Invoices(invoices=[inv])).invoices[0]


def _void_invoice(sdk, invoice_id):
    sdk.acct.update_invoice(sdk.nz, invoice_id, m.Invoices(invoices=[
        m.Invoice(status="VOIDED")]))


def _void_credit(sdk, credit_note_id):
    sdk.acct.update_credit_note(sdk.nz, credit_note_id, m.CreditNotes(credit_notes=[
        m.CreditNote(status="VOIDED")]))


def _item_line(qty, unit, code="STK-1"):
    return m.LineItem(item_code=code, quantity=qty, unit_amount=unit)


def test_sales_leave_and_returns_come_back_at_average_cost_and_voids_undo_them(sdk):
    _tracked_item(sdk)
    supplier, customer = contact(sdk, "Supplier"), contact(sdk, "Customer")
    first = _doc(sdk, supplier.contact_id, "ACCPAY", [_item_line(10, 12)])
    _doc(sdk, supplier.contact_id, "ACCPAY", [_item_line(5, 15)])
    assert _stock(sdk) == (15, D("195"))  # average 13.00
    sale = _doc(sdk, customer.contact_id, "ACCREC", [_item_line(6, 30)])
    assert _stock(sdk) == (9, D("117")), "6 leave at the average 13.00, not at the price 30"
    back = _doc(sdk, customer.contact_id, "ACCRECCREDIT", [_item_line(3, 30)])
    assert back.line_items[0].account_code == "200", "a return reverses the sale's revenue"
    assert _stock(sdk) == (12, D("156")), "a customer return comes back at 13.00"
    _void_credit(sdk, back.credit_note_id)
    assert _stock(sdk) == (9, D("117"))
    _void_invoice(sdk, sale.invoice_id)
    assert _stock(sdk) == (15, D("195"))
    _void_invoice(sdk, first.invoice_id)
    assert _stock(sdk) == (5, D("75")), "voiding a bill takes out exactly what it brought in"


def test_selling_the_last_unit_empties_the_pool_and_a_later_return_uses_the_last_cost(sdk):
    _tracked_item(sdk)
    supplier, customer = contact(sdk, "Supplier"), contact(sdk, "Customer")
    _doc(sdk, supplier.contact_id, "ACCPAY", [_item_line(1, 4)])
    _doc(sdk, supplier.contact_id, "ACCPAY", [_item_line(2, 3)])
    _doc(sdk, customer.contact_id, "ACCREC", [_item_line(1, 30)])
    assert _stock(sdk) == (2, D("6.67")), "10.00 / 3 rounds to 3.33 for the unit sold"
    _doc(sdk, customer.contact_id, "ACCREC", [_item_line(2, 30)])
    assert _stock(sdk) == (0, D("0")), "the last units take the rest of the pool, no residue"
    _doc(sdk, customer.contact_id, "ACCRECCREDIT", [_item_line(1, 30)])
    assert _stock(sdk) == (1, D("3.34")), "returned at the last average cost, 6.67 / 2"


def test_editing_an_authorised_sale_moves_only_the_difference(sdk):
    _tracked_item(sdk)
    supplier, customer = contact(sdk, "Supplier"), contact(sdk, "Customer")
    _doc(sdk, supplier.contact_id, "ACCPAY", [_item_line(10, 12)])
    sale = _doc(sdk, customer.contact_id, "ACCREC", [_item_line(4, 30)])
    assert _stock(sdk) == (6, D("72"))
    sdk.acct.update_invoice(sdk.nz, sale.invoice_id, m.Invoices(invoices=[m.Invoice(
        line_items=[m.LineItem(line_item_id=sale.line_items[0].line_item_id,
                               item_code="STK-1", quantity=1, unit_amount=30)])]))
    assert _stock(sdk) == (9, D("108"))


def test_stock_adjustment_up_is_a_zero_total_bill_shown_paid(sdk):
    _tracked_item(sdk)
    supplier = contact(sdk, "Stock adjustments")
    adjust = _doc(sdk, supplier.contact_id, "ACCPAY", [
        _item_line(5, 12),
        m.LineItem(description="Stock count", quantity=1, unit_amount=-60,
                   account_code=ADJUSTMENT)], line_amount_types=m.LineAmountTypes.NOTAX)
    assert adjust.total == 0 and adjust.amount_due == 0
    assert adjust.status == "PAID", "nothing is left to pay on a zero-total bill"
    assert [line.account_code for line in adjust.line_items] == ["630", ADJUSTMENT]
    assert _stock(sdk) == (5, D("60"))
    stored = sdk.acct.get_invoice(sdk.nz, adjust.invoice_id).invoices[0]
    assert stored.status == "PAID" and stored.amount_paid == 0


def test_stock_adjustment_down_is_a_zero_total_supplier_credit_note(sdk):
    _tracked_item(sdk)
    supplier = contact(sdk, "Stock adjustments")
    _doc(sdk, supplier.contact_id, "ACCPAY", [_item_line(10, 12)])
    down = _doc(sdk, supplier.contact_id, "ACCPAYCREDIT", [
        _item_line(3, 12),
        m.LineItem(description="Scrap", quantity=1, unit_amount=-36,
                   account_code=ADJUSTMENT)], line_amount_types=m.LineAmountTypes.NOTAX)
    assert down.total == 0 and down.remaining_credit == 0 and down.status == "PAID"
    assert _stock(sdk) == (7, D("84"))
    _void_credit(sdk, down.credit_note_id)
    assert _stock(sdk) == (10, D("120"))


def test_negative_totals_are_refused_and_change_nothing(sdk):
    _tracked_item(sdk)
    supplier = contact(sdk, "Stock adjustments")
    err = bad_request(_doc, sdk, supplier.contact_id, "ACCPAY", [
        _item_line(1, 12),
        m.LineItem(description="Too much", quantity=1, unit_amount=-20,
                   account_code=ADJUSTMENT)], line_amount_types=m.LineAmountTypes.NOTAX)
    assert messages(err) == ["The Invoice total cannot be negative."]
    assert _stock(sdk) == (0, D("0"))
    assert sdk.acct.get_invoices(sdk.nz).invoices == []


def test_which_accounts_take_stock_lines(sdk):
    _tracked_item(sdk)
    supplier, customer = contact(sdk, "Supplier"), contact(sdk, "Customer")
    _doc(sdk, supplier.contact_id, "ACCPAY", [_item_line(10, 12)])
    before = _stock(sdk)
    bought_as_expense = m.LineItem(item_code="STK-1", quantity=1, unit_amount=12,
                                   account_code="429")
    err = bad_request(_doc, sdk, supplier.contact_id, "ACCPAY", [bought_as_expense])
    assert messages(err) == ["Tracked inventory item 'STK-1' must be coded to its inventory "
                             "asset account '630'."]
    err = bad_request(_doc, sdk, supplier.contact_id, "ACCPAYCREDIT", [bought_as_expense])
    assert messages(err) == ["Tracked inventory item 'STK-1' must be coded to its inventory "
                             "asset account '630'."]
    refused = ["You cannot save this transaction using an inventory account type"]
    # The adjustment's own line may not sit on the inventory account: only items move it.
    err = bad_request(_doc, sdk, supplier.contact_id, "ACCPAY", [
        _item_line(1, 12), m.LineItem(description="Adjust", quantity=1, unit_amount=-12,
                                      account_code="630")],
        line_amount_types=m.LineAmountTypes.NOTAX)
    assert messages(err) == refused
    sold_from_stock_account = m.LineItem(item_code="STK-1", quantity=1, unit_amount=30,
                                         account_code="630")
    err = bad_request(_doc, sdk, customer.contact_id, "ACCREC", [sold_from_stock_account])
    assert messages(err) == refused
    err = bad_request(_doc, sdk, customer.contact_id, "ACCRECCREDIT",
                      [sold_from_stock_account])
    assert messages(err) == refused
    assert _stock(sdk) == before
    assert len(sdk.acct.get_invoices(sdk.nz).invoices) == 1
    assert sdk.acct.get_credit_notes(sdk.nz).credit_notes == []
    # A DRAFT is checked the same way (nothing is posted, but Xero validates the coding).
    err = bad_request(_doc, sdk, supplier.contact_id, "ACCPAY", [bought_as_expense],
                      status="DRAFT")
    assert "must be coded to its inventory asset account" in messages(err)[0]
