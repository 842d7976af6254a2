"""Tax rate against account, DueDate, discounts, lock dates and over-allocation (§8)."""

import datetime as dt

import pytest
from emu_helpers import TODAY, bad_request, contact, control, invoice, line, messages
from xero_python.accounting import models as m

DAY = dt.timedelta(days=1)


def records(emulator, tenant, collection):
    return control(emulator, "GET", "/documents/%s?tenant=%s" % (collection, tenant))["records"]


def credit_note(sdk, contact_id, lines=None, type="ACCRECCREDIT", date=TODAY, **kwargs):
    cn = m.CreditNote(type=type, contact=m.Contact(contact_id=contact_id), date=date,
                      line_items=lines or [line()], status="AUTHORISED", **kwargs)
    return sdk.acct.create_credit_notes(sdk.nz, m.CreditNotes(credit_notes=[cn])).credit_notes[0]


# -- Tax rate against account (S28, S29) ---------------------------------------------------
@pytest.mark.parametrize("doc_type,code,tax,refused", [
    ("ACCREC", "200", "INPUT2", "The TaxType code 'INPUT2' cannot be used with account code "
                                "'200'."),
    ("ACCPAY", "429", "OUTPUT2", "The TaxType code 'OUTPUT2' cannot be used with account code "
                                 "'429'."),
    ("ACCREC", "429", "EXEMPTOUTPUT", "The TaxType code 'EXEMPTOUTPUT' cannot be used with "
                                      "account code '429'."),
    ("ACCREC", "090", "NONE", "Account code '090' is not a valid code for this document."),
    ("ACCREC", "610", "NONE", "Account code '610' is not a valid code for this document."),
    ("ACCPAY", "820", "NONE", "Account code '820' is not a valid code for this document."),
])
def test_tax_type_must_fit_the_account(emulator, sdk, doc_type, code, tax, refused):
    c = contact(sdk)
    err = bad_request(invoice, sdk, c.contact_id, [line(account_code=code, tax_type=tax)],
                      type=doc_type)
    assert messages(err) == [refused]
    assert records(emulator, sdk.nz, "Invoices") == []


def test_fitting_tax_types_are_accepted(sdk):
    c = contact(sdk)
    out = invoice(sdk, c.contact_id, [line(account_code="200", tax_type="OUTPUT2"),
                                      line(account_code="200", tax_type="NONE"),
                                      line(account_code="260", tax_type="ZERORATEDOUTPUT")])
    assert out.status == "AUTHORISED"
    bill = invoice(sdk, c.contact_id, [line(account_code="429", tax_type="INPUT2"),
                                       line(account_code="710", tax_type="INPUT2")],
                   type="ACCPAY")
    assert bill.total_tax == 30


def test_au_has_no_none_rate(emulator, sdk):
    c = contact(sdk, tenant=sdk.au)
    err = bad_request(invoice, sdk, c.contact_id, [line(tax_type="NONE")], tenant=sdk.au)
    assert "NONE" in messages(err)[0]
    out = invoice(sdk, c.contact_id, [line(tax_type="EXEMPTOUTPUT"),
                                      line(tax_type="BASEXCLUDED")], tenant=sdk.au)
    assert out.total_tax == 0 and out.total == 200
    err = bad_request(invoice, sdk, c.contact_id, [line(tax_type="EXEMPTEXPENSES")],
                      tenant=sdk.au)
    assert messages(err) == ["The TaxType code 'EXEMPTEXPENSES' cannot be used with account "
                             "code '200'."]


# -- DueDate (S30) -------------------------------------------------------------------------
@pytest.mark.parametrize("doc_type", ["ACCREC", "ACCPAY"])
def test_authorised_invoice_needs_a_due_date(emulator, sdk, doc_type):
    c = contact(sdk)
    inv = m.Invoice(type=doc_type, contact=m.Contact(contact_id=c.contact_id),
                    line_items=[line(account_code="200" if doc_type == "ACCREC" else "429")],
                    status="AUTHORISED", date=TODAY)
    err = bad_request(sdk.acct.create_invoices, sdk.nz, m.Invoices(invoices=[inv]))
    assert messages(err) == ["The document DueDate field must be specified"]
    # A draft may wait for its due date, but approving it without one is refused.
    inv.status = "DRAFT"
    draft = sdk.acct.create_invoices(sdk.nz, m.Invoices(invoices=[inv])).invoices[0]
    err = bad_request(sdk.acct.update_invoice, sdk.nz, draft.invoice_id,
                      m.Invoices(invoices=[m.Invoice(status="AUTHORISED")]))
    assert messages(err) == ["The document DueDate field must be specified"]
    ok = sdk.acct.update_invoice(sdk.nz, draft.invoice_id, m.Invoices(invoices=[
        m.Invoice(status="AUTHORISED", due_date=TODAY + 7 * DAY)])).invoices[0]
    assert ok.status == "AUTHORISED" and ok.due_date == TODAY + 7 * DAY


# -- Discounts (spec LineItem.DiscountRate) -------------------------------------------------
REFUSED = ("Discounts are only supported on ACCREC invoices: ACC PAY invoices and credit "
           "notes in Xero do not support discounts.")


@pytest.mark.parametrize("kwargs", [{"discount_rate": 10}, {"discount_amount": 5}])
def test_discounts_only_on_accrec_invoices(emulator, sdk, kwargs):
    c = contact(sdk)
    err = bad_request(invoice, sdk, c.contact_id, [line(account_code="429", **kwargs)],
                      type="ACCPAY")
    assert messages(err) == [REFUSED]
    for cn_type, code in (("ACCRECCREDIT", "200"), ("ACCPAYCREDIT", "429")):
        err = bad_request(credit_note, sdk, c.contact_id, [line(account_code=code, **kwargs)],
                          type=cn_type)
        assert messages(err) == [REFUSED]
    assert records(emulator, sdk.nz, "CreditNotes") == []
    sale = invoice(sdk, c.contact_id, [line(unit_amount=100, **kwargs)])
    assert sale.sub_total == (90 if "discount_rate" in kwargs else 95)


# -- Lock dates (S31) ----------------------------------------------------------------------
def lock(emulator, tenant, period=None, year_end=None):
    body = {"tenant_id": tenant, "period_lock_date": period, "end_of_year_lock_date": year_end}
    return control(emulator, "POST", "/lock-dates", body)


def test_organisation_shows_lock_dates(emulator, sdk):
    org = sdk.acct.get_organisations(sdk.nz).organisations[0]
    assert org.period_lock_date is None
    out = lock(emulator, sdk.nz, period=str(TODAY), year_end=str(TODAY - 30 * DAY))
    assert out["PeriodLockDate"].startswith("/Date(")
    org = sdk.acct.get_organisations(sdk.nz).organisations[0]
    assert org.period_lock_date == TODAY and org.end_of_year_lock_date == TODAY - 30 * DAY


def test_documents_in_a_locked_period_are_refused(emulator, sdk):
    c = contact(sdk)
    open_inv = invoice(sdk, c.contact_id, [line(unit_amount=100)])
    cn = credit_note(sdk, c.contact_id, [line(unit_amount=20)])
    lock(emulator, sdk.nz, period=str(TODAY))
    period_msg = "The document date cannot be before the period lock date, currently set at " \
        "02-Mar-2026"
    assert messages(bad_request(invoice, sdk, c.contact_id)) == [period_msg]
    assert messages(bad_request(credit_note, sdk, c.contact_id)) == [period_msg]
    # Editing a document dated in the locked period is refused too, even with a later date.
    err = bad_request(sdk.acct.update_invoice, sdk.nz, open_inv.invoice_id, m.Invoices(
        invoices=[m.Invoice(date=TODAY + DAY)]))
    assert messages(err) == [period_msg]
    err = bad_request(sdk.acct.create_payment, sdk.nz, m.Payment(
        invoice=m.Invoice(invoice_id=open_inv.invoice_id), account=m.Account(code="090"),
        amount=10, date=TODAY))
    assert messages(err) == [period_msg]
    err = bad_request(sdk.acct.create_credit_note_allocation, sdk.nz, cn.credit_note_id,
                      m.Allocations(allocations=[m.Allocation(
                          invoice=m.Invoice(invoice_id=open_inv.invoice_id), amount=5,
                          date=TODAY)]))
    assert messages(err) == [period_msg]
    # The day after the lock date is open.
    later = invoice(sdk, c.contact_id, date=TODAY + DAY)
    assert later.status == "AUTHORISED"
    lock(emulator, sdk.nz, year_end=str(TODAY + DAY))
    err = bad_request(invoice, sdk, c.contact_id, date=TODAY + DAY)
    assert messages(err) == ["The document date cannot be before the end of year lock date, "
                             "currently set at 03-Mar-2026"]


def test_payment_in_locked_period_cannot_be_deleted(emulator, sdk):
    c = contact(sdk)
    inv = invoice(sdk, c.contact_id)
    pay = sdk.acct.create_payment(sdk.nz, m.Payment(
        invoice=m.Invoice(invoice_id=inv.invoice_id), account=m.Account(code="090"),
        amount=10, date=TODAY)).payments[0]
    lock(emulator, sdk.nz, period=str(TODAY))
    err = bad_request(sdk.acct.delete_payment, sdk.nz, pay.payment_id,
                      m.PaymentDelete(status="DELETED"))
    assert "period lock date" in messages(err)[0]
    assert sdk.acct.get_payment(sdk.nz, pay.payment_id).payments[0].status == "AUTHORISED"


# -- Payments and allocations never exceed what is due (S32) ---------------------------------
def test_payments_and_allocations_cannot_exceed_amount_due(emulator, sdk):
    c = contact(sdk)
    inv = invoice(sdk, c.contact_id, [line(unit_amount=100)])          # 115.00 due
    cn = credit_note(sdk, c.contact_id, [line(unit_amount=200)])        # 230.00 credit
    err = bad_request(sdk.acct.create_credit_note_allocation, sdk.nz, cn.credit_note_id,
                      m.Allocations(allocations=[m.Allocation(
                          invoice=m.Invoice(invoice_id=inv.invoice_id), amount=115.01,
                          date=TODAY)]))
    assert messages(err) == ["The amount allocated cannot exceed the amount due on the invoice"]
    sdk.acct.create_credit_note_allocation(sdk.nz, cn.credit_note_id, m.Allocations(
        allocations=[m.Allocation(invoice=m.Invoice(invoice_id=inv.invoice_id), amount=100,
                                  date=TODAY)]))
    err = bad_request(sdk.acct.create_payment, sdk.nz, m.Payment(
        invoice=m.Invoice(invoice_id=inv.invoice_id), account=m.Account(code="090"),
        amount=15.01, date=TODAY))
    assert messages(err) == ["Payment amount exceeds the amount outstanding on this document"]
    sdk.acct.create_payment(sdk.nz, m.Payment(
        invoice=m.Invoice(invoice_id=inv.invoice_id), account=m.Account(code="090"),
        amount=15, date=TODAY))
    paid = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert (paid.status, paid.amount_due) == ("PAID", 0)
    # A paid-off invoice refuses any more money, from a payment or from the credit left.
    err = bad_request(sdk.acct.create_payment, sdk.nz, m.Payment(
        invoice=m.Invoice(invoice_id=inv.invoice_id), account=m.Account(code="090"),
        amount=1, date=TODAY))
    assert "AUTHORISED" in messages(err)[0]
    other = invoice(sdk, c.contact_id, [line(unit_amount=1000)])       # 1150.00 due
    err = bad_request(sdk.acct.create_credit_note_allocation, sdk.nz, cn.credit_note_id,
                      m.Allocations(allocations=[m.Allocation(
                          invoice=m.Invoice(invoice_id=other.invoice_id), amount=130.01,
                          date=TODAY)]))
    assert messages(err) == ["The amount allocated cannot exceed the remaining credit on the "
                             "credit note"]
    assert sdk.acct.get_credit_note(sdk.nz, cn.credit_note_id).credit_notes[0] \
        .remaining_credit == 130
