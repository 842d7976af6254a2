"""Payments to Xero, the plain decisions: which links to make and delete, what is refused
before sending, the elements Xero takes, and finding a payment a lost answer made."""

import datetime
from decimal import Decimal

from clarus_sync_engine import payments as rules
from clarus_sync_engine import planner

# ------------------------------------------------------------------ plan_links

def test_a_new_payment_makes_one_link_per_paid_document():
    plan = rules.plan_links("in_process", {11: 230.0, 12: 92.0}, [])
    assert plan.create == [(11, Decimal("230.00")), (12, Decimal("92.00"))]
    assert plan.delete == []


def test_what_xero_already_holds_is_not_sent_again():
    plan = rules.plan_links("paid", {11: 230.0}, [(5, 11, 230.0)])
    assert plan.create == [] and plan.delete == []


def test_amounts_compare_to_the_cent():
    # Float noise from summing partial reconciliations is not a change.
    plan = rules.plan_links("paid", {11: 0.1 + 0.2}, [(5, 11, 0.3)])
    assert plan.create == [] and plan.delete == []


def test_a_changed_amount_deletes_and_makes_again():
    plan = rules.plan_links("paid", {11: 150.0}, [(5, 11, 230.0)])
    assert plan.delete == [5]
    assert plan.create == [(11, Decimal("150.00"))]


def test_an_unreconciled_document_loses_its_link_only():
    plan = rules.plan_links("paid", {12: 92.0}, [(5, 11, 230.0), (6, 12, 92.0)])
    assert plan.delete == [5] and plan.create == []


def test_draft_cancelled_or_rejected_payments_keep_nothing_in_xero():
    for state in ("draft", "canceled", "rejected"):
        plan = rules.plan_links(state, {11: 230.0}, [(5, 11, 230.0)])
        assert plan.delete == [5] and plan.create == [], state


def test_a_zero_amount_makes_no_payment():
    assert rules.plan_links("paid", {11: 0.004}, []).create == []


def test_two_links_for_one_document_keep_one():
    plan = rules.plan_links("paid", {11: 50.0}, [(5, 11, 50.0), (6, 11, 50.0)])
    assert plan.delete == [6] and plan.create == []


# ----------------------------------------------------------------- should_send

def test_only_payments_made_in_odoo_by_a_person_go():
    assert rules.should_send(True, False, False, False)
    assert not rules.should_send(False, False, False, False), "connection setting off"
    assert not rules.should_send(True, True, False, False), "the sync's own write"
    assert not rules.should_send(True, False, True, False), "do not sync"
    assert not rules.should_send(True, False, False, True), "made in Xero"


# ------------------------------------------------------------ payment_problems

def _data(**overrides):
    data = {"journal": "Bank", "account_code": "090", "currency": "NZD",
            "document_currency": "NZD", "amount": 50.0, "document": "INV/1",
            "document_id": "inv-1"}
    data.update(overrides)
    return data


def test_a_good_payment_has_no_problem():
    assert rules.payment_problems(_data(), {"Type": "BANK", "Status": "ACTIVE"}) == []


def test_an_unmapped_journal_says_where_to_map_it():
    problems = rules.payment_problems(_data(account_code=None, journal="Cash"))
    assert len(problems) == 1
    assert "Cash" in problems[0] and "Mappings" in problems[0]


def test_another_currency_is_refused_naming_both():
    problems = rules.payment_problems(_data(currency="USD"))
    assert problems == [
        "The payment is in USD but INV/1 is in NZD. Xero pays a document in its own "
        "currency: register the payment in NZD."]


def test_an_account_that_takes_no_payments_is_refused_when_known():
    revenue = {"Type": "REVENUE", "Status": "ACTIVE", "EnablePaymentsToAccount": False}
    assert "not a bank account" in rules.payment_problems(_data(), revenue)[0]
    # Payments enabled: Xero takes it.
    equity = {"Type": "EQUITY", "Status": "ACTIVE", "EnablePaymentsToAccount": True}
    assert rules.payment_problems(_data(), equity) == []
    # Not known whether payments are enabled: Xero decides.
    assert rules.payment_problems(_data(), {"Type": "EQUITY", "Status": "ACTIVE"}) == []


def test_an_archived_account_is_refused():
    problems = rules.payment_problems(_data(), {"Type": "BANK", "Status": "ARCHIVED"})
    assert "archived" in problems[0]


def test_a_document_not_in_xero_is_named():
    assert rules.payment_problems(_data(document_id=None)) == ["INV/1 is not in Xero yet."]


# ------------------------------------------------------------------- payloads

def test_an_invoice_payment_element():
    payload = rules.payment_payload({
        "credit_note": False, "document_id": "inv-1", "account_code": "090",
        "date": datetime.date(2026, 3, 4), "amount": 33.335, "reference": "P/0001"})
    assert payload == {"Invoice": {"InvoiceID": "inv-1"}, "Account": {"Code": "090"},
                       "Date": "2026-03-04", "Amount": 33.34, "Reference": "P/0001"}


def test_a_credit_note_refund_element_has_no_empty_reference():
    payload = rules.payment_payload({
        "credit_note": True, "document_id": "cn-1", "account_code": "090",
        "date": "2026-03-04", "amount": 10, "reference": ""})
    assert payload["CreditNote"] == {"CreditNoteID": "cn-1"}
    assert "Invoice" not in payload and "Reference" not in payload


def test_deletion_element():
    assert rules.deletion_payload("pay-1") == {"PaymentID": "pay-1", "Status": "DELETED"}


# ----------------------------------------------------------- find_sent_payment

SENT = {"Invoice": {"InvoiceID": "inv-1"}, "Date": "2026-03-04", "Amount": 50.0,
        "Reference": "P/0001"}


def test_the_payment_a_lost_answer_made_is_found():
    held = [
        {"PaymentID": "other", "Date": "/Date(1772582400000+0000)/", "Amount": 20.0,
         "Reference": "P/0001"},
        {"PaymentID": "ours", "Date": "/Date(1772582400000+0000)/", "Amount": 50.0,
         "Reference": "P/0001"},
    ]
    assert rules.find_sent_payment(SENT, held)["PaymentID"] == "ours"


def test_a_payment_linked_elsewhere_or_deleted_is_not_ours():
    held = [
        {"PaymentID": "taken", "Date": "2026-03-04", "Amount": 50.0, "Reference": "P/0001"},
        {"PaymentID": "gone", "Date": "2026-03-04", "Amount": 50.0, "Reference": "P/0001",
         "Status": "DELETED"},
    ]
    assert rules.find_sent_payment(SENT, held, taken={"taken"}) is None


def test_another_date_or_reference_is_not_ours():
    held = [{"PaymentID": "a", "Date": "2026-03-05", "Amount": 50.0, "Reference": "P/0001"},
            {"PaymentID": "b", "Date": "2026-03-04", "Amount": 50.0, "Reference": "P/0002"}]
    assert rules.find_sent_payment(SENT, held) is None
    assert rules.find_sent_payment(SENT, None) is None


# ------------------------------------------------------------------- planning

def _job(job_id, kind, record, depends_on=(), state="pending"):
    return {"id": job_id, "tenant": "t", "kind": kind, "record_key": record,
            "depends_on": list(depends_on), "state": state, "payload_size": 200}


def test_payments_go_in_one_batch_once_their_invoices_are_in_xero():
    jobs = [_job(1, "invoice", "account.move,1", state="done")]
    jobs += [_job(10 + n, "payment", f"clarus.xero.payment.link,{n}",
                  [f"account.move,{n}"]) for n in (1, 2, 3)]
    # Invoice 2 is still queued: its payment waits for it, the others go together.
    jobs.append(_job(2, "invoice", "account.move,2"))
    plan = planner.plan_batches(jobs)
    assert [(b.kind, b.job_ids) for b in plan.batches] == [
        ("invoice", (2,)), ("payment", (11, 13))]
    assert [(w.job_id, w.blocker_id) for w in plan.waiting] == [(12, 2)]


def test_a_payment_waits_for_an_invoice_that_failed():
    jobs = [_job(1, "invoice", "account.move,1", state="failed"),
            _job(2, "payment", "clarus.xero.payment.link,1", ["account.move,1"])]
    plan = planner.plan_batches(jobs)
    assert plan.batches == []
    assert [(w.job_id, w.blocker_id) for w in plan.waiting] == [(2, 1)]


def test_deletions_go_one_a_call_before_new_payments_and_after_their_own_send():
    jobs = [_job(1, "payment", "clarus.xero.payment.link,1"),
            _job(2, "payment_delete", "clarus.xero.payment.link,1"),
            _job(3, "payment_delete", "clarus.xero.payment.link,7"),
            _job(4, "payment_delete", "clarus.xero.payment.link,8"),
            _job(5, "payment", "clarus.xero.payment.link,9")]
    plan = planner.plan_batches(jobs)
    assert [(b.kind, b.job_ids) for b in plan.batches] == [
        ("payment_delete", (3,)), ("payment_delete", (4,)), ("payment", (1, 5))]
    # The deletion of a payment not sent yet waits for its send.
    assert [(w.job_id, w.blocker_id) for w in plan.waiting] == [(2, 1)]
