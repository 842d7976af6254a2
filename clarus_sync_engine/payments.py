"""Payments registered in Odoo, sent to Xero: what to send, what to delete, what to refuse.

An Odoo payment may pay several documents; Xero's Payment pays one. So each pair
(Odoo payment, paid document) is one Xero payment, for the amount reconciled between
them, in the document's currency. The connector keeps one *link* per pair; this module
compares the pairs Odoo holds now with the active links and says which links to create
and which to delete (``plan_links``), checks a pair before it is sent
(``payment_problems``), builds the elements Xero takes (``payment_payload``,
``deletion_payload``) and, after an answer was lost, finds the payment Xero already
made among the document's payments (``find_sent_payment``).

Nothing here imports Odoo: plain dicts and numbers in, plain dicts and sentences out.
"""

from collections import namedtuple
from decimal import ROUND_HALF_UP, Decimal

from .guards import parse_xero_date

# Odoo payment states that stand for money that moved (the others are draft, cancelled
# or rejected: nothing Xero should hold).
LIVE_STATES = frozenset({"in_process", "paid"})
# Document types Xero pays as a CreditNote (a refund paid out or received).
CREDIT_NOTE_TYPES = frozenset({"out_refund", "in_refund"})
# What Xero accepts as the account a payment goes to (XERO_API §4, Payment).
BANK_TYPE = "BANK"

LinkPlan = namedtuple("LinkPlan", "create delete")
Pair = namedtuple("Pair", "move_id amount")


def cents(value):
    """``value`` as a Decimal rounded to the cent, the way Xero holds amounts."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def should_send(send_payments, sync_write, excluded, from_xero):
    """Does an Odoo payment go to Xero at all?

    ``send_payments``: the connection's setting (off where payments are entered in
    Xero); ``sync_write``: the change is the sync's own (a payment the pull registered);
    ``excluded``: the payment is flagged "do not sync"; ``from_xero``: it stands for a
    payment made in Xero (a link with origin "xero"). What was made in Xero is never
    sent back."""
    return bool(send_payments and not sync_write and not excluded and not from_xero)


def plan_links(state, reconciled, active_links):
    """The links to create and the links to delete for one Odoo payment.

    ``state``: the payment's state; ``reconciled``: ``{move_id: amount}``, what the
    payment pays of each document now (in the document's currency); ``active_links``:
    ``[(link_id, move_id, amount)]``, what Xero holds or was asked to hold.

    A payment that is not live (draft, cancelled, rejected) keeps nothing in Xero. A
    document no longer paid loses its link; one paid another amount loses its link and
    gets a new one (Xero's payments cannot be edited, only deleted and made again). A
    zero amount makes no payment."""
    wanted = {} if state not in LIVE_STATES else {
        move_id: cents(amount) for move_id, amount in reconciled.items() if cents(amount) > 0}
    delete, kept = [], set()
    for link_id, move_id, amount in sorted(active_links):
        if move_id in wanted and move_id not in kept and cents(amount) == wanted[move_id]:
            kept.add(move_id)
        else:
            delete.append(link_id)
    create = [Pair(move_id, amount) for move_id, amount in sorted(wanted.items())
              if move_id not in kept]
    return LinkPlan(create, delete)


def payment_problems(data, account=None):
    """Why this payment cannot go to Xero as it is, in sentences a user can act on.

    ``data``: ``journal`` (its name), ``account_code`` (the Xero bank account mapped to
    the journal, or None), ``currency`` and ``document_currency``, ``amount``,
    ``document`` (its name), ``document_id`` (its Xero ID, or None). ``account``: the
    mapped account as Xero last listed it (``Type``, ``EnablePaymentsToAccount``,
    ``Status``), when known; without ``EnablePaymentsToAccount`` its type is not judged
    (an account of another type may take payments), and Xero has the last word."""
    problems = []
    if not data.get("account_code"):
        problems.append(
            "The journal %s is not mapped to a Xero bank account. Map it in Xero Sync › "
            "Configuration › Mappings (Payment journal → Xero bank account), then retry."
            % data.get("journal"))
    elif account is not None:
        if (account.get("Status") or "ACTIVE") != "ACTIVE":
            problems.append(
                "The Xero account %s mapped to the journal %s is archived in Xero. Map the "
                "journal to an active bank account, then retry."
                % (data["account_code"], data.get("journal")))
        elif ("EnablePaymentsToAccount" in account and account.get("Type") != BANK_TYPE
              and not account["EnablePaymentsToAccount"]):
            problems.append(
                "The Xero account %s mapped to the journal %s is not a bank account and does "
                "not take payments. Map the journal to a Xero bank account, then retry."
                % (data["account_code"], data.get("journal")))
    if data.get("currency") != data.get("document_currency"):
        problems.append(
            "The payment is in %s but %s is in %s. Xero pays a document in its own "
            "currency: register the payment in %s." % (
                data.get("currency"), data.get("document"), data.get("document_currency"),
                data.get("document_currency")))
    if cents(data.get("amount")) <= 0:
        problems.append("The payment pays nothing of %s." % data.get("document"))
    if not data.get("document_id"):
        problems.append("%s is not in Xero yet." % data.get("document"))
    return problems


def payment_payload(data):
    """The ``PUT /Payments`` element for one (payment, document) pair.

    ``data``: ``credit_note`` (bool: the document is a credit note), ``document_id``
    (its Xero ID), ``account_code``, ``date`` (a date or ISO string), ``amount``,
    ``reference``."""
    target = ({"CreditNote": {"CreditNoteID": data["document_id"]}} if data["credit_note"]
              else {"Invoice": {"InvoiceID": data["document_id"]}})
    payload = {
        **target,
        "Account": {"Code": data["account_code"]},
        "Date": str(data["date"]),
        "Amount": float(cents(data["amount"])),
    }
    if data.get("reference"):
        payload["Reference"] = str(data["reference"])[:255]
    return payload


def deletion_payload(payment_id):
    """The ``POST /Payments/{id}`` element that deletes a payment Xero holds."""
    return {"PaymentID": payment_id, "Status": "DELETED"}


def _day(value):
    try:
        day = parse_xero_date(value)
    except ValueError:
        return None
    return day.isoformat() if day else None


def find_sent_payment(element, held, taken=()):
    """After a lost answer: the payment Xero already made for ``element``, or None.

    ``element``: what was sent (``payment_payload``); ``held``: the payments Xero lists
    on the paid document (dicts with ``PaymentID``, ``Date``, ``Amount``,
    ``Reference``, optionally ``Status``); ``taken``: PaymentIDs already linked to
    other Odoo payments, never this one's. A payment matches on amount (to the cent),
    date and reference; the oldest match wins, deleted payments never do."""
    amount, day = cents(element.get("Amount")), _day(element.get("Date"))
    reference = (element.get("Reference") or "").strip()
    for payment in held or ():
        if payment.get("PaymentID") in taken or payment.get("Status") == "DELETED":
            continue
        if (cents(payment.get("Amount")) == amount and _day(payment.get("Date")) == day
                and (payment.get("Reference") or "").strip() == reference):
            return payment
    return None
