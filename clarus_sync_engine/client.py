"""The Xero client: builds the SDK ``ApiClient`` and sends batches through it.

``make_api_client`` follows the project's SDK rules: one thread, no hidden urllib3
retries (its default sleeps a full ``Retry-After`` on a day-limit 429, for hours), a
per-request timeout, and token URLs set per client (``tokens.EndpointOAuth2Token``).

``XeroGateway`` calls the SDK with ``_preload_content=False`` and parses the JSON
itself. Why: the SDK's model deserialiser raises ``ValueError`` on any enum value or
date format it does not know, and a document Xero *did* save would then look like a
failure and be sent again. Raw JSON also gives the response headers to the pacer.
SDK exceptions (``HTTPStatusException`` and subclasses) still propagate for
``retry.classify``; their headers are fed to the pacer first.
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

from .tokens import EndpointOAuth2Token, sdk_token

ElementResult = namedtuple("ElementResult", "ok xero_id number status errors warnings raw")
BatchResult = namedtuple("BatchResult", "results headers status")

# kind -> (collection key, id field, number field, SDK batch method, body argument name)
KINDS = {
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
    "allocation": ("Allocations", "AllocationID", None, None, None),
    "history": ("HistoryRecords", None, None, None, None),
}
# Batch methods that accept unitdp (4-decimal unit prices).
UNITDP_KINDS = frozenset({"item", "invoice", "credit_note"})
HISTORY_METHODS = {
    "invoice": ("create_invoice_history", "invoice_id"),
    "credit_note": ("create_credit_note_history", "credit_note_id"),
    "purchase_order": ("create_purchase_order_history", "purchase_order_id"),
    "payment": ("create_payment_history", "payment_id"),
    "contact": ("create_contact_history", "contact_id"),
    "item": ("create_item_history", "item_id"),
}


class PacingStop(Exception):
    """The pacer says stop: reschedule the job ``decision.wait`` seconds from now."""

    def __init__(self, decision):
        super().__init__(decision.reason)
        self.decision = decision


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
                         raw=element)


SUMMARY_KEYS = ("Status", "Total", "AmountDue", "Name", "Code", "ContactStatus", "Details",
                "Amount")


def response_summary(element, note=None):
    """The few fields of a Xero answer worth keeping with the job, as JSON text."""
    summary = {k: element.get(k) for k in SUMMARY_KEYS if element and element.get(k) is not None}
    if note:
        summary["note"] = note
    return json.dumps(summary, default=str)


def _where_any(field, values):
    def quoted(value):
        return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')
    return " OR ".join("%s==%s" % (field, quoted(v)) for v in values)


def _where_chunks(clauses, limit):
    """Join ``where`` clauses with OR into strings of at most ``limit`` characters."""
    chunk, size = [], 0
    for clause in clauses:
        if chunk and size + len(clause) + 4 > limit:
            yield " OR ".join(chunk)
            chunk, size = [], 0
        chunk.append(clause)
        size += len(clause) + 4
    if chunk:
        yield " OR ".join(chunk)


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

    def find_existing(self, kind, tenant_id, keys, field=None):
        """``{key: raw Xero element}`` for the keys already in Xero (before a resend).

        ``field`` defaults to the kind's number field (InvoiceNumber, ContactNumber,
        Code, CreditNoteNumber, PurchaseOrderNumber); pass ``"Reference"`` to search
        invoices by reference.
        """
        keys = [k for k in dict.fromkeys(keys) if k]
        if not keys:
            return {}
        collection, _id, number_field = KINDS[kind][:3]
        field = field or number_field
        if kind == "invoice" and field == "InvoiceNumber":
            data, _h, _s = self._call(self.accounting, "get_invoices", tenant_id,
                                      invoice_numbers=keys, unitdp=4)
        elif kind == "purchase_order":
            return self._find_purchase_orders(tenant_id, keys)
        else:
            reader = {"contact": "get_contacts", "item": "get_items",
                      "credit_note": "get_credit_notes", "payment": "get_payments",
                      "invoice": "get_invoices"}[kind]
            # Archived contacts still hold their code and name: the caller must see them.
            extra = {"include_archived": True} if kind == "contact" else {}
            data, _h, _s = self._call(self.accounting, reader, tenant_id,
                                      where=_where_any(field, keys), **extra)
        found = {}
        for element in (data or {}).get(collection) or []:
            if element.get(field) in keys:
                found.setdefault(element[field], element)
        return found

    def find_contacts(self, tenant_id, numbers=(), names=(), emails=(), max_where=4000):
        """Contacts (archived ones included) by code, name or email, in as few calls as
        the URL allows: ``(by_number, by_name, by_email)``, each ``{value: raw contact}``."""
        wanted = {"ContactNumber": {v for v in numbers if v}, "Name": {v for v in names if v},
                  "EmailAddress": {v for v in emails if v}}
        clauses = [_where_any(field, [value]) for field, values in wanted.items()
                   for value in sorted(values)]
        found = {field: {} for field in wanted}
        for where in _where_chunks(clauses, max_where):
            data, _h, _s = self._call(self.accounting, "get_contacts", tenant_id, where=where,
                                      include_archived=True)
            for element in (data or {}).get("Contacts") or []:
                for field, values in wanted.items():
                    if element.get(field) in values:
                        found[field].setdefault(element[field], element)
        return found["ContactNumber"], found["Name"], found["EmailAddress"]

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
            except Exception as exc:
                if getattr(exc, "status", None) == 404:
                    continue
                raise
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

    def connections(self):
        """The tenants this token can reach: raw ``/connections`` dicts."""
        data, _h, _s = self._call(self.identity, "get_connections")
        return data or []
