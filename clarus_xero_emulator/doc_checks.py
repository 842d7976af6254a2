"""Per-field checks of an invoice, credit note or purchase order (no writes here)."""

from .common import Invalid
from .lines import LINE_AMOUNT_TYPES
from .msjson import date_to_ms
from .rules import DUE_DATE_REQUIRED, check_lock

EDITABLE = {"DRAFT", "SUBMITTED"}
TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
    # A document is PAID without money applied only when it totals zero (a stock
    # adjustment): it can be voided like an AUTHORISED one (has_money_applied refuses
    # the void of a document that was really paid).
    "PAID": {"VOIDED"},
}
# Purchase orders (spec PurchaseOrder.Status; XERO_API §4), strict reading: forward only,
# BILLED only from AUTHORISED, DELETED from DRAFT/SUBMITTED/AUTHORISED, and a BILLED or
# DELETED order refuses any further change (no entry here: nothing is allowed).
PO_TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "BILLED", "DELETED"},
}
# Spec PurchaseOrder.DeliveryInstructions: "A free text feild for instructions (500
# characters max)". Wording chosen.
DELIVERY_INSTRUCTIONS_MAX = 500
# Spec Invoice.Reference "ACCREC only", CreditNote.Reference "ACCRECCREDIT only". Strict
# reading: a Reference sent on a bill or a supplier credit note is dropped (neither stored
# nor returned).
REFERENCE_TYPES = (None, "ACCREC", "ACCRECCREDIT")
DATE_KEYS = ("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate", "DeliveryDate",
             "ExpectedArrivalDate")


def numbered(doc_type, kind):
    """Whether this document's number is unique and auto-generated (sales side and POs)."""
    return kind.types is None or doc_type in ("ACCREC", "ACCRECCREDIT")


def checked_type(kind, el, existing, errors):
    """The document Type: required on creation, fixed afterwards; POs have none."""
    doc_type = existing.get("Type") if existing else el.get("Type")
    if kind.types is None:
        doc_type = None
    elif existing is None and doc_type not in kind.types:
        errors.append("%s Type must be one of %s" % (kind.label, ", ".join(kind.types)))
    elif existing is not None and el.get("Type") not in (None, existing["Type"]):
        errors.append("The Type of an existing %s cannot be changed" % kind.label)
    return doc_type


def checked_status(kind, el, existing, old_status):
    """The requested status; an illegal one fails at once, before any other error is reported."""
    status = el.get("Status") or old_status or "DRAFT"
    invalid_status = "%s not of valid status for modification" % kind.label
    if existing is None:
        if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
            raise Invalid(["%s not of valid status for creation" % kind.label])
        return status
    allowed = (PO_TRANSITIONS if kind.types is None else TRANSITIONS).get(old_status, set())
    if status not in allowed:
        raise Invalid([invalid_status])
    # Money already applied pins the document: it can be neither voided nor re-lined.
    if has_money_applied(existing) and (status == "VOIDED" or el.get("LineItems") is not None):
        raise Invalid([invalid_status])
    return status


def has_money_applied(rec):
    return (rec.get("AmountPaid") or 0) or (rec.get("AmountCredited") or 0) or (
        rec.get("Allocations") or rec.get("Payments"))


def parsed_dates(el, errors):
    dates = {}
    for key in DATE_KEYS:
        if el.get(key):
            try:
                dates[key] = date_to_ms(el[key])
            except ValueError:
                errors.append("'%s' is not a valid date for %s" % (el[key], key))
    return dates


def checked_amount_types(el, existing, errors):
    amount_types = el.get("LineAmountTypes") or (existing or {}).get("LineAmountTypes") \
        or "Exclusive"
    if amount_types not in LINE_AMOUNT_TYPES:
        errors.append("LineAmountTypes '%s' is not valid" % amount_types)
        amount_types = "Exclusive"
    return amount_types


def checked_currency(ctx, el, existing, errors):
    currency = str(el.get("CurrencyCode") or (existing or {}).get("CurrencyCode")
                   or ctx.org.base_currency)
    if currency not in ctx.data["Currencies"]:
        errors.append("Organisation is not subscribed to currency %s" % currency)
    return currency


def checked_number(ctx, kind, el, existing, doc_type, errors):
    number = el.get(kind.number) if el.get(kind.number) else (existing or {}).get(kind.number)
    if number and len(str(number)) > 255:
        errors.append("%s number must not be more than 255 characters long" % kind.label)
    if number and numbered(doc_type, kind):
        clash = next((d for d in ctx.data[kind.coll].values() if d is not existing
                      and d.get("Type") == doc_type and d.get(kind.number) == number
                      and d["Status"] != "DELETED"), None)
        if clash:
            errors.append("%s # must be unique." % kind.label)
    return number


def check_due_date(draft, errors):
    """S30, strict reading (no organisation default terms): an invoice becoming AUTHORISED
    needs a DueDate, sent now or stored."""
    if draft.kind.coll != "Invoices" or draft.status != "AUTHORISED":
        return
    if not (draft.dates.get("DueDate") or (draft.existing or {}).get("DueDate")):
        errors.append(DUE_DATE_REQUIRED)


def check_lock_dates(ctx, draft, errors):
    """S31: an invoice or credit note dated on or before the organisation's lock date is
    refused, on creation and on any change (its stored date counts too). Purchase orders
    post no journal and are not locked."""
    if draft.is_po:
        return
    dates = [draft.dates.get("Date") or (draft.existing or {}).get("Date") or
             draft.default_date]
    if draft.existing is not None:
        dates.append(draft.existing.get("Date"))
    check_lock(ctx.org.organisation, dates, errors)


def check_purchase_order_fields(draft, el, errors):
    """Purchase orders: DeliveryInstructions of at most 500 characters (spec)."""
    if not draft.is_po:
        return
    instructions = el.get("DeliveryInstructions")
    if instructions is not None and len(str(instructions)) > DELIVERY_INSTRUCTIONS_MAX:
        errors.append("DeliveryInstructions must not be more than %d characters long."
                      % DELIVERY_INSTRUCTIONS_MAX)
