"""Checks against what Xero holds now: amounts still open, and the lock dates.

Both read raw Xero JSON: an invoice's ``AmountDue``, a credit note's
``RemainingCredit``, the organisation's ``PeriodLockDate``/``EndOfYearLockDate``.
Dates come as Xero returns them: ``"/Date(1743379200000+0000)/"`` or ISO text.
"""

import datetime
import re
from collections import namedtuple

from .totals import round_money

Capped = namedtuple("Capped", "amount note")
LockCheck = namedtuple("LockCheck", "locked lock_date message")

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def cap_allocation(amount, invoice, credit_note=None):
    """``Capped(amount, note)``: what may still be allocated, as Xero would accept it.

    Xero rule: an allocation (or payment) cannot exceed the invoice's ``AmountDue`` nor
    the credit note's ``RemainingCredit`` (XERO_API §4, §8). ``invoice`` and
    ``credit_note`` are the documents as just read from Xero (``None`` or a missing
    field: no limit from that side). ``amount`` is 0 when there is nothing to send,
    with the reason in ``note`` ("already paid in Xero"); a reduced amount comes with
    a note naming both figures; ``note`` is ``""`` when nothing was capped.
    """
    wanted = round_money(amount)
    limits = []
    if invoice and invoice.get("AmountDue") is not None:
        limits.append(("invoice", round_money(invoice["AmountDue"])))
    if credit_note and credit_note.get("RemainingCredit") is not None:
        limits.append(("credit note", round_money(credit_note["RemainingCredit"])))
    if wanted <= 0:
        return Capped(round_money(0), "Nothing to allocate.")
    for side, limit in limits:
        if limit <= 0:
            reason = ("the invoice is already paid in Xero" if side == "invoice"
                      else "the credit note is already fully used in Xero")
            return Capped(round_money(0), "Nothing to allocate: %s." % reason)
    side, limit = min(limits, key=lambda pair: pair[1], default=(None, wanted))
    if limit < wanted:
        owner = "the invoice's amount due" if side == "invoice" \
            else "the credit note's remaining credit"
        return Capped(limit, "Allocation reduced from %s to %s, %s in Xero."
                      % (wanted, limit, owner))
    return Capped(wanted, "")


def parse_xero_date(value):
    """A ``datetime.date`` from a Xero date (MS JSON ``/Date(ms+zzzz)/`` or ISO), or None.

    The MS form counts milliseconds since 1970 in UTC; the offset says where the date
    belongs, so it is applied before taking the calendar date.
    """
    if value in (None, "", False):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    match = _MS_DATE.match(text)
    if match:
        moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(
            milliseconds=int(match.group(1)))
        offset = match.group(2)
        if offset:
            sign = 1 if offset[0] == "+" else -1
            moment += sign * datetime.timedelta(hours=int(offset[1:3]),
                                                minutes=int(offset[3:5]))
        return moment.date()
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError("%r is not a date Xero sends." % value) from None


def lock_date_check(organisation, document_date):
    """``LockCheck(locked, lock_date, message)`` for a document dated ``document_date``.

    Xero rule: documents dated on or before the organisation's lock date are refused
    (XERO_API §8, S31). ``PeriodLockDate`` binds everyone but advisers,
    ``EndOfYearLockDate`` everyone; an app cannot know which role its user has, so the
    later of the two is the lock. ``organisation`` is the ``GET /Organisation`` dict.
    """
    locks = [(parse_xero_date(organisation.get(field)), label)
             for field, label in (("PeriodLockDate", "period lock date"),
                                  ("EndOfYearLockDate", "end-of-year lock date"))]
    locks = [(date, label) for date, label in locks if date]
    if not locks:
        return LockCheck(False, None, "")
    lock_date, label = max(locks)
    day = parse_xero_date(document_date)
    if day is None or day > lock_date:
        return LockCheck(False, lock_date, "")
    return LockCheck(True, lock_date, (
        "The document is dated %s, on or before Xero's %s (%s); Xero refuses documents in "
        "a locked period. Date it after %s, or ask the Xero adviser to move the lock date."
        % (day.isoformat(), label, lock_date.isoformat(), lock_date.isoformat())))
