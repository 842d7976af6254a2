"""Odoo's stock valuation as Xero manual journals (Odoo tracks inventory, Xero's items do not).

Input: valuation entries, one per accounting effect of a stock operation (a receipt's
stock-in, a delivery's cost of goods sold, an adjustment, scrap, a landed cost, a
transfer between warehouses), each a debit account, a credit account and a positive
amount, with the operation's reference, its date and the tracking options of each side.

Output: balanced ManualJournal payloads (XERO_API §4; the emulator's ``manual_journals``
enforces Xero's rules), in one of two modes:

* ``per_operation``: one journal per operation (reference), its lines summed per account
  and tracking;
* ``daily``: one journal per day, one line per account and tracking option, the
  operations of that day summed.

Amounts are summed exactly and each line is then rounded to cents; the cents that
rounding leaves over are given back by the largest-remainder method (the lines rounded
furthest move by one cent), so every journal balances and no line is more than a cent
from its exact sum. Lines that net to zero are dropped; a journal with nothing left is
not sent.

Exactly once. Xero's ManualJournal has no reference field, so each journal carries its
key in its Narration (``find_where`` looks it up after a lost answer). The key is made
from the mode, the date and the ids of the entries it holds: planning the same entries
again gives the same key, so a resend is recognised, and a journal for a day that was
already sent can only hold entries that were not in it (``journalled`` excludes the
entries already sent; later entries of that day get their own journal and key). An
operation is never split: when one of its entries is refused, the whole operation waits
with the reason, and the rest of the day goes.
"""

import dataclasses
import datetime as dt
import hashlib
from decimal import Decimal

from .totals import CENT, round_money, to_decimal

PER_OPERATION = "per_operation"
DAILY = "daily"
MODES = (PER_OPERATION, DAILY)
KEY_PREFIX = "CLARUS-SV"
NARRATION_MAX = 500  # chosen: room for a reference and the key


@dataclasses.dataclass(frozen=True)
class Entry:
    """One valuation effect. ``tracking`` (pairs of category and option names, at most two)
    applies to both sides unless ``debit_tracking`` / ``credit_tracking`` say otherwise
    (a transfer moves value from one warehouse's option to another's)."""

    id: str
    date: object
    reference: str
    debit_account: str
    credit_account: str
    amount: object
    tracking: tuple = ()
    debit_tracking: tuple = None
    credit_tracking: tuple = None
    description: str = ""


@dataclasses.dataclass
class Journal:
    key: str
    date: dt.date
    narration: str
    lines: list
    entry_ids: list
    references: list

    def payload(self):
        """The ManualJournal to send (POSTED, no tax: valuation carries none)."""
        return {"Narration": self.narration, "Date": self.date.isoformat(),
                "Status": "POSTED", "LineAmountTypes": "NoTax",
                "JournalLines": [dict(line) for line in self.lines]}


@dataclasses.dataclass
class Plan:
    journals: list
    errors: dict  # entry id -> message (every entry of a refused operation)
    empty: list  # ids of entries whose operation netted to nothing


def _day(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _tracking(pairs):
    pairs = tuple(tuple(p) for p in (pairs or ()))
    if len(pairs) > 2:
        raise ValueError("at most two tracking categories per line, %d given" % len(pairs))
    for pair in pairs:
        if len(pair) != 2 or not all(pair):
            raise ValueError("tracking must be (category, option) pairs")
    return tuple(sorted(pairs))


def _checked(entry, accounts):
    """-> (day, ((code, tracking, signed amount), (code, tracking, signed amount)));
    raises ValueError with the reason an entry cannot be journalled."""
    try:
        day = _day(entry.date)
    except (TypeError, ValueError):
        raise ValueError("the date %r is not a date" % (entry.date,))
    try:
        amount = to_decimal(entry.amount)
    except ArithmeticError:
        raise ValueError("the amount %r is not a number" % (entry.amount,))
    if not amount.is_finite():
        raise ValueError("the amount %r is not a number" % (entry.amount,))
    for side, code in (("debit", entry.debit_account), ("credit", entry.credit_account)):
        if not code:
            raise ValueError("no Xero account is mapped for the %s side" % side)
        if accounts is not None and code not in accounts:
            raise ValueError("the %s account %s is not an active Xero account" % (side, code))
    base = _tracking(entry.tracking)
    debit_tracking = _tracking(entry.debit_tracking) if entry.debit_tracking is not None \
        else base
    credit_tracking = _tracking(entry.credit_tracking) if entry.credit_tracking is not None \
        else base
    return day, ((entry.debit_account, debit_tracking, amount),
                 (entry.credit_account, credit_tracking, -amount))


def balanced_lines(sums):
    """{(code, tracking): exact amount} summing to zero -> [(code, tracking, cents)] that
    sum to exactly zero, each within a cent of its exact amount; zero lines dropped."""
    keys = sorted(sums)
    rounded = {k: round_money(sums[k]) for k in keys}
    excess = sum(rounded.values(), Decimal(0))
    if excess:
        direction = 1 if excess > 0 else -1
        # The lines whose rounding went furthest in the excess's direction give it back
        # (ties: in account order, so the plan is repeatable).
        order = sorted(range(len(keys)), key=lambda i: (
            -(rounded[keys[i]] - sums[keys[i]]) * direction, i))
        for i in order[:int(abs(excess) / CENT)]:
            rounded[keys[i]] -= direction * CENT
    return [(code, tracking, rounded[(code, tracking)]) for code, tracking in keys
            if rounded[(code, tracking)]]


def journal_key(mode, day, entry_ids):
    digest = hashlib.sha256("\n".join(sorted(entry_ids)).encode()).hexdigest()[:12]
    tag = "OP" if mode == PER_OPERATION else "DAY"
    return "%s-%s-%s-%s" % (KEY_PREFIX, tag, day.strftime("%Y%m%d"), digest.upper())


def find_where(key):
    """The ``where`` clause that finds a journal sent under ``key`` (after a lost answer)."""
    return 'Narration.Contains("%s")' % key


def _narration(title, key):
    text = "%s [%s]" % (title, key)
    if len(text) > NARRATION_MAX:
        keep = NARRATION_MAX - len(key) - 4
        text = "%s… [%s]" % (title[:keep], key)
    return text


def _line(code, tracking, amount, description):
    line = {"LineAmount": amount, "AccountCode": code, "Description": description}
    if tracking:
        line["Tracking"] = [{"Name": name, "Option": option} for name, option in tracking]
    return line


def plan(entries, mode=DAILY, accounts=None, journalled=()):
    """Group valuation entries into balanced journals.

    ``accounts``: the active Xero account codes (None: not checked here);
    ``journalled``: ids of entries already sent in an earlier journal (left out)."""
    if mode not in MODES:
        raise ValueError("mode must be one of %s" % ", ".join(MODES))
    done = set(journalled)
    operations = {}
    errors = {}
    for entry in entries:
        if entry.id in done:
            continue
        op = operations.setdefault(entry.reference or entry.id, {"entries": [], "error": None})
        op["entries"].append(entry)
        try:
            op.setdefault("checked", []).append((entry, _checked(entry, accounts)))
        except ValueError as exc:
            op["error"] = op["error"] or "%s: %s" % (entry.reference or entry.id, exc)
    groups = {}
    for reference, op in operations.items():
        if op["error"]:
            errors.update({e.id: op["error"] for e in op["entries"]})
            continue
        for entry, (day, sides) in op["checked"]:
            group_key = (day, reference) if mode == PER_OPERATION else (day, None)
            group = groups.setdefault(group_key, {"sums": {}, "ids": [], "refs": {}})
            group["ids"].append(entry.id)
            group["refs"][reference] = True
            for code, tracking, amount in sides:
                group["sums"][(code, tracking)] = group["sums"].get(
                    (code, tracking), Decimal(0)) + amount
    journals, empty = [], []
    for (day, reference), group in sorted(groups.items(), key=lambda kv: (kv[0][0],
                                                                          kv[0][1] or "")):
        lines = balanced_lines(group["sums"])
        if not lines:
            empty.extend(group["ids"])
            continue
        key = journal_key(mode, day, group["ids"])
        if mode == PER_OPERATION:
            title = "Stock valuation %s" % reference
            describe = reference
        else:
            title = "Stock valuation %s (%d operations)" % (day.isoformat(),
                                                            len(group["refs"]))
            describe = "Stock valuation %s" % day.isoformat()
        journals.append(Journal(
            key=key, date=day, narration=_narration(title, key),
            lines=[_line(code, tracking, amount, describe) for code, tracking, amount in lines],
            entry_ids=list(group["ids"]), references=list(group["refs"])))
    return Plan(journals=journals, errors=errors, empty=empty)
