"""The Xero client: builds the SDK ``ApiClient`` and sends batches through it.

``make_api_client`` follows the project's SDK rules: one thread, no hidden urllib3
retries (its default sleeps a full ``Retry-After`` on a day-limit 429, for hours), a
per-request timeout, and token URLs set per client (``tokens.EndpointOAuth2Token``).

``XeroGateway`` calls the SDK with ``_preload_content=False`` and parses the JSON
itself. Why: the SDK's model deserialiser raises ``ValueError`` on any enum value or
date format it does not know, and a document Xero *did* save would then look like a
failure and be sent again. Raw JSON also gives the response headers to the pacer.
SDK exceptions (``HTTPStatusException`` and subclasses) still propagate for
``retry.classify``; their headers are fed to the pacer first. A 404 from a GET becomes
``retry.LookupNotFound`` (not proof the record is gone).

Xero rules the gateway meets by construction (XERO_API §3, §8): every look-up URL is
cut to ``urls.URL_BUDGET`` characters as encoded on the wire (``urls.chunk_values``);
new contacts are created with PUT, which refuses a name or number clash instead of
overwriting finance's contact as POST would; every batch write goes with
``summarizeErrors=false``.
"""

import json
import time
from collections import namedtuple
from decimal import Decimal

import urllib3
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.identity import IdentityApi

from . import inbound, urls
from .contacts import name_key
from .guards import parse_xero_date
from .idempotency import derived_key
from .pacing import PacingStop  # noqa: F401  (raised here; the connector imports it from here)
from .retry import LookupNotFound
from .tokens import EndpointOAuth2Token, sdk_token

# ``conflict``: for a refused contact, ``"name_clash"`` or ``"number_clash"`` (see
# ``contact_conflict``); None otherwise.
ElementResult = namedtuple("ElementResult", "ok xero_id number status errors warnings raw "
                           "conflict", defaults=(None,))
BatchResult = namedtuple("BatchResult", "results headers status")

# kind -> (collection key, id field, number field, SDK batch method, body argument name)
KINDS = {
    # New contacts are created with PUT (``create_contacts``), see ``send_contacts``.
    "contact": ("Contacts", "ContactID", "ContactNumber", "update_or_create_contacts",
                "contacts"),
    "item": ("Items", "ItemID", "Code", "update_or_create_items", "items"),
    "invoice": ("Invoices", "InvoiceID", "InvoiceNumber", "update_or_create_invoices",
                "invoices"),
    "credit_note": ("CreditNotes", "CreditNoteID", "CreditNoteNumber",
                    "update_or_create_credit_notes", "credit_notes"),
    "purchase_order": ("PurchaseOrders", "PurchaseOrderID", "PurchaseOrderNumber",
                       "update_or_create_purchase_orders", "purchase_orders"),
    "payment": ("Payments", "PaymentID", "Reference", "create_payments", "payments"),
    # Stock adjustments: zero-total ACCPAY bills (increases) and ACCPAYCREDIT (decreases).
    "stock_adjustment": ("Invoices", "InvoiceID", "InvoiceNumber", "update_or_create_invoices",
                         "invoices"),
    "stock_adjustment_credit": ("CreditNotes", "CreditNoteID", "CreditNoteNumber",
                                "update_or_create_credit_notes", "credit_notes"),
    # Stock valuation (Odoo tracks inventory): POSTED manual journals, found again by the
    # key in their Narration (``journals.find_where``).
    "manual_journal": ("ManualJournals", "ManualJournalID", None, "create_manual_journals",
                       "manual_journals"),
    # One payment per request: ``POST /Payments/{id}`` with Status DELETED.
    "payment_delete": ("Payments", "PaymentID", "Reference", None, None),
    "allocation": ("Allocations", "AllocationID", None, None, None),
    "history": ("HistoryRecords", None, None, None, None),
}
# Supplier documents: Xero keeps the supplier's own number, which need not be unique
# (XERO_API §4), so they are looked up by contact, number and date, never by number alone.
BILL_TYPES = {"invoice": "ACCPAY", "credit_note": "ACCPAYCREDIT"}
BillKey = namedtuple("BillKey", "contact_id number date")
# SDK argument -> query parameter name, for measuring look-up URLs (``urls``).
FIXED_PARAM_NAMES = {"include_archived": "includeArchived", "unitdp": "unitdp"}
# Batch methods that accept unitdp (4-decimal unit prices).
UNITDP_KINDS = frozenset({"item", "invoice", "credit_note", "stock_adjustment",
                          "stock_adjustment_credit"})
HISTORY_METHODS = {
    "invoice": ("create_invoice_history", "invoice_id"),
    "credit_note": ("create_credit_note_history", "credit_note_id"),
    "purchase_order": ("create_purchase_order_history", "purchase_order_id"),
    "payment": ("create_payment_history", "payment_id"),
    "contact": ("create_contact_history", "contact_id"),
    "item": ("create_item_history", "item_id"),
}


def make_api_client(client_id, client_secret, token_getter, token_saver,
                    identity_base_url="https://identity.xero.com"):
    """A configured xero-python ``ApiClient``.

    ``token_getter()`` returns the stored token dict (extra keys are dropped here);
    ``token_saver(token)`` stores a token the SDK obtained itself.
    """
    oauth2 = EndpointOAuth2Token(client_id, client_secret,
                                 token_url=f"{identity_base_url}/connect/token",
                                 revoke_url=f"{identity_base_url}/connect/revocation")
    # ``Configuration(...)`` returns a copy of the *first* Configuration ever built in the
    # process and ignores its arguments (SDK metaclass ``TypeWithDefault``); set the token
    # on the copy so each organisation keeps its own credentials and token URLs.
    configuration = Configuration()
    configuration.oauth2_token = oauth2
    api_client = ApiClient(configuration, pool_threads=1,
                           oauth2_token_getter=lambda: sdk_token(token_getter()),
                           oauth2_token_saver=token_saver)
    pool_manager = api_client.rest_client.pool_manager
    pool_manager.connection_pool_kw["retries"] = urllib3.Retry(
        total=0, raise_on_status=False, respect_retry_after_header=False)
    pool_manager.clear()
    return api_client


def make_gateway(client_id, client_secret, token_getter, token_saver,
                 api_base_url="https://api.xero.com",
                 identity_base_url="https://identity.xero.com", timeout=(10, 120), pacer=None):
    """``make_api_client`` plus a ``XeroGateway`` on it: the connector's client factory."""
    api_client = make_api_client(client_id, client_secret, token_getter, token_saver,
                                 identity_base_url)
    return XeroGateway(api_client, api_base_url, timeout, pacer)


def _timeout(value):
    # The SDK ignores a float timeout (it only handles int or a 2-tuple): always pass a tuple.
    if isinstance(value, tuple):
        return value
    return (float(value), float(value))


def element_result(kind, element):
    """One Xero element (from a batch answer or a look-up) as an ``ElementResult``."""
    _key, id_field, number_field = KINDS[kind][:3]
    errors = [e.get("Message") for e in element.get("ValidationErrors") or () if e]
    warnings = [w.get("Message") for w in element.get("Warnings") or () if w]
    status_attr = element.get("StatusAttributeString")
    ok = not errors and status_attr != "ERROR" and not element.get("HasErrors")
    return ElementResult(ok=ok, xero_id=element.get(id_field) if id_field else None,
                         number=element.get(number_field) if number_field else None,
                         status=element.get("Status") or element.get("ContactStatus"),
                         errors=errors, warnings=warnings,
                         raw=element,
                         conflict=contact_conflict(errors) if kind == "contact" and not ok
                         else None)


def is_bill(kind, element):
    """Is ``element`` a supplier bill (ACCPAY) or supplier credit note (ACCPAYCREDIT)?"""
    return BILL_TYPES.get(kind) is not None and element.get("Type") == BILL_TYPES[kind]


def bill_key(kind, element):
    """The ``BillKey`` of a supplier document, sent or answered: its contact, its number
    (the supplier's) and its date."""
    number_field = KINDS[kind][2]
    contact_id = str((element.get("Contact") or {}).get("ContactID") or "").lower()
    return BillKey(contact_id, element.get(number_field) or "",
                   _iso_date(element.get("DateString") or element.get("Date")))


def _iso_date(value):
    try:
        day = parse_xero_date(value)
    except ValueError:
        return None
    return day.isoformat() if day else None


def bill_clause(kind, key):
    """One ``where`` term that finds the supplier document of ``key`` and no other."""
    year, month, day = (int(part) for part in key.date.split("-"))
    return "(%s AND %s AND %s AND Date==DateTime(%d,%02d,%02d))" % (
        urls.equals_clause("Type", BILL_TYPES[kind]),
        urls.guid_clause("Contact.ContactID", key.contact_id),
        urls.equals_clause(KINDS[kind][2], key.number), year, month, day)


SUMMARY_KEYS = ("Status", "Total", "AmountDue", "Name", "Code", "ContactStatus", "Details",
                "Amount")


def response_summary(element, note=None):
    """The few fields of a Xero answer worth keeping with the job, as JSON text."""
    summary = {k: element.get(k) for k in SUMMARY_KEYS if element and element.get(k) is not None}
    if note:
        summary["note"] = note
    return json.dumps(summary, default=str)


def contact_conflict(errors):
    """``"name_clash"``, ``"number_clash"`` or None for a refused contact element.

    Xero's PUT /Contacts refuses a contact whose Name (compared without regard to case)
    or ContactNumber another contact already holds: "The contact name X is already
    assigned to another contact..." / "The contact number X is already assigned to
    another contact." (XERO_API §3, §8). The connector acts on it: look the refused
    elements up (``XeroGateway.find_contacts`` with their names and numbers), pass the
    answer to ``contacts.resolve_contacts``, which binds an element to the contact if it
    is ours or renames the element ("Name (REF)"), then send the renamed ones again.
    """
    for message in errors or ():
        text = str(message or "").lower()
        if "already assigned to another contact" in text:
            return "number_clash" if "contact number" in text else "name_clash"
    return None


class XeroGateway:
    """The calls the connector makes, one method each; see the module docstring."""

    def __init__(self, api_client, api_base_url="https://api.xero.com", timeout=(10, 120),
                 pacer=None, sleep=time.sleep):
        self.api_client = api_client
        self.accounting = AccountingApi(api_client, base_url=f"{api_base_url}/api.xro/2.0")
        self.identity = IdentityApi(api_client, base_url=api_base_url)
        self.timeout = _timeout(timeout)
        self.pacer = pacer
        self.sleep = sleep
        self.last_headers = {}

    def _call(self, api, method, *args, **kwargs):
        """One paced SDK call; returns ``(parsed JSON, headers, status)``."""
        if self.pacer is not None:
            decision = self.pacer.before_call()
            if decision.stop:
                raise PacingStop(decision)
            if decision.wait:
                self.sleep(decision.wait)
            self.pacer.call_started()
        try:
            response = getattr(api, method)(*args, _preload_content=False,
                                            _request_timeout=self.timeout, **kwargs)
        except Exception as exc:
            if self.pacer is not None:
                http_resp = getattr(exc, "http_resp", None)
                raw = getattr(http_resp, "urllib3_response", None)
                self.pacer.after_response(getattr(raw, "headers", None) or {},
                                          getattr(http_resp, "status", 0) or 0)
            if method.startswith("get_") and getattr(exc, "status", None) == 404:
                raise LookupNotFound(method, exc) from exc
            raise
        headers = dict(response.headers.items())
        body = response.data
        response.release_conn()
        self.last_headers = headers
        if self.pacer is not None:
            self.pacer.after_response(headers, response.status)
        data = json.loads(body.decode("utf-8"), parse_float=Decimal) if body else None
        return data, headers, response.status

    def send_batch(self, kind, tenant_id, payloads, idempotency_key, allow_backorders=False):
        """Send one planned batch; returns ``BatchResult(results, headers, status)``.

        ``allow_backorders`` lets sales invoices take tracked Xero items below zero: when
        Odoo runs the warehouse, Xero's quantities must follow Odoo's, not veto them.

        Results are ``ElementResult`` in request order. ``allocation`` and ``history``
        take exactly one payload (see ``mapping.allocation_payload`` /
        ``mapping.history_payload``).
        """
        if kind == "allocation":
            return self.allocate_credit_note(tenant_id, payloads[0], idempotency_key)
        if kind == "history":
            element = payloads[0]
            return self.add_history(element["ParentKind"], tenant_id, element["ParentID"],
                                    element["Details"], idempotency_key)
        if kind == "payment_delete":
            return self.delete_payment(tenant_id, payloads[0], idempotency_key)
        if kind == "contact":
            return self.send_contacts(tenant_id, payloads, idempotency_key)
        collection, _id, _number, method, argument = KINDS[kind]
        options = {"summarize_errors": False}
        if idempotency_key:  # the SDK cannot serialise a None header value
            options["idempotency_key"] = idempotency_key
        if kind in UNITDP_KINDS:
            options["unitdp"] = 4
        if allow_backorders and kind == "invoice":
            options["allow_backorders"] = True
        data, headers, status = self._call(self.accounting, method, tenant_id,
                                           **{argument: {collection: list(payloads)}},
                                           **options)
        elements = (data or {}).get(collection) or []
        return BatchResult([element_result(kind, e) for e in elements], headers, status)

    def send_contacts(self, tenant_id, payloads, idempotency_key=None):
        """New contacts by PUT, bound ones (with a ContactID) by POST; results in order.

        Xero's ``POST /Contacts`` without a ContactID matches an existing contact by
        ContactNumber or Name and overwrites it (XERO_API §8): a create by POST could
        rewrite finance's own contact. So an element without ``ContactID`` goes by PUT
        (``create_contacts``, ``summarizeErrors=false``), which refuses a clash per
        element: its ``ElementResult.conflict`` is ``"name_clash"`` or
        ``"number_clash"`` (see ``contact_conflict``). An element with ``ContactID`` is
        updated by POST, matched on that ID only. A mixed batch makes two calls, each
        with its own key derived from ``idempotency_key`` (Xero refuses one key on two
        different requests); headers and status are those of the last call.
        """
        payloads = list(payloads)
        groups = (("create_contacts", [i for i, p in enumerate(payloads)
                                       if not p.get("ContactID")]),
                  ("update_or_create_contacts", [i for i, p in enumerate(payloads)
                                                 if p.get("ContactID")]))
        results, headers, status = [None] * len(payloads), {}, None
        mixed = bool(groups[0][1] and groups[1][1])
        for method, positions in groups:
            if not positions:
                continue
            options = {"summarize_errors": False}
            key = derived_key(idempotency_key, method) if mixed else idempotency_key
            if key:
                options["idempotency_key"] = key
            data, headers, status = self._call(
                self.accounting, method, tenant_id,
                {"Contacts": [payloads[i] for i in positions]}, **options)
            elements = (data or {}).get("Contacts") or []
            for position, element in zip(positions, elements, strict=False):
                results[position] = element_result("contact", element)
        return BatchResult([r for r in results if r is not None], headers, status)

    def allocate_credit_note(self, tenant_id, allocation, idempotency_key=None):
        """``PUT /CreditNotes/{id}/Allocations`` for one ``mapping.allocation_payload``."""
        body = {key: value for key, value in allocation.items() if key != "CreditNote"}
        credit_note_id = allocation["CreditNote"]["CreditNoteID"]
        options = {"idempotency_key": idempotency_key} if idempotency_key else {}
        data, headers, status = self._call(
            self.accounting, "create_credit_note_allocation", tenant_id, credit_note_id,
            {"Allocations": [body]}, summarize_errors=False, **options)
        elements = (data or {}).get("Allocations") or []
        return BatchResult([element_result("allocation", e) for e in elements], headers, status)

    def add_history(self, kind, tenant_id, xero_id, details, idempotency_key=None):
        """Add one history note to a document or record of ``kind``."""
        method, _id_arg = HISTORY_METHODS[kind]
        options = {"idempotency_key": idempotency_key} if idempotency_key else {}
        data, headers, status = self._call(
            self.accounting, method, tenant_id, xero_id,
            {"HistoryRecords": [{"Details": details}]}, **options)
        elements = (data or {}).get("HistoryRecords") or []
        return BatchResult([element_result("history", e) for e in elements], headers, status)

    def _resource_url(self, collection):
        return self.accounting.base_url + "/" + collection

    def _chunked_get(self, reader, tenant_id, collection, name, values, join, **fixed):
        """Every element ``reader`` returns for ``values`` sent in URL-sized chunks.

        ``name`` is the SDK argument that carries the values (``where``, ``i_ds``,
        ``invoice_numbers``); ``fixed`` are the other arguments. The chunks come from
        ``urls.chunk_values`` measured on the URL the SDK will build.
        """
        wire = {"where": "where", "i_ds": "IDs", "invoice_numbers": "InvoiceNumbers"}
        fixed_params = [(FIXED_PARAM_NAMES.get(k, k), v) for k, v in fixed.items()]
        elements = []
        for chunk in urls.chunk_values(self._resource_url(collection), fixed_params,
                                       wire[name], values, join):
            argument = join(chunk) if name == "where" else list(chunk)
            data, _h, _s = self._call(self.accounting, reader, tenant_id,
                                      **{name: argument}, **fixed)
            elements.extend((data or {}).get(collection) or [])
        return elements

    def find_existing(self, kind, tenant_id, keys, field=None):
        """``{key: raw Xero element}`` for the keys already in Xero (before a resend).

        ``field`` defaults to the kind's number field (InvoiceNumber, ContactNumber,
        Code, CreditNoteNumber, PurchaseOrderNumber); pass ``"Reference"`` to search
        invoices by reference. Look-ups are cut to Xero's URL limit (``urls``).
        """
        keys = [k for k in dict.fromkeys(keys) if k]
        if not keys:
            return {}
        collection, _id, number_field = KINDS[kind][:3]
        field = field or number_field
        if kind == "invoice" and field == "InvoiceNumber":
            elements = self._chunked_get("get_invoices", tenant_id, collection,
                                         "invoice_numbers", keys, urls.csv_join, unitdp=4)
        elif kind == "purchase_order":
            return self._find_purchase_orders(tenant_id, keys)
        else:
            reader = {"contact": "get_contacts", "item": "get_items",
                      "credit_note": "get_credit_notes", "payment": "get_payments",
                      "invoice": "get_invoices", "stock_adjustment": "get_invoices",
                      "stock_adjustment_credit": "get_credit_notes",
                      "manual_journal": "get_manual_journals"}[kind]
            # Archived contacts still hold their code and name: the caller must see them.
            extra = {"include_archived": True} if kind == "contact" else {}
            clauses = [urls.equals_clause(field, key) for key in keys]
            elements = self._chunked_get(reader, tenant_id, collection, "where", clauses,
                                         urls.or_join, **extra)
        found = {}
        for element in elements:
            # A supplier's number says nothing about our own documents (``find_bills``).
            if element.get(field) in keys and not is_bill(kind, element):
                found.setdefault(element[field], element)
        return found

    def find_bills(self, tenant_id, keys, kind="invoice"):
        """``{BillKey: [raw Xero elements]}``: the supplier bills (``kind`` ``"invoice"``)
        or supplier credit notes (``"credit_note"``) Xero holds for each key.

        Xero does not make supplier numbers unique: one supplier may send two bills with
        one number, two suppliers the same number. So each key matches on Type, contact,
        number and date together, one ``where`` term per key, the terms OR-ed into as
        few calls as the URL budget allows (``urls.chunk_values``). Every match is
        returned, oldest first as Xero lists them, so the caller can leave out those
        already bound to another document. Deleted documents are left out.
        """
        keys = [key for key in dict.fromkeys(keys) if key.contact_id and key.number and key.date]
        if not keys:
            return {}
        collection = KINDS[kind][0]
        reader = {"invoice": "get_invoices", "credit_note": "get_credit_notes"}[kind]
        clauses = [bill_clause(kind, key) for key in keys]
        elements = self._chunked_get(reader, tenant_id, collection, "where", clauses,
                                     urls.or_join)
        wanted, found = set(keys), {}
        for element in elements:
            key = bill_key(kind, element)
            if is_bill(kind, element) and key in wanted and element.get("Status") != "DELETED":
                found.setdefault(key, []).append(element)
        return found

    def find_contacts(self, tenant_id, numbers=(), names=(), emails=()):
        """Contacts (archived ones included) by code, name or email, in as few calls as
        the URL allows: ``(by_number, by_name, by_email)``, each ``{value: raw contact}``.

        Names are matched as Xero compares them (``contacts.name_key``: case and
        repeated spaces ignored): ``by_name`` is keyed by the name as asked, so
        ``" ACME  ltd "`` finds ``"Acme Ltd"``. The where clause carries the name with
        its spaces collapsed. Emails are keyed as asked too, compared without case.
        """
        numbers = sorted({v for v in numbers if v})
        names = sorted({v for v in names if v})
        emails = sorted({v for v in emails if v})
        clauses = ([urls.equals_clause("ContactNumber", v) for v in numbers]
                   + [urls.equals_clause("Name", " ".join(str(v).split())) for v in names]
                   + [urls.equals_clause("EmailAddress", v.strip()) for v in emails])
        # A name too long to look up alone (255 characters of CJK text encode to about
        # 2,300) is not looked up: PUT refuses it if it clashes (``contact_conflict``).
        base = self._resource_url("Contacts")
        clauses = [c for c in dict.fromkeys(clauses) if len(urls.encoded_url(
            base, [("includeArchived", True), ("where", c)])) <= urls.URL_BUDGET]
        contacts = self._chunked_get("get_contacts", tenant_id, "Contacts", "where", clauses,
                                     urls.or_join, include_archived=True) if clauses else []
        by_number, by_name, by_email = {}, {}, {}
        for element in contacts:
            if element.get("ContactNumber") in numbers:
                by_number.setdefault(element["ContactNumber"], element)
            for name in names:
                if name_key(element.get("Name")) == name_key(name):
                    by_name.setdefault(name, element)
            for email in emails:
                if name_key(element.get("EmailAddress")) == name_key(email):
                    by_email.setdefault(email, element)
        return by_number, by_name, by_email

    def read_by_ids(self, kind, tenant_id, ids):
        """``{xero_id: raw element}`` for invoices, credit notes or contacts by ID.

        For the read-back after webhook events: ``IDs=`` where the SDK offers it
        (invoices, contacts), else a ``CreditNoteID==guid(...)`` where chain; both cut
        to Xero's URL limit (``urls``), so a burst of events never becomes a 404.
        """
        ids = [i for i in dict.fromkeys(ids) if i]
        if not ids:
            return {}
        collection, id_field = KINDS[kind][:2]
        reader = {"invoice": "get_invoices", "credit_note": "get_credit_notes",
                  "contact": "get_contacts"}[kind]
        if kind == "credit_note":
            clauses = [urls.guid_clause(id_field, i) for i in ids]
            elements = self._chunked_get(reader, tenant_id, collection, "where", clauses,
                                         urls.or_join)
        else:
            extra = {"include_archived": True} if kind == "contact" else {}
            elements = self._chunked_get(reader, tenant_id, collection, "i_ds", ids,
                                         urls.csv_join, **extra)
        return {e[id_field]: e for e in elements if e.get(id_field) in ids}

    def allocations_of(self, tenant_id, credit_note_id):
        """The allocations Xero holds for one credit note (raw dicts)."""
        data, _h, _s = self._call(self.accounting, "get_credit_note", tenant_id, credit_note_id)
        notes = (data or {}).get("CreditNotes") or []
        return list(notes[0].get("Allocations") or []) if notes else []

    def history_of(self, kind, tenant_id, xero_id):
        """The history notes Xero holds for one document (``Details`` strings)."""
        method = {"invoice": "get_invoice_history", "credit_note": "get_credit_note_history",
                  "purchase_order": "get_purchase_order_history"}[kind]
        data, _h, _s = self._call(self.accounting, method, tenant_id, xero_id)
        return [h.get("Details") for h in (data or {}).get("HistoryRecords") or []]

    def _find_purchase_orders(self, tenant_id, numbers):
        found = {}
        for number in numbers:
            try:
                data, _h, _s = self._call(self.accounting, "get_purchase_order_by_number",
                                          tenant_id, number)
            except LookupNotFound:
                # One number per URL, so the URL is short: here 404 does mean "none".
                continue
            for element in (data or {}).get("PurchaseOrders") or []:
                found.setdefault(number, element)
        return found

    def _paged(self, method, tenant_id, collection, page_size=100, **kwargs):
        records, page = [], 1
        while True:
            data, _h, _s = self._call(self.accounting, method, tenant_id, page=page,
                                      page_size=page_size, **kwargs)
            batch = (data or {}).get(collection) or []
            records.extend(batch)
            page_count = ((data or {}).get("pagination") or {}).get("pageCount")
            if not batch or (page_count is not None and page >= page_count):
                return records
            page += 1

    def get_reference_data(self, tenant_id):
        """Accounts, tax rates, currencies, tracking categories, items, contacts (all pages)."""
        def read(method, collection, **kwargs):
            data, _h, _s = self._call(self.accounting, method, tenant_id, **kwargs)
            return (data or {}).get(collection) or []

        return {
            "accounts": read("get_accounts", "Accounts"),
            "tax_rates": read("get_tax_rates", "TaxRates"),
            "currencies": read("get_currencies", "Currencies"),
            "tracking_categories": read("get_tracking_categories", "TrackingCategories"),
            "items": read("get_items", "Items", unitdp=4),
            "contacts": self._paged("get_contacts", tenant_id, "Contacts"),
        }

    def organisation(self, tenant_id):
        """The raw ``GET /Organisation`` dict: lock dates (``guards.lock_date_check``),
        country, base currency."""
        data, _h, _s = self._call(self.accounting, "get_organisations", tenant_id)
        organisations = (data or {}).get("Organisations") or []
        return organisations[0] if organisations else {}

    def connections(self):
        """The tenants this token can reach: raw ``/connections`` dicts."""
        data, _h, _s = self._call(self.identity, "get_connections")
        return data or []

    def delete_payment(self, tenant_id, element, idempotency_key=None):
        """``POST /Payments/{id}`` with ``{"Status": "DELETED"}`` for one
        ``payments.deletion_payload``; Xero deletes one payment per request."""
        options = {"idempotency_key": idempotency_key} if idempotency_key else {}
        data, headers, status = self._call(
            self.accounting, "delete_payment", tenant_id, element["PaymentID"],
            {"Status": "DELETED"}, **options)
        elements = (data or {}).get("Payments") or []
        return BatchResult([element_result("payment_delete", e) for e in elements],
                           headers, status)

    def payment_of(self, tenant_id, payment_id):
        """One payment as Xero holds it now (raw dict), or None when Xero has none."""
        try:
            data, _h, _s = self._call(self.accounting, "get_payment", tenant_id, payment_id)
        except LookupNotFound:
            return None
        payments = (data or {}).get("Payments") or []
        return payments[0] if payments else None

    def payments_on(self, kind, tenant_id, ids):
        """``{document id: [payments Xero lists on it]}`` for invoices or credit notes
        (``kind``), read in as few calls as the URL allows (``read_by_ids``)."""
        documents = self.read_by_ids(kind, tenant_id, ids)
        return {doc_id: list(doc.get("Payments") or []) for doc_id, doc in documents.items()}

    # ------------------------------------------------------------ the pull

    def read_changed(self, name, tenant_id, since=None, page=1, page_size=inbound.PAGE_SIZE):
        """One page of collection ``name`` (``inbound.COLLECTIONS``) changed since
        ``since``, oldest change first: ``(elements, pagination)``; ``pagination`` is
        Xero's ``{"page", "pageSize", "pageCount", "itemCount"}`` or None."""
        collection = inbound.COLLECTIONS[name]
        data, _h, _s = self._call(self.accounting, collection.reader, tenant_id,
                                  **inbound.reader_arguments(name, since, page, page_size))
        data = data or {}
        return list(data.get(collection.key) or []), data.get("pagination")

    def read_collection_by_ids(self, name, tenant_id, ids):
        """``{xero_id: raw element}`` of collection ``name`` by ID: ``read_by_ids`` for
        invoices, credit notes and contacts; an ID ``where`` chain, cut to Xero's URL
        limit, for payments, overpayments and prepayments."""
        collection = inbound.COLLECTIONS[name]
        if name in ("invoices", "credit_notes", "contacts"):
            return self.read_by_ids(collection.apply_kind, tenant_id, ids)
        ids = [i for i in dict.fromkeys(ids) if i]
        if not ids:
            return {}
        clauses = [urls.guid_clause(collection.id_field, i) for i in ids]
        elements = self._chunked_get(collection.reader, tenant_id, collection.key, "where",
                                     clauses, urls.or_join)
        return {e[collection.id_field]: e for e in elements
                if e.get(collection.id_field) in ids}
