"""Payments and tracked inventory."""

from decimal import Decimal as D

from emu_helpers import TODAY, bad_request, contact, invoice, line, messages
from xero_python.accounting import models as m


def pay(sdk, invoice_id, amount, code="090"):
    return sdk.acct.create_payment(sdk.nz, m.Payment(
        invoice=m.Invoice(invoice_id=invoice_id), account=m.Account(code=code),
        amount=amount, date=TODAY, reference="bank"))


def test_payments_reduce_amount_due_and_mark_paid(sdk):
    c = contact(sdk)
    inv = invoice(sdk, c.contact_id, [line(unit_amount=100)])
    p1 = pay(sdk, inv.invoice_id, 15).payments[0]
    assert p1.status == "AUTHORISED" and p1.payment_type == "ACCRECPAYMENT"
    assert p1.date == TODAY and p1.updated_date_utc is not None
    err = bad_request(pay, sdk, inv.invoice_id, 100.01)
    assert messages(err) == ["Payment amount exceeds the amount outstanding on this document"]
    out = sdk.acct.create_payments(sdk.nz, m.Payments(payments=[m.Payment(
        invoice=m.Invoice(invoice_number=inv.invoice_number), account=m.Account(code="970"),
        amount=100, date=TODAY)])).payments[0]
    assert out.amount == D("100")
    paid = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert (paid.status, paid.amount_due, paid.amount_paid) == ("PAID", 0, D("115"))
    assert paid.fully_paid_on_date == TODAY and len(paid.payments) == 2
    err = bad_request(sdk.acct.update_invoice, sdk.nz, inv.invoice_id,
                      m.Invoices(invoices=[m.Invoice(status="VOIDED")]))
    assert messages(err) == ["Invoice not of valid status for modification"]
    # Deleting a payment re-opens the invoice.
    deleted = sdk.acct.delete_payment(sdk.nz, p1.payment_id,
                                      m.PaymentDelete(status="DELETED")).payments[0]
    assert deleted.status == "DELETED"
    back = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert (back.status, back.amount_due) == ("AUTHORISED", D("15"))
    assert sdk.acct.get_payment(sdk.nz, p1.payment_id).payments[0].status == "DELETED"
    listed = sdk.acct.get_payments(sdk.nz, where='Status=="AUTHORISED"').payments
    assert [p.payment_id for p in listed] == [out.payment_id]
    assert sdk.acct.get_payments(sdk.nz, page=1).pagination.item_count == 2


def test_payment_rules(sdk):
    c = contact(sdk)
    draft = invoice(sdk, c.contact_id, status="DRAFT")
    err = bad_request(pay, sdk, draft.invoice_id, 1)
    assert "AUTHORISED" in messages(err)[0]
    inv = invoice(sdk, c.contact_id)
    err = bad_request(pay, sdk, inv.invoice_id, 1, code="200")
    assert "BANK" in messages(err)[0]
    out = sdk.acct.create_payments(sdk.nz, m.Payments(payments=[
        m.Payment(invoice=m.Invoice(invoice_id=inv.invoice_id), account=m.Account(code="090"),
                  amount=1, date=TODAY),
        m.Payment(invoice=m.Invoice(invoice_id=draft.invoice_id),
                  account=m.Account(code="090"), amount=1, date=TODAY)]),
        summarize_errors=False).payments
    assert [p.status_attribute_string for p in out] == ["OK", "ERROR"]
    assert out[1].has_validation_errors


def test_tracked_inventory_moves_only_on_authorised(sdk):
    sdk.acct.create_items(sdk.nz, m.Items(items=[m.Item(
        code="STK-1", name="Stocked", inventory_asset_account_code="630",
        purchase_details=m.Purchase(unit_price=10, cogs_account_code="310", tax_type="INPUT2"),
        sales_details=m.Purchase(unit_price=30, account_code="200", tax_type="OUTPUT2"))]))
    supplier = contact(sdk, "Supplier")
    customer = contact(sdk, "Customer")

    def on_hand():
        return sdk.acct.get_item(sdk.nz, "STK-1").items[0].quantity_on_hand

    bill = invoice(sdk, supplier.contact_id, [m.LineItem(item_code="STK-1", quantity=5)],
                   type="ACCPAY", status="DRAFT")
    assert bill.line_items[0].account_code == "630"
    assert on_hand() == 0
    sdk.acct.update_invoice(sdk.nz, bill.invoice_id, m.Invoices(invoices=[
        m.Invoice(status="AUTHORISED")]))
    assert on_hand() == 5
    item = sdk.acct.get_item(sdk.nz, "STK-1").items[0]
    assert item.total_cost_pool == D("50")
    draft_sale = invoice(sdk, customer.contact_id, [m.LineItem(item_code="STK-1", quantity=3)],
                         status="DRAFT")
    assert on_hand() == 5
    sdk.acct.update_invoice(sdk.nz, draft_sale.invoice_id, m.Invoices(invoices=[
        m.Invoice(status="AUTHORISED")]))
    assert on_hand() == 2
    err = bad_request(invoice, sdk, customer.contact_id,
                      [m.LineItem(item_code="STK-1", quantity=3)])
    assert "STK-1" in messages(err)[0] and "allowBackorders" in messages(err)[0]
    assert on_hand() == 2
    back = sdk.acct.create_invoices(sdk.nz, m.Invoices(invoices=[m.Invoice(
        type="ACCREC", contact=m.Contact(contact_id=customer.contact_id), status="AUTHORISED",
        date=TODAY, due_date=TODAY, line_items=[m.LineItem(item_code="STK-1", quantity=3)])]),
        allow_backorders=True).invoices[0]
    assert back.status == "AUTHORISED" and on_hand() == -1
    sdk.acct.update_invoice(sdk.nz, back.invoice_id, m.Invoices(invoices=[
        m.Invoice(status="VOIDED")]))
    assert on_hand() == 2
