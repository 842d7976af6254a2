"""Payments, credit note allocations and history notes."""

from decimal import Decimal

from .common import (
    Invalid,
    account_ref,
    elements_of,
    envelope,
    find_by_id,
    output,
    run_batch,
    single,
    touch,
    validation_exception,
)
from .credits import CREDIT_KINDS, settle_credit
from .documents import KINDS, settle
from .msjson import date_to_ms, day_ms, dec, ms_date, num, q
from .reads import get_one, list_response
from .rules import check_lock, lock_message
from .state import new_id

PAYMENT_TYPES = {"ACCREC": "ACCRECPAYMENT", "ACCPAY": "ACCPAYPAYMENT",
                 "ACCRECCREDIT": "ARCREDITPAYMENT", "ACCPAYCREDIT": "APCREDITPAYMENT",
                 # Refunds of money held as credit (spec Payment.PaymentType).
                 "RECEIVE-OVERPAYMENT": "AROVERPAYMENTPAYMENT",
                 "SPEND-OVERPAYMENT": "APOVERPAYMENTPAYMENT",
                 "RECEIVE-PREPAYMENT": "ARPREPAYMENTPAYMENT",
                 "SPEND-PREPAYMENT": "APPREPAYMENTPAYMENT"}
# What a payment may pay: its key in the Payment, the record's ID and number fields.
PAYABLE = (("Invoice", "Invoices", "InvoiceID", "InvoiceNumber"),
           ("CreditNote", "CreditNotes", "CreditNoteID", "CreditNoteNumber"),
           ("Overpayment", "Overpayments", "OverpaymentID", None),
           ("Prepayment", "Prepayments", "PrepaymentID", None))
ID_FIELDS = {coll: id_field for _key, coll, id_field, _number in PAYABLE}
HISTORY_MAX = 250


def _document_for_payment(ctx, el, errors):
    """-> (record, collection) of the Invoice, CreditNote, Overpayment or Prepayment paid (a
    payment against an overpayment or prepayment refunds it)."""
    for key, coll, id_field, number_field in PAYABLE:
        ref = el.get(key)
        if not isinstance(ref, dict) or not (ref.get(id_field) or
                                             (number_field and ref.get(number_field))):
            continue
        if ref.get(id_field):
            return find_by_id(ctx, coll, ref[id_field]), coll
        return next((d for d in ctx.data[coll].values()
                     if d.get(number_field) == ref[number_field]), None), coll
    errors.append("An Invoice or CreditNote must be specified for the payment")
    return None, None


def save_payment(ctx, el):
    """Check the payment against its account and document, then record it on both."""
    errors = []
    doc, coll = _document_for_payment(ctx, el, errors)
    if coll and doc is None:
        errors.append("The document for this payment could not be found")
    account = _checked_payment_account(ctx, el, errors)
    try:
        amount, date = _amount_and_date(ctx, el)
    except ValueError as exc:
        errors.append(str(exc))
        amount, date = Decimal(0), None
    if amount <= 0:
        errors.append("Payment amount must be greater than zero")
    if doc is not None:
        _check_payable(doc, coll, amount, errors)
    if el.get("Status") not in (None, "AUTHORISED"):
        errors.append("A new payment must have a Status of AUTHORISED")
    # S31: no payment dated on or before the organisation's lock date.
    check_lock(ctx.org.organisation, [date], errors)
    if errors:
        raise Invalid(errors)
    rec = _new_payment(ctx, el, doc, coll, account, amount, date)
    _add_payment_to_document(ctx, doc, coll, rec)
    return rec


def _amount_and_date(ctx, el):
    """-> (amount, date in ms); the date defaults to today. Raises ValueError."""
    amount = q(dec(el.get("Amount")))
    date = date_to_ms(el.get("Date")) or day_ms(ctx.now)
    return amount, date


def _checked_payment_account(ctx, el, errors):
    account = account_ref(ctx, el.get("Account"))
    if account is None:
        errors.append("The Account for this payment could not be found")
    elif account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
        errors.append("Payments can only be made to or from a BANK account or an account with "
                      "EnablePaymentsToAccount set")
    return account


def _check_payable(doc, coll, amount, errors):
    """Only an AUTHORISED document takes payments, and never more than it has outstanding
    (S32; spec message); a PAID document refuses any more."""
    if doc["Status"] != "AUTHORISED":
        errors.append("Payment can only be applied to a document with a status of "
                      "AUTHORISED")
        return
    due = dec(doc["AmountDue"] if coll == "Invoices" else doc["RemainingCredit"])
    if amount > due:
        errors.append("Payment amount exceeds the amount outstanding on this document")


def _new_payment(ctx, el, doc, coll, account, amount, date):
    """Store the payment, with a summary of the document it pays as Xero returns it."""
    id_field = ID_FIELDS[coll]
    number_field = next(n for _k, c, _i, n in PAYABLE if c == coll)
    pid = new_id()
    rec = {"PaymentID": pid, "Date": date, "Amount": num(amount), "BankAmount": num(amount),
           "Reference": el.get("Reference") or "", "CurrencyRate": doc.get("CurrencyRate", 1.0),
           "Status": "AUTHORISED", "PaymentType": PAYMENT_TYPES[doc["Type"]],
           "IsReconciled": bool(el.get("IsReconciled")), "HasAccount": True,
           "HasValidationErrors": False,
           "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
           "_doc": (coll, doc[id_field])}
    link = {id_field: doc[id_field], "Type": doc["Type"], "Contact": dict(doc["Contact"]),
            "CurrencyCode": doc["CurrencyCode"], "LineItems": [], "Payments": [],
            "HasAttachments": False}
    if number_field:
        link.update({number_field: doc.get(number_field) or "", "HasErrors": False})
    rec[next(k for k, c, _i, _n in PAYABLE if c == coll)] = link
    ctx.data["Payments"][pid] = rec
    touch(ctx, rec)
    return rec


def _add_payment_to_document(ctx, doc, coll, rec):
    """List the payment on its document, re-settle it and note it in the history."""
    doc.setdefault("Payments", []).append(
        {"PaymentID": rec["PaymentID"], "Date": rec["Date"], "Amount": rec["Amount"],
         "Reference": rec["Reference"], "CurrencyRate": rec["CurrencyRate"], "HasAccount": False,
         "HasValidationErrors": False})
    _settle(doc, coll)
    touch(ctx, doc)
    ctx.org.add_history(coll, doc[ID_FIELDS[coll]], "Paid",
                        "Payment received of %s" % rec["Amount"], ctx.now)


def _settle(doc, coll):
    if coll in CREDIT_KINDS:
        settle_credit(doc)
    else:
        settle(doc, coll)


def get_payments(ctx):
    return list_response(ctx, "Payments", ctx.data["Payments"].values(), paged=True,
                         id_field="PaymentID")


def get_payment(ctx):
    return envelope(ctx, "Payments", [output(ctx, get_one(ctx, "Payments", ctx.args[0]))])


def put_payments(ctx):
    return run_batch(ctx, "Payments", elements_of(ctx, "Payments"),
                     lambda e: save_payment(ctx, e), "HasValidationErrors")


def post_payments(ctx):
    return put_payments(ctx)


def post_payment(ctx):
    """POST /Payments/{id} with {"Status": "DELETED"}: removes the payment from its document."""
    rec = get_one(ctx, "Payments", ctx.args[0])
    el = elements_of(ctx, "Payments")[0]

    def delete(el):
        if el.get("Status") != "DELETED":
            raise Invalid(["Only Status DELETED can be set on an existing payment"])
        return delete_payment(ctx, rec)

    return single(ctx, "Payments", el, delete)


def delete_payment(ctx, rec):
    """Delete a payment (API or a person in Xero): its document is re-opened and re-dated."""
    if rec["Status"] == "DELETED":
        raise Invalid(["Payment has already been deleted"])
    coll, doc_id = rec["_doc"]
    doc = ctx.data[coll][doc_id]
    if doc["Status"] in ("VOIDED", "DELETED"):
        raise Invalid(["Payment cannot be deleted from a %s document" % doc["Status"]])
    locked = lock_message(ctx.org.organisation, rec["Date"])  # S31: locked stays put
    if locked:
        raise Invalid([locked])
    doc["Payments"] = [p for p in doc["Payments"] if p["PaymentID"] != rec["PaymentID"]]
    _settle(doc, coll)
    touch(ctx, doc)
    ctx.org.add_history(coll, doc[ID_FIELDS[coll]], "Payment Deleted",
                        "Payment of %s deleted" % rec["Amount"], ctx.now)
    rec["Status"] = "DELETED"
    touch(ctx, rec)
    return rec


# -- Credit note allocations -------------------------------------------------------------------
def put_allocations(ctx):
    cn = get_one(ctx, "CreditNotes", ctx.args[0], "CreditNoteNumber")
    elements = elements_of(ctx, "Allocations")
    return run_batch(ctx, "Allocations", elements, lambda el: allocate(ctx, cn, el))


def allocate(ctx, cn, el):
    """Apply part of a credit note to an invoice of the same contact, type and currency."""
    inv = _invoice_to_allocate_to(ctx, el)
    try:
        amount, date = _amount_and_date(ctx, el)
    except ValueError as exc:
        raise Invalid([str(exc)])
    errors = []
    if cn["Status"] != "AUTHORISED":
        errors.append("Credit Note must be AUTHORISED to be allocated")
    if inv is None:
        errors.append("The Invoice for this allocation could not be found")
    else:
        _check_invoice_matches(cn, inv, amount, errors)
    if amount <= 0:
        errors.append("The allocation amount must be greater than zero")
    elif cn["Status"] == "AUTHORISED" and amount > dec(cn["RemainingCredit"]):
        # S32 and §4 CreditNote: at most the RemainingCredit and the invoice's AmountDue.
        errors.append("The amount allocated cannot exceed the remaining credit on the "
                      "credit note")
    check_lock(ctx.org.organisation, [date], errors)  # S31
    if errors:
        raise Invalid(errors)
    alloc_id = _record_allocation(ctx, cn, inv, amount, date)
    return {"AllocationID": alloc_id, "Amount": num(amount), "Date": date,
            "IsDeleted": False,
            "Invoice": {"InvoiceID": inv["InvoiceID"],
                        "InvoiceNumber": inv.get("InvoiceNumber") or "",
                        "LineItems": [], "Payments": [], "HasErrors": False},
            "CreditNote": {"CreditNoteID": cn["CreditNoteID"],
                           "CreditNoteNumber": cn.get("CreditNoteNumber") or "",
                           "Type": cn["Type"]}}


def _invoice_to_allocate_to(ctx, el):
    """The invoice by InvoiceID, else by InvoiceNumber; None when neither finds one."""
    ref = el.get("Invoice") if isinstance(el.get("Invoice"), dict) else {}
    inv = find_by_id(ctx, "Invoices", ref.get("InvoiceID"), None) if ref.get("InvoiceID") \
        else None
    if inv is None and ref.get("InvoiceNumber"):
        inv = next((d for d in ctx.data["Invoices"].values()
                    if d.get("InvoiceNumber") == ref["InvoiceNumber"]), None)
    return inv


def _check_invoice_matches(cn, inv, amount, errors):
    if inv["Status"] != "AUTHORISED":
        errors.append("Invoice must be AUTHORISED to receive an allocation")
    if inv["Contact"]["ContactID"] != cn["Contact"]["ContactID"]:
        errors.append("The Credit Note and Invoice must be for the same contact")
    if inv["CurrencyCode"] != cn["CurrencyCode"]:
        errors.append("The Credit Note and Invoice must be in the same currency")
    if {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}[cn["Type"]] != inv["Type"]:
        errors.append("A %s can only be allocated to a %s invoice"
                      % (cn["Type"], "ACCREC" if cn["Type"] == "ACCRECCREDIT"
                         else "ACCPAY"))
    if amount > dec(inv["AmountDue"]):
        errors.append("The amount allocated cannot exceed the amount due on the invoice")


def _record_allocation(ctx, cn, inv, amount, date):
    """Record the allocation on both documents and re-settle them; returns its ID."""
    alloc_id = new_id()
    cn["Allocations"].append({"AllocationID": alloc_id, "Amount": num(amount), "Date": date,
                              "Invoice": {"InvoiceID": inv["InvoiceID"],
                                          "InvoiceNumber": inv.get("InvoiceNumber") or ""}})
    inv.setdefault("CreditNotes", []).append(
        {"CreditNoteID": cn["CreditNoteID"], "CreditNoteNumber": cn.get("CreditNoteNumber"),
         "AppliedAmount": num(amount), "Date": date, "Total": cn["Total"]})
    settle(cn, "CreditNotes")
    settle(inv, "Invoices")
    touch(ctx, cn)
    touch(ctx, inv)
    ctx.org.add_history("Invoices", inv["InvoiceID"], "Credit Applied",
                        "Credit Note of %s applied" % num(amount), ctx.now)
    ctx.org.add_history("CreditNotes", cn["CreditNoteID"], "Allocated",
                        "%s allocated to %s" % (num(amount), inv.get("InvoiceNumber") or
                                                inv["InvoiceID"]), ctx.now)
    return alloc_id


# -- History -----------------------------------------------------------------------------------
def get_history(ctx, coll):
    rec = get_one(ctx, coll, ctx.args[0], KINDS[coll].number)
    key = (coll, rec[KINDS[coll].id_field])
    records = [dict(h) for h in ctx.org.history.get(key, [])]
    return envelope(ctx, "HistoryRecords", records)


def put_history(ctx, coll):
    rec = get_one(ctx, coll, ctx.args[0], KINDS[coll].number)
    key = (coll, rec[KINDS[coll].id_field])
    elements = elements_of(ctx, "HistoryRecords")
    failures = []
    for el in elements:
        details = str(el.get("Details") or "")
        if not details:
            failures.append(dict(el, ValidationErrors=[{"Message": "Details must be provided"}]))
        elif len(details) > HISTORY_MAX:
            failures.append(dict(el, ValidationErrors=[
                {"Message": "The Details must not be more than %d characters long."
                 % HISTORY_MAX}]))
    if failures:
        raise validation_exception(failures)
    out = []
    for el in elements:
        note = {"Changes": "Note", "DateUTC": ms_date(ctx.now), "User": "System Generated",
                "Details": str(el["Details"])}
        ctx.org.history.setdefault(key, []).append(note)
        out.append(dict(note))
    return envelope(ctx, "HistoryRecords", out)
