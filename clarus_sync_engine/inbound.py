"""The pull from Xero, decided without Odoo: what to read, from when, page by page.

Each collection (invoices and bills, credit notes, payments, overpayments, prepayments,
contacts) keeps its own watermark: the latest ``UpdatedDateUTC`` Odoo has applied and
committed. A run asks Xero for what changed since the watermark minus ``OVERLAP``
(``If-Modified-Since``; clocks and Xero's own commit delays are not exact), oldest change
first, ``PAGE_SIZE`` records a page, and stops at the last page. The watermark moves after
each page is applied and committed, so a crash between two pages re-reads from the last
committed page; applying is idempotent, so a record read twice changes nothing twice.

Paging by page number is exact only while the set does not move under it: a record read
on an early page and changed during the run jumps to the end, and every later record
shifts up one place, so one of them may fall onto a page already read. ``PagedRead``
notices the record seen twice and sets the watermark back to where it stood before the
page where that record was first seen: the next run reads the shifted part again.
"""

import datetime
import re
from collections import namedtuple

# Re-read this much before the watermark: a change Xero commits late, or a clock a little
# behind, still falls inside the next read.
OVERLAP = datetime.timedelta(minutes=5)
# Xero's largest page (Invoices, CreditNotes, Payments, Overpayments, Prepayments, Contacts).
PAGE_SIZE = 1000
# Oldest change first: the watermark after a page is a floor for every later page.
ORDER = "UpdatedDateUTC ASC"

# key: Xero collection; reader: SDK method; id_field: the record's ID; job_kind: the import
# job it becomes; apply_kind: the kind the applying entry points take.
Collection = namedtuple("Collection", "key reader id_field job_kind apply_kind")
COLLECTIONS = {
    # Invoices holds both sales invoices (ACCREC) and bills (ACCPAY).
    "invoices": Collection("Invoices", "get_invoices", "InvoiceID", "import_invoice",
                           "invoice"),
    "credit_notes": Collection("CreditNotes", "get_credit_notes", "CreditNoteID",
                               "import_credit_note", "credit_note"),
    "payments": Collection("Payments", "get_payments", "PaymentID", "import_payment",
                           "payment"),
    "overpayments": Collection("Overpayments", "get_overpayments", "OverpaymentID",
                               "import_overpayment", "overpayment"),
    "prepayments": Collection("Prepayments", "get_prepayments", "PrepaymentID",
                              "import_prepayment", "prepayment"),
    "contacts": Collection("Contacts", "get_contacts", "ContactID", "import_contact",
                           "contact"),
}
# Documents before the payments that pay them, contacts last (they change nothing paid).
PULL_ORDER = ("invoices", "credit_notes", "payments", "overpayments", "prepayments",
              "contacts")
COLLECTION_OF_JOB = {c.job_kind: name for name, c in COLLECTIONS.items()}
# What an import job keeps of what was read.
SUMMARY_FIELDS = ("Type", "InvoiceNumber", "CreditNoteNumber", "Reference", "Name", "Status",
                  "ContactStatus", "Total", "AmountDue", "AmountPaid", "AmountCredited",
                  "RemainingCredit", "Amount", "Date", "UpdatedDateUTC")

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
WEEKDAYS = {
    "weekdays": frozenset(range(5)),
    "monday_saturday": frozenset(range(6)),
    "every_day": frozenset(range(7)),
}


def updated_at(element):
    """The naive UTC ``datetime`` of an element's ``UpdatedDateUTC``, or None.

    Xero writes MS JSON (``/Date(1732358400000+0000)/``, milliseconds in UTC; the offset
    only says where the moment was displayed) or ISO 8601 (naive is UTC)."""
    value = (element or {}).get("UpdatedDateUTC")
    if not value:
        return None
    text = str(value).strip()
    match = _MS_DATE.match(text)
    if match:
        return datetime.datetime(1970, 1, 1) + datetime.timedelta(
            milliseconds=int(match.group(1)))
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment


def read_since(watermark, overlap=OVERLAP):
    """The ``If-Modified-Since`` moment for a collection: None reads everything."""
    return watermark - overlap if watermark else None


def header_value(moment):
    """``If-Modified-Since`` as Xero takes it: ISO 8601 in UTC, whole seconds."""
    return moment.replace(microsecond=0).isoformat() if moment else None


def reader_arguments(name, since, page, page_size=PAGE_SIZE):
    """The SDK keyword arguments of one page of collection ``name``."""
    arguments = {"order": ORDER, "page": page, "page_size": page_size}
    if since:
        arguments["if_modified_since"] = header_value(since)
    if name == "contacts":
        # An archived or merged contact is a change too.
        arguments["include_archived"] = True
    return arguments


def is_last_page(page, elements, pagination, page_size):
    """Stop at the page Xero says is the last; without pagination data, at a short page."""
    count = (pagination or {}).get("pageCount")
    if count is not None:
        return page >= count
    return len(elements) < page_size


def advance(watermark, elements):
    """The watermark after applying ``elements``: the latest change seen, never lower."""
    moments = [m for m in (updated_at(e) for e in elements) if m]
    if not moments:
        return watermark
    latest = max(moments)
    return max(latest, watermark) if watermark else latest


class PagedRead:
    """One collection's run, page after page; see the module docstring.

    ``take(elements)`` returns the watermark to store after the page: the latest change
    seen, or, when a record comes back that an earlier page of this run held, the
    watermark from before that earlier page (``rewound`` is then True)."""

    def __init__(self, id_field, watermark):
        self.id_field = id_field
        self.watermark = watermark
        self.before_page = []
        self.first_page = {}
        self.rewound = False

    def take(self, elements):
        index = len(self.before_page)
        self.before_page.append(self.watermark)
        moved = [self.first_page[e.get(self.id_field)] for e in elements
                 if e.get(self.id_field) in self.first_page]
        for element in elements:
            self.first_page.setdefault(element.get(self.id_field), index)
        if moved:
            self.rewound = True
            self.watermark = self.before_page[min(moved)]
            return self.watermark
        self.watermark = advance(self.watermark, elements)
        return self.watermark


def document_ref(name, element):
    """``(kind, Xero ID)`` of the Odoo-bound record an element concerns: the document
    itself, the document a payment pays, the first document an overpayment or
    prepayment is allocated to, or the contact. ``(None, None)`` when there is none."""
    if name == "invoices":
        return "invoice", element.get("InvoiceID")
    if name == "credit_notes":
        return "credit_note", element.get("CreditNoteID")
    if name == "contacts":
        return "contact", element.get("ContactID")
    if name == "payments":
        if (element.get("Invoice") or {}).get("InvoiceID"):
            return "invoice", element["Invoice"]["InvoiceID"]
        if (element.get("CreditNote") or {}).get("CreditNoteID"):
            return "credit_note", element["CreditNote"]["CreditNoteID"]
        return None, None
    for allocation in element.get("Allocations") or ():
        invoice_id = (allocation.get("Invoice") or {}).get("InvoiceID")
        if invoice_id:
            return "invoice", invoice_id
    return None, None


def summary(name, element):
    """What an import job keeps of the element it applied: its ID and main fields."""
    collection = COLLECTIONS[name]
    kept = {collection.id_field: element.get(collection.id_field)}
    kept.update({k: element[k] for k in SUMMARY_FIELDS if element.get(k) not in (None, "")})
    return kept


def change_key(connection_id, name, element):
    """One change of one Xero record: the same change read twice has the same key."""
    collection = COLLECTIONS[name]
    moment = updated_at(element)
    stamp = moment.isoformat(timespec="milliseconds") if moment else "-"
    return f"{connection_id}:{collection.job_kind}:{element.get(collection.id_field)}@{stamp}"


def within_business_hours(local_now, days, hour_from, hour_to):
    """Is ``local_now`` (the connection's local time) inside the pull's business hours?

    ``days``: a key of ``WEEKDAYS``; hours as floats (8.5 is 08:30), ``hour_from``
    included, ``hour_to`` excluded; ``hour_to`` before ``hour_from`` spans midnight."""
    if local_now.weekday() not in WEEKDAYS.get(days, WEEKDAYS["every_day"]):
        return False
    hour = local_now.hour + local_now.minute / 60.0
    if hour_from == hour_to:
        return True
    if hour_from < hour_to:
        return hour_from <= hour < hour_to
    return hour >= hour_from or hour < hour_to
