"""A person working in Xero: control routes (``/_emulator/person/...``) that change an
organisation the way its users do in Xero's own screens.

These calls are not API calls (no token, not counted, not rate limited), but every change
goes through the same code as the API (save_payment, delete_payment, allocate,
save_document, save_contact, ...), so a person and the API are held to the same rules; each
change moves UpdatedDateUTC, writes history and queues webhook events like an API change.
Refusals answer 400 ``{"error": "<messages joined>", "messages": [...]}``.
"""

from decimal import Decimal

from . import credits, payments
from .common import ApiError, Ctx, Invalid, find_by_id, output
from .documents import save_document
from .msjson import dec, q


class _Refused(Exception):
    def __init__(self, status, body):
        super().__init__(status)
        self.status, self.body = status, body


def _action(fn):
    """Run ``fn(ctx, body)`` under the store lock with a person's context for the tenant."""

    def handler(store, query, body):
        with store.lock:
            org = store.orgs.get(body.get("tenant_id") or "")
            if org is None:
                return 400, {"error": "unknown tenant_id %r" % body.get("tenant_id"),
                             "messages": ["unknown tenant_id"]}
            ctx = Ctx(store, org, "POST", {"unitdp": "4"}, body, {}, [])
            try:
                return 200, fn(ctx, body)
            except Invalid as exc:
                return 400, {"error": "; ".join(exc.messages), "messages": exc.messages}
            except ApiError as exc:
                return exc.status, {"error": str(exc.body), "messages": [str(exc.body)]}
            except _Refused as exc:
                return exc.status, exc.body

    handler.__doc__ = fn.__doc__
    return handler


def _required(ctx, coll, key, value, number_field=None):
    rec = find_by_id(ctx, coll, value, number_field) if value else None
    if rec is None:
        raise _Refused(404, {"error": "%s %r not found" % (key, value),
                             "messages": ["%s not found" % key]})
    return rec


def _document(ctx, body, credits_too=False):
    """-> (collection, record) from invoice_id or credit_note_id (IDs or numbers), or with
    ``credits_too`` overpayment_id / prepayment_id."""
    if credits_too and body.get("overpayment_id"):
        return "Overpayments", _required(ctx, "Overpayments", "overpayment_id",
                                         body["overpayment_id"])
    if credits_too and body.get("prepayment_id"):
        return "Prepayments", _required(ctx, "Prepayments", "prepayment_id",
                                        body["prepayment_id"])
    if body.get("invoice_id"):
        return "Invoices", _required(ctx, "Invoices", "invoice_id", body["invoice_id"],
                                     "InvoiceNumber")
    if body.get("credit_note_id"):
        return "CreditNotes", _required(ctx, "CreditNotes", "credit_note_id",
                                        body["credit_note_id"], "CreditNoteNumber")
    raise Invalid(["invoice_id or credit_note_id is required"])


def _pay(ctx, body):
    """Pay an invoice, bill or credit note, or refund an overpayment or prepayment, as
    PUT /Payments would."""
    coll, doc = _document(ctx, body, credits_too=True)
    key, id_field = next((k, i) for k, c, i, _n in payments.PAYABLE if c == coll)
    el = {key: {id_field: doc[id_field]}, "Account": {"Code": body.get("account_code") or ""},
          "Amount": body.get("amount"), "Date": body.get("date"),
          "Reference": body.get("reference") or ""}
    payment = payments.save_payment(ctx, el)
    return {"payment": output(ctx, payment), "document": output(ctx, doc)}


def _delete_payment(ctx, body):
    """Delete a payment, as POST /Payments/{id} {"Status": "DELETED"} would."""
    rec = _required(ctx, "Payments", "payment_id", body.get("payment_id"))
    payments.delete_payment(ctx, rec)
    coll, doc_id = rec["_doc"]
    return {"payment": output(ctx, rec), "document": output(ctx, ctx.data[coll][doc_id])}


def _void(ctx, body):
    """Void an AUTHORISED document (or delete a DRAFT/SUBMITTED one with status DELETED)."""
    coll, doc = _document(ctx, body)
    status = body.get("status") or "VOIDED"
    if status not in ("VOIDED", "DELETED"):
        raise Invalid(["status must be VOIDED or DELETED"])
    save_document(ctx, coll, {"Status": status}, doc)
    return {"document": output(ctx, doc)}


def _allocate(ctx, body):
    """Allocate a credit note, overpayment or prepayment to an invoice of the same contact."""
    el = {"Invoice": {"InvoiceID": _required(ctx, "Invoices", "invoice_id", body.get("invoice_id"),
                                             "InvoiceNumber")["InvoiceID"]},
          "Amount": body.get("amount"), "Date": body.get("date")}
    if body.get("credit_note_id"):
        cn = _required(ctx, "CreditNotes", "credit_note_id", body["credit_note_id"],
                       "CreditNoteNumber")
        alloc = payments.allocate(ctx, cn, el)
        credit = cn
    elif body.get("overpayment_id") or body.get("prepayment_id"):
        coll = "Overpayments" if body.get("overpayment_id") else "Prepayments"
        key = "overpayment_id" if coll == "Overpayments" else "prepayment_id"
        credit = _required(ctx, coll, key, body[key])
        alloc = credits.allocate_credit(ctx, coll, credit, el)
    else:
        raise Invalid(["credit_note_id, overpayment_id or prepayment_id is required"])
    inv = ctx.data["Invoices"][el["Invoice"]["InvoiceID"]]
    return {"allocation": alloc, "credit": output(ctx, credit), "invoice": output(ctx, inv)}


def _delete_allocation(ctx, body):
    """Remove an allocation of a credit note, overpayment or prepayment."""
    for key, coll in (("credit_note_id", "CreditNotes"), ("overpayment_id", "Overpayments"),
                      ("prepayment_id", "Prepayments")):
        if body.get(key):
            credit = _required(ctx, coll, key, body[key])
            break
    else:
        raise Invalid(["credit_note_id, overpayment_id or prepayment_id is required"])
    try:
        alloc = credits.delete_allocation(ctx, coll, credit, body.get("allocation_id") or "")
    except ApiError:
        raise _Refused(404, {"error": "allocation_id %r not found" % body.get("allocation_id"),
                             "messages": ["allocation_id not found"]})
    inv = ctx.data["Invoices"].get(alloc["Invoice"]["InvoiceID"])
    return {"allocation": alloc, "credit": output(ctx, credit),
            "invoice": output(ctx, inv) if inv else None}


def _credit(coll):
    def create(ctx, body):
        """Receive or spend money as an overpayment/prepayment, optionally allocated at once."""
        el = {"Type": body.get("type"), "Contact": {"ContactID": body.get("contact_id")},
              "BankAccount": {"Code": body.get("bank_account_code") or ""},
              "Amount": body.get("amount"), "Date": body.get("date"),
              "Reference": body.get("reference"), "CurrencyCode": body.get("currency_code"),
              "LineAccountCode": body.get("line_account_code")}
        allocations = body.get("allocations") or []
        if not isinstance(allocations, list) or not all(isinstance(a, dict)
                                                        for a in allocations):
            raise Invalid(["allocations must be a list of {invoice_id, amount, date}"])
        _check_allocations_first(ctx, coll, el, allocations)
        rec = credits.create_credit(ctx, coll, el)
        done = [credits.allocate_credit(ctx, coll, rec, _allocation_element(ctx, a))
                for a in allocations]
        return {credits.CREDIT_KINDS[coll].label.lower(): output(ctx, rec), "allocations": done}

    return create


def _allocation_element(ctx, alloc):
    inv = _required(ctx, "Invoices", "invoice_id", alloc.get("invoice_id"), "InvoiceNumber")
    return {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Amount": alloc.get("amount"),
            "Date": alloc.get("date")}


def _check_allocations_first(ctx, coll, el, allocations):
    """Refuse the whole entry before anything is stored when an allocation cannot be made:
    the overpayment/prepayment is checked as if it existed, allocation after allocation."""
    if not allocations:
        return
    kind = credits.CREDIT_KINDS[coll]
    probe = {"Contact": el["Contact"],
             "Type": el["Type"] if el["Type"] in kind.types else kind.types[0],
             "CurrencyCode": el.get("CurrencyCode") or ctx.org.base_currency}
    errors, total, dues = [], Decimal(0), {}
    for alloc in allocations:
        inv = ctx.data["Invoices"][_allocation_element(ctx, alloc)["Invoice"]["InvoiceID"]]
        try:
            amount = q(dec(alloc.get("amount")))
        except ValueError as exc:
            errors.append(str(exc))
            continue
        total += amount
        due = dues.setdefault(inv["InvoiceID"], dec(inv.get("AmountDue"))) - amount
        dues[inv["InvoiceID"]] = due
        found = credits.invoice_mismatch(kind, probe, inv, Decimal(0))
        if due < 0:
            found.append("The amount allocated cannot exceed the amount due on the invoice")
        errors.extend(m for m in found if m not in errors)
    try:
        if total > q(dec(el.get("Amount"))):
            errors.append("The amount allocated cannot exceed the remaining credit on the %s"
                          % kind.label.lower())
    except ValueError:
        pass  # create_credit reports the bad amount
    if errors:
        raise Invalid(errors)


def _edit_contact(ctx, body):
    """Edit a contact's fields (Name, EmailAddress, Phones, Addresses, TaxNumber, ...),
    with the rules of POST /Contacts/{id}."""
    from .parties import save_contact

    rec = _required(ctx, "Contacts", "contact_id", body.get("contact_id"), "ContactNumber")
    fields = body.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise Invalid(["fields must be an object of the contact fields to change"])
    save_contact(ctx, fields, existing=rec)
    return {"contact": output(ctx, rec)}


ROUTES = {
    ("POST", "/person/pay"): _action(_pay),
    ("POST", "/person/delete-payment"): _action(_delete_payment),
    ("POST", "/person/void"): _action(_void),
    ("POST", "/person/allocate"): _action(_allocate),
    ("POST", "/person/delete-allocation"): _action(_delete_allocation),
    ("POST", "/person/overpayment"): _action(_credit("Overpayments")),
    ("POST", "/person/prepayment"): _action(_credit("Prepayments")),
    ("POST", "/person/edit-contact"): _action(_edit_contact),
}
