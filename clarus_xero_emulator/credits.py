"""Overpayments and Prepayments: made in Xero (a person, see person.py), read and allocated
through the API (spec /Overpayments, /Prepayments, PUT .../{id}/Allocations).

An overpayment or prepayment is money received from (RECEIVE-) or paid to (SPEND-) a contact
through a BANK account, held as credit until allocated to that contact's invoices. An
allocation obeys the rules of a credit note allocation (§4 CreditNote, S32): AUTHORISED
invoice, same contact and currency, amount <= RemainingCredit and <= the invoice's AmountDue.
"""

from decimal import Decimal

from .common import (
    Invalid,
    account_ref,
    elements_of,
    envelope,
    find_by_id,
    not_found,
    output,
    run_batch,
    touch,
    validation_exception,
)
from .documents import CROSS_RATES, settle
from .msjson import date_to_ms, day_ms, dec, num, q
from .reads import get_one, list_response
from .rules import check_lock, lock_message
from .state import new_id


class CreditKind:
    def __init__(self, coll, id_field, types, label):
        self.coll, self.id_field, self.types, self.label = coll, id_field, types, label


CREDIT_KINDS = {
    "Overpayments": CreditKind("Overpayments", "OverpaymentID",
                               ("RECEIVE-OVERPAYMENT", "SPEND-OVERPAYMENT"), "Overpayment"),
    "Prepayments": CreditKind("Prepayments", "PrepaymentID",
                              ("RECEIVE-PREPAYMENT", "SPEND-PREPAYMENT"), "Prepayment"),
}
# RECEIVE- money came from a customer and pays sales invoices; SPEND- went to a supplier.
INVOICE_TYPE = {"RECEIVE": "ACCREC", "SPEND": "ACCPAY"}


def invoice_type_for(credit):
    return INVOICE_TYPE[credit["Type"].split("-", 1)[0]]


# -- creation (a person in Xero; the API has no PUT /Overpayments) ------------------------------
def create_credit(ctx, coll, el):
    """Check and store a new overpayment or prepayment from a "Receive/Spend money" entry.

    ``el``: Type, Contact {ContactID}, BankAccount {Code|AccountID}, Amount, Date, Reference,
    CurrencyCode, LineAccountCode (prepayments: the revenue/expense account of the line)."""
    kind = CREDIT_KINDS[coll]
    errors = []
    if el.get("Type") not in kind.types:
        errors.append("Type must be one of %s" % ", ".join(kind.types))
    contact = _checked_contact(ctx, el.get("Contact"), errors)
    bank = account_ref(ctx, el.get("BankAccount"))
    if bank is None or bank["Type"] != "BANK":
        errors.append("A BANK account must be specified for the %s" % kind.label.lower())
    amount, date = _amount_and_date(ctx, el, errors)
    currency = el.get("CurrencyCode") or ctx.org.base_currency
    if currency not in ctx.data["Currencies"]:
        errors.append("Organisation is not subscribed to currency %s" % currency)
    line_account = _line_account(ctx, kind, el, errors)
    check_lock(ctx.org.organisation, [date], errors)  # S31
    if errors:
        raise Invalid(errors)
    rec = {kind.id_field: new_id(), "Type": el["Type"],
           "Contact": {"ContactID": contact["ContactID"]}, "Date": date, "Status": "AUTHORISED",
           "LineAmountTypes": "NoTax",
           "LineItems": [{"LineItemID": new_id(), "Description": kind.label, "Quantity": 1.0,
                          "UnitAmount": num(amount), "LineAmount": num(amount),
                          "AccountCode": line_account, "TaxType": "NONE", "TaxAmount": 0.0}],
           "SubTotal": num(amount), "TotalTax": 0.0, "Total": num(amount),
           "CurrencyCode": currency, "CurrencyRate": _rate(ctx, currency),
           "RemainingCredit": num(amount),
           "AppliedAmount": 0.0, "Allocations": [], "Payments": [], "HasAttachments": False,
           "_bank": bank["AccountID"]}
    if el.get("Reference"):
        rec["Reference"] = str(el["Reference"])
    ctx.data[coll][rec[kind.id_field]] = rec
    touch(ctx, rec)
    _record_bank_transaction(ctx, kind, rec, bank)
    ctx.org.add_history(coll, rec[kind.id_field], "Created",
                        "%s of %s received" % (kind.label, rec["Total"])
                        if el["Type"].startswith("RECEIVE") else
                        "%s of %s spent" % (kind.label, rec["Total"]), ctx.now)
    return rec


def _rate(ctx, currency):
    """The same fixed cross rates as documents, so foreign totals are repeatable."""
    base = ctx.org.base_currency
    if currency == base:
        return 1.0
    return round(CROSS_RATES.get(currency, 1.0) / CROSS_RATES.get(base, 1.0), 6)


def _record_bank_transaction(ctx, kind, rec, bank):
    """The money itself, as Xero keeps it: a RECEIVE-/SPEND- bank transaction in the BANK
    account, naming the overpayment or prepayment (the only place its bank account shows)."""
    txn = {"BankTransactionID": new_id(), "Type": rec["Type"], "Contact": dict(rec["Contact"]),
           "LineItems": [dict(line) for line in rec["LineItems"]],
           "BankAccount": {"AccountID": bank["AccountID"], "Code": bank["Code"],
                           "Name": bank.get("Name", "")},
           "IsReconciled": False, "Date": rec["Date"], "CurrencyCode": rec["CurrencyCode"],
           "CurrencyRate": rec["CurrencyRate"], "Status": "AUTHORISED",
           "LineAmountTypes": rec["LineAmountTypes"], "SubTotal": rec["SubTotal"],
           "TotalTax": rec["TotalTax"], "Total": rec["Total"], kind.id_field: rec[kind.id_field],
           "HasAttachments": False}
    if rec.get("Reference"):
        txn["Reference"] = rec["Reference"]
    ctx.data["BankTransactions"][txn["BankTransactionID"]] = txn
    touch(ctx, txn)


def list_bank_transactions(ctx):
    return list_response(ctx, "BankTransactions", ctx.data["BankTransactions"].values(),
                         paged=True, id_field="BankTransactionID")


def get_bank_transaction(ctx):
    return envelope(ctx, "BankTransactions",
                    [output(ctx, get_one(ctx, "BankTransactions", ctx.args[0]))])


def _checked_contact(ctx, ref, errors):
    contact_id = ref.get("ContactID") if isinstance(ref, dict) else None
    contact = find_by_id(ctx, "Contacts", contact_id) if contact_id else None
    if contact is None:
        errors.append("The contact could not be found; send an existing ContactID")
    elif contact.get("ContactStatus") == "ARCHIVED":
        errors.append("The contact '%s' is archived and cannot be used on new transactions."
                      % contact["Name"])
    return contact


def _amount_and_date(ctx, el, errors):
    try:
        amount = q(dec(el.get("Amount")))
        date = date_to_ms(el.get("Date")) or day_ms(ctx.now)
    except ValueError as exc:
        errors.append(str(exc))
        return Decimal(0), day_ms(ctx.now)
    if amount <= 0:
        errors.append("The amount must be greater than zero")
    return amount, date


def _line_account(ctx, kind, el, errors):
    """Overpayments sit in Accounts Receivable/Payable; a prepayment's line is coded to the
    account given (default: the same system account)."""
    system = "DEBTORS" if str(el.get("Type") or "").startswith("RECEIVE") else "CREDITORS"
    if kind.coll == "Prepayments" and el.get("LineAccountCode"):
        acc = account_ref(ctx, {"Code": el["LineAccountCode"]})
        if acc is None:
            errors.append("Account code '%s' has been removed as it does not match a "
                          "recognised account." % el["LineAccountCode"])
            return str(el["LineAccountCode"])
        return acc["Code"]
    acc = next((a for a in ctx.data["Accounts"].values() if a.get("SystemAccount") == system),
               None)
    return acc["Code"] if acc else ""


# -- allocation ---------------------------------------------------------------------------------
def allocate_credit(ctx, coll, credit, el):
    """Apply part of an overpayment or prepayment to an invoice: checks, then writes."""
    kind = CREDIT_KINDS[coll]
    errors = []
    inv = _invoice_of(ctx, el)
    amount, date = _amount_and_date(ctx, el, errors)
    if credit["Status"] != "AUTHORISED":
        errors.append("%s must be AUTHORISED to be allocated" % kind.label)
    if inv is None:
        errors.append("The Invoice for this allocation could not be found")
    else:
        errors.extend(invoice_mismatch(kind, credit, inv, amount))
    if credit["Status"] == "AUTHORISED" and amount > dec(credit["RemainingCredit"]):
        errors.append("The amount allocated cannot exceed the remaining credit on the %s"
                      % kind.label.lower())
    check_lock(ctx.org.organisation, [date], errors)  # S31
    if errors:
        raise Invalid(errors)
    alloc = {"AllocationID": new_id(), "Amount": num(amount), "Date": date, "IsDeleted": False,
             "Invoice": {"InvoiceID": inv["InvoiceID"],
                         "InvoiceNumber": inv.get("InvoiceNumber") or ""}}
    credit["Allocations"].append(alloc)
    inv.setdefault(coll, []).append(
        {kind.id_field: credit[kind.id_field], "Type": credit["Type"], "Date": date,
         "AppliedAmount": num(amount), "Total": credit["Total"],
         "CurrencyCode": credit["CurrencyCode"]})
    settle_credit(credit)
    settle(inv, "Invoices")
    touch(ctx, credit)
    touch(ctx, inv)
    ctx.org.add_history("Invoices", inv["InvoiceID"], "Credit Applied",
                        "%s of %s applied" % (kind.label, alloc["Amount"]), ctx.now)
    ctx.org.add_history(coll, credit[kind.id_field], "Allocated",
                        "%s allocated to %s" % (alloc["Amount"], inv.get("InvoiceNumber") or
                                                inv["InvoiceID"]), ctx.now)
    return dict(alloc, **{kind.label: {kind.id_field: credit[kind.id_field],
                                       "Type": credit["Type"]}})


def _invoice_of(ctx, el):
    ref = el.get("Invoice") if isinstance(el.get("Invoice"), dict) else {}
    inv = find_by_id(ctx, "Invoices", ref.get("InvoiceID")) if ref.get("InvoiceID") else None
    if inv is None and ref.get("InvoiceNumber"):
        inv = next((d for d in ctx.data["Invoices"].values()
                    if d.get("InvoiceNumber") == ref["InvoiceNumber"]), None)
    return inv


def invoice_mismatch(kind, credit, inv, amount):
    errors = []
    if inv["Status"] != "AUTHORISED":
        errors.append("Invoice must be AUTHORISED to receive an allocation")
    if inv["Contact"]["ContactID"] != credit["Contact"]["ContactID"]:
        errors.append("The %s and Invoice must be for the same contact" % kind.label)
    if inv["CurrencyCode"] != credit["CurrencyCode"]:
        errors.append("The %s and Invoice must be in the same currency" % kind.label)
    if invoice_type_for(credit) != inv["Type"]:
        errors.append("A %s can only be allocated to a %s invoice"
                      % (credit["Type"], invoice_type_for(credit)))
    if amount > dec(inv["AmountDue"]):
        errors.append("The amount allocated cannot exceed the amount due on the invoice")
    return errors


def settle_credit(credit):
    """RemainingCredit = Total - allocations - refunds; PAID once nothing remains."""
    applied = sum((dec(a["Amount"]) for a in credit["Allocations"] if not a.get("IsDeleted")),
                  Decimal(0))
    refunded = sum((dec(p["Amount"]) for p in credit.get("Payments", [])), Decimal(0))
    remaining = dec(credit["Total"]) - applied - refunded
    credit["AppliedAmount"] = num(applied)
    credit["RemainingCredit"] = num(remaining)
    if credit["Status"] == "AUTHORISED" and remaining <= 0:
        credit["Status"] = "PAID"
    elif credit["Status"] == "PAID" and remaining > 0:
        credit["Status"] = "AUTHORISED"


def delete_allocation(ctx, coll, credit, allocation_id):
    """Remove an allocation of a credit note, overpayment or prepayment (API DELETE or a
    person): the invoice's AmountDue grows back (PAID re-opens) and the credit returns."""
    id_field = "CreditNoteID" if coll == "CreditNotes" else CREDIT_KINDS[coll].id_field
    alloc = next((a for a in credit.get("Allocations", [])
                  if str(a.get("AllocationID", "")).lower() == str(allocation_id).lower()), None)
    if alloc is None:
        raise not_found()
    errors = []
    inv = ctx.data["Invoices"].get(alloc["Invoice"]["InvoiceID"])
    for rec in (credit, inv):
        if rec is not None and rec["Status"] in ("VOIDED", "DELETED"):
            errors.append("An allocation cannot be deleted from a %s document" % rec["Status"])
    locked = lock_message(ctx.org.organisation, alloc["Date"])  # S31: locked stays put
    if locked:
        errors.append(locked)
    if errors:
        raise Invalid(errors)
    credit["Allocations"].remove(alloc)
    if coll == "CreditNotes":
        settle(credit, "CreditNotes")
    else:
        settle_credit(credit)
    touch(ctx, credit)
    if inv is not None:
        entries = inv.get(coll, [])
        entry = next((e for e in entries if e.get(id_field) == credit[id_field]
                      and e.get("AppliedAmount") == alloc["Amount"]
                      and e.get("Date") == alloc["Date"]), None)
        if entry is not None:
            entries.remove(entry)
        settle(inv, "Invoices")
        touch(ctx, inv)
        ctx.org.add_history("Invoices", inv["InvoiceID"], "Allocation Deleted",
                            "Credit of %s removed" % alloc["Amount"], ctx.now)
    ctx.org.add_history(coll, credit[id_field], "Allocation Deleted",
                        "Allocation of %s deleted" % alloc["Amount"], ctx.now)
    return dict(alloc, IsDeleted=True)


# -- API handlers -------------------------------------------------------------------------------
def delete_allocation_route(ctx, coll):
    """DELETE /{CreditNotes|Overpayments|Prepayments}/{id}/Allocations/{AllocationID}: the
    spec answers the Allocation itself (IsDeleted true), not an envelope."""
    credit = get_one(ctx, coll, ctx.args[0])
    try:
        alloc = delete_allocation(ctx, coll, credit, ctx.args[1])
    except Invalid as exc:
        raise validation_exception([{"AllocationID": ctx.args[1], "ValidationErrors": [
            {"Message": m} for m in exc.messages]}])
    return 200, output(ctx, alloc)


def list_credits(ctx, coll):
    return list_response(ctx, coll, ctx.data[coll].values(), paged=True,
                         id_field=CREDIT_KINDS[coll].id_field)


def get_credit(ctx, coll):
    return envelope(ctx, coll, [output(ctx, get_one(ctx, coll, ctx.args[0]))])


def put_credit_allocations(ctx, coll):
    credit = get_one(ctx, coll, ctx.args[0])
    return run_batch(ctx, "Allocations", elements_of(ctx, "Allocations"),
                     lambda el: allocate_credit(ctx, coll, credit, el),
                     render=lambda ctx, rec: dict(rec))
