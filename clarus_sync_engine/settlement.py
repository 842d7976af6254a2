"""What a document's payments and allocations in Xero mean for Odoo.

Xero lists on every invoice, bill and credit note what settled it: ``Payments``, the
``Overpayments`` and ``Prepayments`` allocated to it and the ``CreditNotes`` applied to
it (a credit note lists its ``Allocations`` to invoices instead). Overpayments and
prepayments are elements of their own with their ``Allocations``. This module reads
that raw JSON and decides, without the ORM:

- which Xero payments are new to Odoo (nothing links them yet, from either side), and
  which payments Odoo holds that Xero no longer lists (deleted or reversed there);
- how much of each credit note, overpayment or prepayment Xero has applied to each
  document, so Odoo reconciles only the difference: applying the same element twice
  changes nothing;
- which way an Odoo payment goes (in or out, customer or supplier) for a Xero type.

Amounts are compared to the cent (``totals.round_money``), never as floats.
"""

import datetime
import re
from collections import namedtuple
from decimal import Decimal

from .guards import parse_xero_date
from .totals import round_money

ZERO = round_money(0)

# A payment, or an allocation to one document, as Xero lists it.
# ``kind``: payment, overpayment, prepayment or credit_note. ``xero_id``: the PaymentID,
# OverpaymentID or PrepaymentID; for a credit note applied to an invoice, the
# CreditNoteID; for a credit note's allocations, the InvoiceID it was allocated to.
Entry = namedtuple("Entry", "kind xero_id amount date reference account_code account_id")

# A link Odoo already holds for one document: ``origin`` "odoo" or "xero", ``state``
# "active" or "deleted", ``created`` a naive UTC datetime, ``amount`` what it pays. An
# Odoo payment whose send has no answer yet has no ``xero_id``.
Link = namedtuple("Link", "xero_id origin state created amount", defaults=(None,))

# ``held``: new Xero payments that may be Odoo's own payment whose answer is still to come.
PaymentPlan = namedtuple("PaymentPlan", "register cancel held", defaults=((),))

# Xero document type -> (Odoo payment_type, partner_type) of a payment on it.
PAYMENT_DIRECTIONS = {
    "ACCREC": ("inbound", "customer"),
    "ACCPAY": ("outbound", "supplier"),
    "ACCRECCREDIT": ("outbound", "customer"),
    "ACCPAYCREDIT": ("inbound", "supplier"),
}
# Overpayment and prepayment types: money received from a customer or spent on a supplier.
PREPAYMENT_DIRECTIONS = {
    "RECEIVE-OVERPAYMENT": ("inbound", "customer"),
    "AROVERPAYMENT": ("inbound", "customer"),
    "RECEIVE-PREPAYMENT": ("inbound", "customer"),
    "ARPREPAYMENT": ("inbound", "customer"),
    "SPEND-OVERPAYMENT": ("outbound", "supplier"),
    "SPEND-PREPAYMENT": ("outbound", "supplier"),
    "APPREPAYMENT": ("outbound", "supplier"),
}
# Xero statuses after which a document needs a person: Xero never voids or deletes a
# document Odoo still counts on without someone deciding what to do in Odoo.
FLAGGED_STATUSES = frozenset({"VOIDED", "DELETED"})
# Statuses of an overpayment or prepayment whose money no longer stands.
GONE_STATUSES = frozenset({"VOIDED", "DELETED"})
# The list on a document -> (entry kind, ID field, amount fields in order of preference).
_DOCUMENT_LISTS = (
    ("Payments", "payment", "PaymentID", ("Amount",)),
    ("Overpayments", "overpayment", "OverpaymentID", ("AppliedAmount", "Amount")),
    ("Prepayments", "prepayment", "PrepaymentID", ("AppliedAmount", "Amount")),
    ("CreditNotes", "credit_note", "CreditNoteID", ("AppliedAmount", "Amount")),
)
_MS_MOMENT = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def money(value):
    """``value`` to the cent; None and "" count as zero."""
    return round_money(value if value not in (None, "") else 0)


def xero_moment(value):
    """A naive UTC datetime from Xero's ``UpdatedDateUTC`` (MS JSON or ISO), or None."""
    if value in (None, "", False):
        return None
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    match = _MS_MOMENT.match(str(value).strip())
    if match:
        return datetime.datetime(1970, 1, 1) + datetime.timedelta(
            milliseconds=int(match.group(1)))
    try:
        moment = datetime.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment


def _amount(raw, fields):
    for name in fields:
        if raw.get(name) not in (None, ""):
            return money(raw[name])
    return ZERO


def bank_account_of(raw):
    """``(code, AccountID)`` of the bank account a payment (``Account``) or a bank
    transaction (``BankAccount``) names; ``(None, None)`` when it names none."""
    account = raw.get("Account") or raw.get("BankAccount") or {}
    return (account.get("Code") or None, account.get("AccountID") or None)


def entry_of_payment(raw):
    """The Entry for a raw ``Payments`` element (GET /Payments or a document's list)."""
    code, account_id = bank_account_of(raw)
    return Entry("payment", raw.get("PaymentID"), money(raw.get("Amount")),
                 parse_xero_date(raw.get("Date")), raw.get("Reference") or "", code,
                 account_id)


def document_entries(element):
    """Every payment and allocation Xero lists on an invoice, bill or credit note.

    A credit note's ``Allocations`` come as ``credit_note`` entries keyed by the
    InvoiceID they went to; allocations Xero flags ``IsDeleted`` are left out.
    """
    entries = []
    for key, kind, id_field, amount_fields in _DOCUMENT_LISTS:
        for raw in element.get(key) or []:
            if kind == "payment":
                entries.append(entry_of_payment(raw))
                continue
            xero_id = raw.get(id_field) or raw.get("ID")
            entries.append(Entry(kind, xero_id, _amount(raw, amount_fields),
                                 parse_xero_date(raw.get("Date")), raw.get("Reference") or "",
                                 None, None))
    entries.extend(allocation_entries(element, "credit_note"))
    return [e for e in entries if e.xero_id]


def allocation_entries(element, kind):
    """The ``Allocations`` of a credit note, overpayment or prepayment, as entries of
    ``kind`` keyed by the InvoiceID each went to."""
    entries = []
    for raw in element.get("Allocations") or []:
        if raw.get("IsDeleted"):
            continue
        invoice = raw.get("Invoice") or {}
        if invoice.get("InvoiceID"):
            entries.append(Entry(kind, invoice["InvoiceID"], money(raw.get("Amount")),
                                 parse_xero_date(raw.get("Date")), "", None, None))
    return entries


def applied_by_id(entries, kind):
    """``{xero_id: total amount}`` of the entries of ``kind`` (several allocations of one
    credit note to one invoice add up)."""
    totals = {}
    for entry in entries:
        if entry.kind == kind:
            totals[entry.xero_id] = totals.get(entry.xero_id, ZERO) + entry.amount
    return totals


def plan_payments(element, links):
    """``PaymentPlan(register, cancel)`` for a document as Xero returned it.

    ``links``: what Odoo already links to this document (``Link`` tuples, both
    origins, deleted ones too). ``register``: the Xero payments nothing links yet, as
    entries; a payment Odoo sent, or one applied before, is never applied again.
    ``cancel``: the Xero IDs of active links whose payment Xero no longer lists. A link
    made after Xero last changed the document is kept: the document was read before
    that payment reached Xero, and a stale read must never cancel a real payment.
    ``held``: new payments of the same amount as a payment Odoo sent whose Xero ID is
    not known yet (a send under way, or whose answer was lost): that is most likely
    Odoo's own, and registering it again would pay the document twice. The push binds
    it; the next read settles the rest.
    """
    listed = [e for e in document_entries(element) if e.kind == "payment"]
    known = {link.xero_id for link in links if link.xero_id}
    pending = [money(link.amount) for link in links
               if not link.xero_id and link.origin == "odoo" and link.state == "active"
               and link.amount is not None]
    register, held, seen = [], [], set()
    for entry in listed:
        if entry.xero_id in known or entry.xero_id in seen or entry.amount <= 0:
            continue
        seen.add(entry.xero_id)
        if entry.amount in pending:
            pending.remove(entry.amount)
            held.append(entry)
        else:
            register.append(entry)
    listed_ids = {e.xero_id for e in listed}
    updated = xero_moment(element.get("UpdatedDateUTC"))
    cancel = [
        link.xero_id for link in links
        if link.xero_id and link.state == "active" and link.xero_id not in listed_ids
        and (updated is None or link.created is None or link.created <= updated)
    ]
    return PaymentPlan(register, sorted(set(cancel)), held)


def to_reconcile(xero_applied, odoo_reconciled):
    """What Odoo must still reconcile between two documents so it matches what Xero
    applied: positive to reconcile more, negative when Odoo holds more than Xero (an
    allocation removed in Xero), ZERO when they agree to the cent."""
    return money(xero_applied) - money(odoo_reconciled)


def payment_direction(xero_type, prepayment=False):
    """``(payment_type, partner_type)`` of the Odoo payment for a Xero document or
    overpayment/prepayment type; raises ValueError naming an unknown type."""
    table = PREPAYMENT_DIRECTIONS if prepayment else PAYMENT_DIRECTIONS
    try:
        return table[xero_type]
    except KeyError:
        raise ValueError("Xero type %r is not one a payment can be made on." % xero_type) \
            from None


def status_change(old_status, new_status):
    """What a new Xero status asks of Odoo: "flag" when the document was just voided or
    deleted in Xero (a person decides; Odoo cancels nothing), "" otherwise. PAID asks
    nothing here: Odoo's payment state follows only the payments themselves."""
    if new_status in FLAGGED_STATUSES and new_status != old_status:
        return "flag"
    return ""


def matches_amount_due(odoo_residual, element):
    """True when Odoo's residual equals what Xero still has open on the document, to
    the cent: ``AmountDue`` for an invoice, ``RemainingCredit`` for a credit note."""
    due = element.get("AmountDue", element.get("RemainingCredit"))
    if due is None:
        return True
    return money(abs(Decimal(str(odoo_residual)))) == money(due)


# Odoo move type -> the Xero type of the same document.
XERO_TYPE_OF_MOVE = {
    "out_invoice": "ACCREC",
    "in_invoice": "ACCPAY",
    "out_refund": "ACCRECCREDIT",
    "in_refund": "ACCPAYCREDIT",
}


def document_is_quiet(element, known_status, links, payments_follow=False):
    """True when applying a document as Xero returned it can change nothing in Odoo but
    its stored Xero status: no status to flag, no payment to register, hold or cancel,
    and no credit note, overpayment or prepayment applied to it (or once applied and
    since removed). A page of a pull is mostly such documents; they are settled in one
    pass instead of one by one.

    ``links``: the document's ``Link`` tuples, every kind (``kind`` as a first element is
    not carried: payments and allocations are told apart by the caller, which passes
    ``(kind, Link)`` pairs). ``payments_follow``: the ``Payments`` read of the same run
    comes after the documents, so a listed payment without its bank account is left to it.
    """
    status = element.get("Status")
    if status and status_change(known_status, status) == "flag":
        return False
    payment_links = [link for kind, link in links if kind == "payment"]
    plan = plan_payments(element, payment_links)
    if plan.cancel or plan.held:
        return False
    if any(not payments_follow or entry.account_code or entry.account_id
           for entry in plan.register):
        return False
    if any(entry.kind != "payment" for entry in document_entries(element)):
        return False
    return not any(kind != "payment" and link.origin == "xero" and link.state == "active"
                   for kind, link in links)
