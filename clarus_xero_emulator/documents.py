"""Invoices, CreditNotes and PurchaseOrders: creation, updates, status rules, totals, stock."""

from decimal import Decimal

from .branding import check_branding_theme
from .common import Invalid, elements_of, envelope, find_by_id, output, run_batch, touch
from .doc_checks import (
    REFERENCE_TYPES,
    check_due_date,
    check_lock_dates,
    check_purchase_order_fields,
    checked_amount_types,
    checked_currency,
    checked_number,
    checked_status,
    checked_type,
    numbered,
    parsed_dates,
)
from .lines import apply_stock, build_lines, check_stock, stock_moves
from .msjson import day_ms, dec, num
from .parties import _apply_contact, active_contact_named
from .reads import get_one, list_response
from .rules import NEGATIVE_TOTAL
from .state import new_id

COPY_KEYS = ("Reference", "BrandingThemeID", "Url", "SentToContact", "DeliveryAddress",
             "AttentionTo", "Telephone", "DeliveryInstructions")
CROSS_RATES = {"NZD": 1.0, "AUD": 0.92, "USD": 0.6, "EUR": 0.55, "GBP": 0.47}


class Kind:
    def __init__(self, coll, id_field, number, types, label, prefix, history_name):
        self.coll, self.id_field, self.number = coll, id_field, number
        self.types, self.label, self.prefix = types, label, prefix
        self.history_name = history_name


KINDS = {
    "Invoices": Kind("Invoices", "InvoiceID", "InvoiceNumber", ("ACCREC", "ACCPAY"), "Invoice",
                     "INV", "Invoice"),
    "CreditNotes": Kind("CreditNotes", "CreditNoteID", "CreditNoteNumber",
                        ("ACCRECCREDIT", "ACCPAYCREDIT"), "Credit Note", "CN", "Credit Note"),
    "PurchaseOrders": Kind("PurchaseOrders", "PurchaseOrderID", "PurchaseOrderNumber", None,
                           "Purchase Order", "PO", "Purchase Order"),
}


def _resolve_contact(ctx, ref, is_po, errors):
    """-> (contact record or None, name of a contact to create or None)."""
    if not isinstance(ref, dict) or not ref:
        errors.append("A Contact must be specified")
        return None, None
    if ref.get("ContactID"):
        contact = find_by_id(ctx, "Contacts", ref["ContactID"])
        if contact is None:
            errors.append("The contact with ID %s could not be found." % ref["ContactID"])
        return contact, None
    if ref.get("ContactNumber"):
        contact = next((c for c in ctx.data["Contacts"].values()
                        if c.get("ContactNumber") == ref["ContactNumber"]), None)
        if contact is not None:
            return contact, None
    if ref.get("Name"):
        contact = active_contact_named(ctx, str(ref["Name"]))
        if contact is not None:
            return contact, None
        if not is_po:
            return None, str(ref["Name"])
    errors.append("The contact could not be found; send an existing ContactID")
    return None, None


class _Draft:
    """The checked values of one request, gathered before anything is written."""

    def __init__(self, kind, existing):
        self.kind, self.existing = kind, existing
        self.is_po = kind.types is None
        self.old_status = existing["Status"] if existing else None


def save_document(ctx, coll, el, existing=None):
    """Check every rule first (so a failed request changes nothing), then write."""
    draft = _checked_draft(ctx, KINDS[coll], el, existing)
    return _write_document(ctx, el, draft)


def _checked_draft(ctx, kind, el, existing):
    """Run the checks in Xero's order; clients show the first message, so order matters."""
    draft = _Draft(kind, existing)
    errors = []
    draft.doc_type = checked_type(kind, el, existing, errors)
    draft.status = checked_status(kind, el, existing, draft.old_status)
    draft.contact, draft.new_contact_name = _checked_contact(ctx, draft, el, errors)
    draft.dates = parsed_dates(el, errors)
    draft.default_date = day_ms(ctx.now)
    draft.amount_types = checked_amount_types(el, existing, errors)
    draft.currency = checked_currency(ctx, el, existing, errors)
    try:
        draft.rate = dec(_currency_rate(ctx, el, draft))
    except ValueError:
        errors.append("CurrencyRate must be a number")
        draft.rate = Decimal(1)
    draft.number = checked_number(ctx, kind, el, existing, draft.doc_type, errors)
    check_purchase_order_fields(draft, el, errors)
    check_branding_theme(ctx, el, errors)
    _check_lines(ctx, draft, el, errors)
    check_due_date(draft, errors)
    check_lock_dates(ctx, draft, errors)
    _check_stock_moves(ctx, draft, errors)
    if errors:
        raise Invalid(errors)
    return draft


def _checked_contact(ctx, draft, el, errors):
    """-> (contact, name of a contact to create); an archived contact may only stay put."""
    existing = draft.existing
    if existing is not None and not el.get("Contact"):
        return ctx.data["Contacts"].get(existing["Contact"]["ContactID"]), None
    contact, new_contact_name = _resolve_contact(ctx, el.get("Contact"), draft.is_po, errors)
    changed = existing is None or contact is None or \
        contact["ContactID"] != existing["Contact"]["ContactID"]
    if contact and contact.get("ContactStatus") == "ARCHIVED" and changed:
        errors.append("The contact '%s' is archived and cannot be used on new transactions."
                      % contact["Name"])
    return contact, new_contact_name


def _check_lines(ctx, draft, el, errors):
    """Price the lines, then apply the rules that depend on the target status."""
    existing = draft.existing
    raw_lines = el["LineItems"] if el.get("LineItems") is not None else \
        (existing or {}).get("LineItems", [])
    if not isinstance(raw_lines, list):
        errors.append("LineItems must be a list")
        raw_lines = []
    sale = _is_sale(draft.doc_type)
    draft.lines, draft.sub_total, draft.total_tax, draft.total = build_lines(
        ctx, raw_lines, (existing or {}).get("LineItems"), draft.amount_types, sale, not sale,
        errors, discounts_ok=draft.doc_type == "ACCREC", inventory_rules=not draft.is_po)
    label = draft.kind.label
    # Purchase orders need a line whatever their status (strict reading: an order is its
    # lines); invoices and credit notes from SUBMITTED on.
    needs_lines = draft.is_po or draft.status in ("SUBMITTED", "AUTHORISED")
    if needs_lines and not draft.lines and not errors:
        errors.append("%s must have at least one line item" % label)
    if draft.status == "AUTHORISED" and not draft.is_po:
        if any(not line.get("AccountCode") for line in draft.lines):
            errors.append("Each line item must have an AccountCode when %s is AUTHORISED"
                          % label)
    if not draft.is_po and draft.total < 0:
        errors.append(NEGATIVE_TOTAL % label)


def _is_sale(doc_type):
    return doc_type in ("ACCREC", "ACCRECCREDIT")


def _check_stock_moves(ctx, draft, errors):
    """Authorised invoices and credit notes move stock; an edit first undoes the old moves."""
    draft.was_auth = draft.old_status in ("AUTHORISED", "PAID") and not draft.is_po
    draft.will_auth = draft.status == "AUTHORISED" and not draft.is_po
    draft.old_moves = _stored_moves(ctx, draft.existing) if draft.was_auth else []
    draft.new_moves = stock_moves(ctx, draft.doc_type, draft.lines, draft.amount_types,
                                  draft.rate) if draft.will_auth else []
    if draft.will_auth:
        check_stock(draft.old_moves, draft.new_moves, ctx.flag("allowBackorders"), errors)


def _write_document(ctx, el, draft):
    """Apply a checked draft: every step here succeeds, so the write is all or nothing."""
    kind, status = draft.kind, draft.status
    contact = draft.contact
    if draft.new_contact_name:
        contact = _apply_contact(ctx, {"Name": draft.new_contact_name}, None)
    rec, number = _record_to_write(ctx, draft)
    _move_stock(rec, draft)
    if number:
        rec[kind.number] = number
    rec.update(draft.dates)
    for key in COPY_KEYS:
        if key == "Reference" and draft.doc_type not in REFERENCE_TYPES:
            continue
        if el.get(key) is not None:
            rec[key] = el[key]
    rec.update({"Contact": {"ContactID": contact["ContactID"]}, "Status": status,
                "LineAmountTypes": draft.amount_types, "LineItems": draft.lines,
                "CurrencyCode": draft.currency,
                "CurrencyRate": float(draft.rate),
                "SubTotal": num(draft.sub_total), "TotalTax": num(draft.total_tax),
                "Total": num(draft.total)})
    if draft.lines and any(line.get("DiscountRate") for line in draft.lines):
        rec["IsDiscounted"] = True
    settle(rec, kind.coll)
    if status == "AUTHORISED" and contact is not None:
        contact["IsCustomer" if _is_sale(draft.doc_type) else "IsSupplier"] = True
    touch(ctx, rec)
    _record_history(ctx, kind, rec, draft)
    return rec


def _record_to_write(ctx, draft):
    """-> (record, number): the existing record, or a new one with its defaults and number."""
    kind, doc_type, number = draft.kind, draft.doc_type, draft.number
    if draft.existing is not None:
        return draft.existing, number
    rec = {kind.id_field: new_id(), "HasAttachments": False, "Payments": [],
           "Date": day_ms(ctx.now)}
    if not draft.is_po:
        rec.update({"Type": doc_type, "AmountPaid": 0.0, "HasErrors": False,
                    "SentToContact": False})
        rec.update({"AmountCredited": 0.0, "CreditNotes": [], "Overpayments": [],
                    "Prepayments": []} if kind.coll == "Invoices"
                   else {"Allocations": [], "AppliedAmount": 0.0})
    if not number and numbered(doc_type, kind):
        number = _next_free_number(ctx, kind)
    ctx.data[kind.coll][rec[kind.id_field]] = rec
    return rec, number


def _next_free_number(ctx, kind):
    # The sequence can collide with numbers clients chose themselves; skip past those.
    number = ctx.org.next_number(kind.prefix)
    while any(d.get(kind.number) == number for d in ctx.data[kind.coll].values()):
        number = ctx.org.next_number(kind.prefix)
    return number


def _move_stock(rec, draft):
    """Reverse the moves stored on the record, apply the new ones and remember them."""
    if draft.was_auth:
        apply_stock(draft.old_moves, -1, draft.doc_type)
    if draft.will_auth:
        # Remember each move with the cost it actually moved, so a void or an edit
        # reverses exactly that (and the ledger books sales at that cost).
        applied = apply_stock(draft.new_moves, 1, draft.doc_type)
        rec["_stock"] = [(i["ItemID"], str(qty), str(amount)) for i, qty, amount in applied]
    else:
        rec.pop("_stock", None)


def _currency_rate(ctx, el, draft):
    """The rate sent or kept; else a fixed cross rate, so foreign totals are repeatable."""
    base, currency = ctx.org.base_currency, draft.currency
    rate = el.get("CurrencyRate") or (draft.existing or {}).get("CurrencyRate")
    if currency == base:
        rate = 1.0
    elif not rate:
        rate = round(CROSS_RATES.get(currency, 1.0) / CROSS_RATES.get(base, 1.0), 6)
    return rate


def _record_history(ctx, kind, rec, draft):
    created, status = draft.existing is None, draft.status
    verb = "Created" if created else {"AUTHORISED": "Approved", "VOIDED": "Voided",
                                      "DELETED": "Deleted"}.get(status, "Edited")
    if not created and status == draft.old_status:
        verb = "Edited"
    ctx.org.add_history(kind.coll, rec[kind.id_field], verb,
                        "%s %s %s" % (kind.history_name, rec.get(kind.number) or "", verb.lower()),
                        ctx.now)


def _stored_moves(ctx, rec):
    moves = []
    for item_id, qty, amount in (rec or {}).get("_stock", []):
        item = ctx.data["Items"].get(item_id)
        if item is not None:
            moves.append((item, Decimal(qty), Decimal(amount)))
    return moves


def settle(rec, coll):
    """Recompute AmountDue/RemainingCredit and move AUTHORISED <-> PAID."""
    if coll == "PurchaseOrders":
        return
    total = dec(rec["Total"])
    paid = sum((dec(p["Amount"]) for p in rec.get("Payments", [])), Decimal(0))
    rec["AmountPaid"] = num(paid)
    if coll == "Invoices":
        # Spec Invoice.AmountCredited: credit notes, overpayments and prepayments applied.
        credited = sum((dec(c["AppliedAmount"]) for key in ("CreditNotes", "Overpayments",
                                                            "Prepayments")
                        for c in rec.get(key, [])), Decimal(0))
        rec["AmountCredited"] = num(credited)
        outstanding = total - paid - credited
        rec["AmountDue"] = num(outstanding)
    else:
        applied = sum((dec(a["Amount"]) for a in rec.get("Allocations", [])), Decimal(0))
        rec["AppliedAmount"] = num(applied)
        outstanding = total - paid - applied
        rec["RemainingCredit"] = num(outstanding)
    if rec["Status"] == "AUTHORISED" and outstanding <= 0:
        rec["Status"] = "PAID"
        dates = [p.get("Date") for key in ("Payments", "Allocations", "CreditNotes",
                                           "Overpayments", "Prepayments")
                 for p in rec.get(key, [])]
        rec["FullyPaidOnDate"] = max([d for d in dates if d] or [rec["Date"]])
    elif rec["Status"] == "PAID" and outstanding > 0:
        rec["Status"] = "AUTHORISED"
        rec.pop("FullyPaidOnDate", None)


# -- handlers --------------------------------------------------------------------------------
def _find_for_upsert(ctx, coll, el):
    kind = KINDS[coll]
    if el.get(kind.id_field):
        rec = find_by_id(ctx, coll, el[kind.id_field])
        if rec is None:
            raise Invalid(["%s with %s %s could not be found."
                           % (kind.label, kind.id_field, el[kind.id_field])])
        return rec
    number = el.get(kind.number)
    if number and (kind.types is None or el.get("Type") in (None, kind.types[0])):
        return next((d for d in ctx.data[coll].values() if d.get(kind.number) == number
                     and numbered(d.get("Type"), kind) and d["Status"] != "DELETED"), None)
    return None


def list_documents(ctx, coll):
    kind = KINDS[coll]
    return list_response(ctx, coll, ctx.data[coll].values(), paged=True,
                         id_field=kind.id_field, number_field=kind.number)


def get_document(ctx, coll):
    rec = get_one(ctx, coll, ctx.args[0], KINDS[coll].number)
    return envelope(ctx, coll, [output(ctx, rec)])


def put_documents(ctx, coll):
    flag = None if coll == "PurchaseOrders" else "HasErrors"
    return run_batch(ctx, coll, elements_of(ctx, coll),
                     lambda e: save_document(ctx, coll, e), flag)


def post_documents(ctx, coll):
    flag = None if coll == "PurchaseOrders" else "HasErrors"
    return run_batch(ctx, coll, elements_of(ctx, coll),
                     lambda e: save_document(ctx, coll, e, _find_for_upsert(ctx, coll, e)), flag)


def post_document(ctx, coll):
    rec = get_one(ctx, coll, ctx.args[0], KINDS[coll].number)
    flag = None if coll == "PurchaseOrders" else "HasErrors"
    return run_batch(ctx, coll, elements_of(ctx, coll)[:1],
                     lambda e: save_document(ctx, coll, e, rec), flag)
