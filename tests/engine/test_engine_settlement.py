"""Settlement decisions: which Xero payments are new, which were deleted, how much of
an allocation is still to reconcile, to the cent."""

import datetime
from decimal import Decimal

import pytest

from clarus_sync_engine import settlement
from clarus_sync_engine.settlement import Link

EARLY = datetime.datetime(2026, 11, 1, 9, 0)
LATE = datetime.datetime(2026, 11, 30, 9, 0)
# 2026-11-20T00:00:00Z in Xero's MS JSON
UPDATED = "/Date(1795132800000+0000)/"


def invoice(payments=(), credit_notes=(), overpayments=(), prepayments=(), updated=UPDATED,
            **extra):
    return dict({
        "InvoiceID": "inv-1", "Type": "ACCREC", "Status": "AUTHORISED",
        "Payments": list(payments), "CreditNotes": list(credit_notes),
        "Overpayments": list(overpayments), "Prepayments": list(prepayments),
        "UpdatedDateUTC": updated}, **extra)


def payment(pid, amount, date="/Date(1795046400000+0000)/", reference="DD 42"):
    return {"PaymentID": pid, "Amount": Decimal(str(amount)), "Date": date,
            "Reference": reference}


def test_new_payments_are_registered_with_amount_date_and_reference():
    plan = settlement.plan_payments(invoice([payment("p1", "115.005"), payment("p2", 10)]), [])
    assert [e.xero_id for e in plan.register] == ["p1", "p2"]
    first = plan.register[0]
    assert first.amount == Decimal("115.01"), "to the cent, halves away from zero"
    assert first.date == datetime.date(2026, 11, 19)
    assert first.reference == "DD 42"
    assert plan.cancel == []


def test_a_payment_odoo_sent_or_already_applied_is_not_applied_again():
    links = [Link("p1", "odoo", "active", EARLY), Link("p2", "xero", "active", EARLY)]
    plan = settlement.plan_payments(invoice([payment("p1", 50), payment("p2", 20)]), links)
    assert plan.register == []
    assert plan.cancel == []


def test_a_deleted_link_is_never_registered_again():
    plan = settlement.plan_payments(invoice([payment("p1", 50)]),
                                    [Link("p1", "xero", "deleted", EARLY)])
    assert plan == settlement.PaymentPlan([], [], [])


def test_a_payment_gone_from_the_list_is_cancelled_from_either_side():
    links = [Link("p1", "xero", "active", EARLY), Link("p2", "odoo", "active", EARLY),
             Link("p3", "xero", "deleted", EARLY)]
    plan = settlement.plan_payments(invoice([]), links)
    assert plan.cancel == ["p1", "p2"]


def test_a_stale_read_never_cancels_a_payment_linked_after_it():
    # Odoo sent p2 after Xero last changed the document: the read predates it.
    links = [Link("p2", "odoo", "active", LATE)]
    assert settlement.plan_payments(invoice([]), links).cancel == []


def test_a_payment_odoo_is_still_sending_is_held_not_registered_again():
    # Odoo sent 40.00 and the answer was lost: the link has no Xero ID yet.
    links = [Link(None, "odoo", "active", EARLY, 40.0)]
    plan = settlement.plan_payments(invoice([payment("x1", 40), payment("x2", 15)]), links)
    assert [e.xero_id for e in plan.held] == ["x1"]
    assert [e.xero_id for e in plan.register] == ["x2"]
    assert plan.cancel == [], "a link without a Xero ID is never cancelled from a list"


def test_one_pending_send_holds_one_payment_only():
    links = [Link(None, "odoo", "active", EARLY, 40.0)]
    plan = settlement.plan_payments(invoice([payment("x1", 40), payment("x2", 40)]), links)
    assert [e.xero_id for e in plan.held] == ["x1"]
    assert [e.xero_id for e in plan.register] == ["x2"]


def test_a_payment_listed_twice_is_registered_once_and_zero_amounts_never():
    plan = settlement.plan_payments(
        invoice([payment("p1", 5), payment("p1", 5), payment("p0", 0)]), [])
    assert [e.xero_id for e in plan.register] == ["p1"]


def test_credit_notes_overpayments_and_prepayments_on_an_invoice_add_up_per_document():
    element = invoice(
        credit_notes=[{"CreditNoteID": "cn-1", "AppliedAmount": 30},
                      {"CreditNoteID": "cn-1", "AppliedAmount": Decimal("12.345")}],
        overpayments=[{"OverpaymentID": "op-1", "AppliedAmount": 40}],
        prepayments=[{"PrepaymentID": "pp-1", "AppliedAmount": "7.5"}])
    entries = settlement.document_entries(element)
    assert settlement.applied_by_id(entries, "credit_note") == {"cn-1": Decimal("42.35")}
    assert settlement.applied_by_id(entries, "overpayment") == {"op-1": Decimal("40.00")}
    assert settlement.applied_by_id(entries, "prepayment") == {"pp-1": Decimal("7.50")}


def test_a_credit_notes_allocations_are_keyed_by_invoice_and_deleted_ones_left_out():
    credit_note = {"CreditNoteID": "cn-1", "Type": "ACCRECCREDIT", "Allocations": [
        {"AllocationID": "a1", "Amount": 25, "Invoice": {"InvoiceID": "inv-1"}},
        {"AllocationID": "a2", "Amount": 5, "Invoice": {"InvoiceID": "inv-1"}},
        {"AllocationID": "a3", "Amount": 9, "Invoice": {"InvoiceID": "inv-2"},
         "IsDeleted": True}]}
    totals = settlement.applied_by_id(settlement.document_entries(credit_note), "credit_note")
    assert totals == {"inv-1": Decimal("30.00")}


def test_an_overpayments_allocations_are_read_with_their_kind():
    element = {"OverpaymentID": "op-1", "Allocations": [
        {"Amount": "60.00", "Invoice": {"InvoiceID": "inv-9"}}]}
    entries = settlement.allocation_entries(element, "overpayment")
    assert settlement.applied_by_id(entries, "overpayment") == {"inv-9": Decimal("60.00")}


@pytest.mark.parametrize("xero,odoo,expected", [
    ("100", 100.0, "0.00"),
    ("100", 60.004, "40.00"),
    ("40", 100.0, "-60.00"),
    (Decimal("0.1") + Decimal("0.2"), 0.30000000000000004, "0.00"),
])
def test_what_is_left_to_reconcile_is_exact_to_the_cent(xero, odoo, expected):
    assert settlement.to_reconcile(xero, odoo) == Decimal(expected)


@pytest.mark.parametrize("xero_type,expected", [
    ("ACCREC", ("inbound", "customer")),
    ("ACCPAY", ("outbound", "supplier")),
    ("ACCRECCREDIT", ("outbound", "customer")),
    ("ACCPAYCREDIT", ("inbound", "supplier")),
])
def test_payment_direction_follows_the_document_type(xero_type, expected):
    assert settlement.payment_direction(xero_type) == expected


def test_prepayment_direction_and_an_unknown_type_named():
    assert settlement.payment_direction("RECEIVE-OVERPAYMENT", prepayment=True) == (
        "inbound", "customer")
    assert settlement.payment_direction("SPEND-PREPAYMENT", prepayment=True) == (
        "outbound", "supplier")
    with pytest.raises(ValueError, match="'ACCREC'"):
        settlement.payment_direction("ACCREC", prepayment=True)


def test_voided_or_deleted_flags_once_and_paid_asks_nothing():
    assert settlement.status_change("AUTHORISED", "VOIDED") == "flag"
    assert settlement.status_change("DRAFT", "DELETED") == "flag"
    assert settlement.status_change("VOIDED", "VOIDED") == ""
    assert settlement.status_change("AUTHORISED", "PAID") == ""


def test_residual_matches_amount_due_or_remaining_credit_to_the_cent():
    assert settlement.matches_amount_due(84.99999999, {"AmountDue": Decimal("85.00")})
    assert not settlement.matches_amount_due(84.98, {"AmountDue": Decimal("85.00")})
    assert settlement.matches_amount_due(-20.0, {"RemainingCredit": 20})


def test_xero_moments_in_both_forms():
    assert settlement.xero_moment(UPDATED) == datetime.datetime(2026, 11, 20)
    assert settlement.xero_moment("2026-11-20T01:30:00Z") == datetime.datetime(2026, 11, 20, 1,
                                                                              30)
    assert settlement.xero_moment("not a date") is None
    assert settlement.xero_moment(None) is None


def test_a_document_whose_only_news_is_paid_is_quiet_when_its_payments_follow():
    paid = invoice([payment("p-1", 100)], Status="PAID")
    # The Payments read of the same run registers p-1 with its bank account.
    assert settlement.document_is_quiet(paid, "AUTHORISED", [], payments_follow=True)
    # Read alone (a webhook), the document must register it itself.
    assert not settlement.document_is_quiet(paid, "AUTHORISED", [])
    # Once registered, the document is quiet either way.
    known = [("payment", Link("p-1", "xero", "active", EARLY, Decimal("100")))]
    assert settlement.document_is_quiet(paid, "PAID", known)


def test_a_listed_payment_with_its_bank_account_is_never_left_for_later():
    with_account = dict(payment("p-1", 100), Account={"Code": "090"})
    assert not settlement.document_is_quiet(invoice([with_account]), "AUTHORISED", [],
                                            payments_follow=True)


def test_voided_a_payment_gone_or_held_is_never_quiet():
    assert not settlement.document_is_quiet(invoice(Status="VOIDED"), "AUTHORISED", [])
    gone = [("payment", Link("p-9", "xero", "active", EARLY, Decimal("50")))]
    assert not settlement.document_is_quiet(invoice(), "AUTHORISED", gone)
    sending = [("payment", Link(None, "odoo", "active", LATE, Decimal("100")))]
    assert not settlement.document_is_quiet(invoice([payment("p-1", 100)]), "AUTHORISED",
                                            sending, payments_follow=True)


def test_allocations_listed_or_once_applied_and_removed_are_never_quiet():
    note = {"CreditNoteID": "cn-1", "AppliedAmount": Decimal("30")}
    assert not settlement.document_is_quiet(invoice(credit_notes=[note]), "AUTHORISED", [])
    applied = [("credit_note", Link("cn-1", "xero", "active", EARLY, Decimal("30")))]
    assert not settlement.document_is_quiet(invoice(), "AUTHORISED", applied)
    # An allocation Odoo made itself is the push's business, not the pull's.
    made_here = [("credit_note", Link("cn-1", "odoo", "active", EARLY, Decimal("30")))]
    assert settlement.document_is_quiet(invoice(), "AUTHORISED", made_here)
