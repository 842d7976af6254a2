"""ManualJournals (spec /ManualJournals, ManualJournal, ManualJournalLine).

A manual journal is a set of lines, debits positive and credits negative, that must balance.
Only POSTED journals reach the ledger (``ledger.py``); DRAFT ones are kept as sent. Xero sends
no webhooks for manual journals: clients poll them with If-Modified-Since.

Rules (spec wording where the spec has it; the rest chosen, strict reading):
- ``Narration`` is required (spec: the schema's only required field).
- At least two lines, whatever the status (xeroizer#22 quotes Xero's refusal of a journal
  without two lines); every line needs a non-zero ``LineAmount`` and an active account.
- The lines balance: "The total debits (100.00) must equal total credits (-10.00)" (the
  spec's example message), on amounts including tax.
- System accounts and BANK accounts take no journal lines ("Account code 'X' is not a valid
  code for this document.", as for invoices): Xero's help says system accounts such as
  Tracking Transfers cannot be used in manual journals; BANK: strict reading.
- An account that a tracked item uses as its InventoryAssetAccountCode is moved only by
  tracked items (rules.INVENTORY_ACCOUNT_REFUSED); an INVENTORY-type account no tracked item
  uses may be journalled, which is how a company that keeps its stock value outside Xero's
  tracked items posts it.
- TaxType must exist and fit the account's class (S28); tracking as on invoice lines.
- Status: created DRAFT (the default) or POSTED; DRAFT -> DRAFT, POSTED or DELETED;
  POSTED -> POSTED (an edit) or VOIDED; DELETED and VOIDED are final. ARCHIVED (in the
  spec's enum) is never accepted from a client.
- Lock dates (S31) as for invoices, on the date sent and the date stored.
"""

from decimal import Decimal

from .common import (
    Invalid,
    account_by_code,
    elements_of,
    envelope,
    find_by_id,
    output,
    removed_account_message,
    run_batch,
    tax_rate,
    touch,
)
from .lines import HUNDRED, checked_tracking
from .msjson import date_to_ms, day_ms, dec, num, q
from .reads import get_one, list_response
from .rules import INVENTORY_ACCOUNT_REFUSED, check_line_account, check_lock
from .state import new_id

COLL = "ManualJournals"
ID_FIELD = "ManualJournalID"
STATUSES_ON_CREATE = ("DRAFT", "POSTED")
TRANSITIONS = {"DRAFT": {"DRAFT", "POSTED", "DELETED"}, "POSTED": {"POSTED", "VOIDED"}}
AMOUNT_TYPES = ("NoTax", "Exclusive", "Inclusive")
NARRATION_REQUIRED = "Narration is required"
TWO_LINES = "A manual journal must have at least two journal lines"


def balance_message(debits, credits):
    return "The total debits (%s) must equal total credits (%s)" % (debits, credits)


def _status(el, existing, errors):
    """The requested status; an illegal one is the only error reported (as for invoices)."""
    old = existing["Status"] if existing else None
    status = el.get("Status") or old or "DRAFT"
    if existing is None and status not in STATUSES_ON_CREATE:
        raise Invalid(["Manual Journal not of valid status for creation"])
    if existing is not None and status not in TRANSITIONS.get(old, set()):
        raise Invalid(["Manual Journal not of valid status for modification"])
    return status


def _account(ctx, raw, index, errors):
    if raw.get("AccountCode"):
        account = account_by_code(ctx, raw["AccountCode"])
        if account is None:
            errors.append(removed_account_message(raw["AccountCode"]))
        return account
    if raw.get("AccountID"):
        account = find_by_id(ctx, "Accounts", raw["AccountID"])
        if account is None or account["Status"] != "ACTIVE":
            errors.append("Account with AccountID '%s' could not be found" % raw["AccountID"])
            return None
        return account
    errors.append("Journal line %d: an AccountCode or AccountID must be specified" % index)
    return None


def _tracked_inventory_codes(ctx):
    return {i.get("InventoryAssetAccountCode") for i in ctx.data["Items"].values()
            if i.get("IsTrackedAsInventory")}


def _line(ctx, raw, index, amount_types, errors):
    """One checked journal line in its stored form (None after an error that stops it)."""
    if not isinstance(raw, dict):
        errors.append("Journal line %d must be an object" % index)
        return None
    try:
        amount = q(dec(raw.get("LineAmount")))
    except ValueError as exc:
        errors.append("Journal line %d: %s" % (index, exc))
        return None
    if raw.get("LineAmount") is None or amount == 0:
        errors.append("Journal line %d: a non-zero LineAmount must be specified" % index)
    account = _account(ctx, raw, index, errors)
    tax_type = raw.get("TaxType") or (account or {}).get("TaxType") or None
    rate = tax_rate(ctx, tax_type) if tax_type else None
    if tax_type and rate is None:
        errors.append("The TaxType code '%s' does not exist or cannot be used for this type "
                      "of transaction." % tax_type)
    if account is not None:
        check_line_account(account, rate, errors)
        if account["Code"] in _tracked_inventory_codes(ctx):
            errors.append(INVENTORY_ACCOUNT_REFUSED)
    percent = dec(rate["EffectiveRate"]) if rate and amount_types != "NoTax" else Decimal(0)
    if amount_types == "Exclusive":
        tax = q(amount * percent / HUNDRED)
    elif amount_types == "Inclusive":
        tax = q(amount * percent / (HUNDRED + percent))
    else:
        tax = Decimal(0)
    line = {"LineAmount": num(amount), "TaxAmount": num(tax),
            "Description": str(raw.get("Description") or ""), "IsBlank": False,
            "Tracking": checked_tracking(ctx, raw.get("Tracking") or [], errors)}
    if tax_type:
        line["TaxType"] = tax_type
    if account is not None:
        line.update({"AccountCode": account["Code"], "AccountID": account["AccountID"]})
    return line


def gross(line, amount_types):
    """What a line debits (+) or credits (-) in total, tax included."""
    amount = dec(line["LineAmount"])
    return amount + dec(line["TaxAmount"]) if amount_types == "Exclusive" else amount


def _lines(ctx, el, existing, amount_types, errors):
    raw_lines = el.get("JournalLines")
    if raw_lines is None:
        raw_lines = (existing or {}).get("JournalLines") or []
    if not isinstance(raw_lines, list):
        errors.append("JournalLines must be a list")
        return []
    lines = [_line(ctx, raw, n, amount_types, errors) for n, raw in enumerate(raw_lines, 1)]
    lines = [line for line in lines if line is not None]
    if len(raw_lines) < 2:
        errors.append(TWO_LINES)
    debits = sum((gross(x, amount_types) for x in lines if gross(x, amount_types) > 0),
                 Decimal(0))
    credits = sum((gross(x, amount_types) for x in lines if gross(x, amount_types) < 0),
                  Decimal(0))
    if lines and debits + credits != 0:
        errors.append(balance_message(q(debits), q(credits)))
    return lines


def save_journal(ctx, el, existing=None):
    """Check everything first (a refused journal changes nothing), then write."""
    errors = []
    status = _status(el, existing, errors)
    narration = el.get("Narration") if el.get("Narration") is not None else \
        (existing or {}).get("Narration")
    if not str(narration or "").strip():
        errors.append(NARRATION_REQUIRED)
    amount_types = el.get("LineAmountTypes") or (existing or {}).get("LineAmountTypes") \
        or "NoTax"
    if amount_types not in AMOUNT_TYPES:
        errors.append("LineAmountTypes '%s' is not valid" % amount_types)
        amount_types = "NoTax"
    date = (existing or {}).get("Date") or day_ms(ctx.now)
    if el.get("Date"):
        try:
            date = date_to_ms(el["Date"])
        except ValueError:
            errors.append("'%s' is not a valid date for Date" % el["Date"])
    lines = _lines(ctx, el, existing, amount_types, errors)
    dates = [date] + ([existing["Date"]] if existing else [])
    check_lock(ctx.org.organisation, dates, errors)
    if errors:
        raise Invalid(errors)
    old_status = (existing or {}).get("Status")
    rec = existing
    if rec is None:
        rec = {ID_FIELD: new_id(), "HasAttachments": False, "ShowOnCashBasisReports": True}
        ctx.data[COLL][rec[ID_FIELD]] = rec
    rec.update({"Narration": str(narration), "Date": date, "Status": status,
                "LineAmountTypes": amount_types, "JournalLines": lines})
    for key in ("Url", "ShowOnCashBasisReports"):
        if el.get(key) is not None:
            rec[key] = el[key]
    touch(ctx, rec)
    verb = "Created" if existing is None else "Edited"
    if existing is not None and status != old_status:
        verb = {"POSTED": "Posted", "VOIDED": "Voided", "DELETED": "Deleted"}.get(status, verb)
    ctx.org.add_history(COLL, rec[ID_FIELD], verb, "Manual journal %s" % verb.lower(),
                        ctx.now)
    return rec


def _find_for_upsert(ctx, el):
    if not el.get(ID_FIELD):
        return None
    rec = find_by_id(ctx, COLL, el[ID_FIELD])
    if rec is None:
        raise Invalid(["Manual Journal with ManualJournalID %s could not be found."
                       % el[ID_FIELD]])
    return rec


# -- handlers ----------------------------------------------------------------------------------
def list_journals(ctx):
    return list_response(ctx, COLL, ctx.data[COLL].values(), paged=True, id_field=ID_FIELD)


def get_journal(ctx):
    return envelope(ctx, COLL, [output(ctx, get_one(ctx, COLL, ctx.args[0]))])


def put_journals(ctx):
    return run_batch(ctx, COLL, elements_of(ctx, COLL), lambda e: save_journal(ctx, e))


def post_journals(ctx):
    return run_batch(ctx, COLL, elements_of(ctx, COLL),
                     lambda e: save_journal(ctx, e, _find_for_upsert(ctx, e)))


def post_journal(ctx):
    rec = get_one(ctx, COLL, ctx.args[0])
    return run_batch(ctx, COLL, elements_of(ctx, COLL)[:1],
                     lambda e: save_journal(ctx, e, rec))
