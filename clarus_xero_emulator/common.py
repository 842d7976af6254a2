"""Shared pieces of the Accounting API handlers: errors, envelopes, lookups, rendering."""

import copy

from .msjson import date_to_ms, ms_date
from .state import new_id

PROVIDER_NAME = "Clarus Xero Emulator"
DATE_FIELDS = ("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate", "DeliveryDate",
               "ExpectedArrivalDate", "FullyPaidOnDate")


class ApiError(Exception):
    """A complete non-2xx answer."""

    def __init__(self, status, body):
        super().__init__(status)
        self.status = status
        self.body = body


class Invalid(Exception):
    """Validation errors for one element (a list of Xero-worded messages)."""

    def __init__(self, messages):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def not_found(what="The resource you're looking for cannot be found"):
    return ApiError(404, {"Title": "Not Found", "Status": 404, "Detail": what})


def bad_request(message, error_type="ValidationException", number=10):
    return ApiError(400, {"ErrorNumber": number, "Type": error_type, "Message": message})


def validation_exception(elements):
    return ApiError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                          "Message": "A validation exception occurred", "Elements": elements})


class Ctx:
    """Everything a handler needs about one accepted request."""

    def __init__(self, store, org, method, params, body, headers, path_args):
        self.store = store
        self.org = org
        self.method = method
        self.params = params
        self.body = body
        self.headers = headers
        self.args = path_args
        self.now = store.clock.now()

    def param(self, name, default=None):
        low = name.lower()
        for key, value in self.params.items():
            if key.lower() == low:
                return value
        return default

    def flag(self, name, default=False):
        value = self.param(name)
        if value is None:
            return default
        return str(value).strip().lower() in ("true", "1", "yes")

    @property
    def summarize(self):
        return self.flag("summarizeErrors", True)

    @property
    def unitdp(self):
        return 4 if str(self.param("unitdp", "")) == "4" else 2

    @property
    def data(self):
        return self.org.data


def envelope(ctx, collection, records, pagination=None):
    body = {"Id": new_id(), "Status": "OK", "ProviderName": PROVIDER_NAME,
            "DateTimeUTC": ms_date(ctx.now)}
    if pagination is not None:
        body["pagination"] = pagination
    body[collection] = records
    return 200, body


def elements_of(ctx, collection, single_ok=True):
    """The list of elements in a request body: {"Coll": [...]} or a bare single object."""
    body = ctx.body
    if isinstance(body, dict) and isinstance(body.get(collection), list):
        items = body[collection]
    elif isinstance(body, dict) and single_ok and body and collection not in body:
        items = [body]
    elif isinstance(body, list):
        items = body
    else:
        raise bad_request("The request body must contain a %s collection" % collection)
    if not all(isinstance(i, dict) for i in items):
        raise bad_request("Every element of %s must be an object" % collection)
    return items


def echo(element):
    """An element as sent, with dates normalised so any client can read it back."""
    out = copy.deepcopy(element)
    for field in DATE_FIELDS:
        if field in out:
            try:
                out[field] = date_to_ms(out[field])
            except ValueError:
                out.pop(field)
    for key in ("ValidationErrors", "Warnings"):
        out.pop(key, None)
    return out


def run_batch(ctx, collection, elements, fn, error_flag=None, render=None):
    """Process elements in order; honour summarizeErrors exactly as Xero does.

    With summarizeErrors=true (the default) any failing element gives a 400
    ValidationException listing the failing elements; the valid ones ARE still created.
    """
    results, failures = [], []
    for element in elements:
        try:
            record = fn(element)
            out = (render or output)(ctx, record)
            out["StatusAttributeString"] = "OK"
        except Invalid as exc:
            out = echo(element)
            out["StatusAttributeString"] = "ERROR"
            out["ValidationErrors"] = [{"Message": m} for m in exc.messages]
            if error_flag:
                out[error_flag] = True
            failures.append(out)
        results.append(out)
    if failures and ctx.summarize:
        raise validation_exception(failures)
    return envelope(ctx, collection, results)


def single(ctx, collection, element, fn, render=None):
    """One element (Accounts, Currencies, ...): any error is a 400 ValidationException."""
    try:
        record = fn(element)
    except Invalid as exc:
        out = echo(element)
        out["ValidationErrors"] = [{"Message": m} for m in exc.messages]
        raise validation_exception([out])
    return envelope(ctx, collection, [(render or output)(ctx, record)])


def output(ctx, record):
    """A stored record as the API shows it (internal keys dropped, contact summary fresh)."""
    out = {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}
    contact = out.get("Contact")
    if isinstance(contact, dict) and contact.get("ContactID"):
        stored = ctx.data["Contacts"].get(contact["ContactID"])
        if stored:
            out["Contact"] = contact_summary(stored)
    if ctx.unitdp != 4:
        for line in out.get("LineItems") or []:
            if isinstance(line.get("UnitAmount"), float):
                line["UnitAmount"] = round(line["UnitAmount"] + 0.0, 2)
        for details in ("SalesDetails", "PurchaseDetails"):
            d = out.get(details)
            if isinstance(d, dict) and isinstance(d.get("UnitPrice"), float):
                d["UnitPrice"] = round(d["UnitPrice"], 2)
    return out


def contact_summary(contact):
    out = {"ContactID": contact["ContactID"], "Name": contact["Name"],
           "ContactStatus": contact.get("ContactStatus", "ACTIVE"), "Addresses": [],
           "Phones": [], "ContactGroups": [], "ContactPersons": [],
           "HasValidationErrors": False}
    if contact.get("ContactNumber"):
        out["ContactNumber"] = contact["ContactNumber"]
    for key in ("EmailAddress", "FirstName", "LastName"):
        if contact.get(key):
            out[key] = contact[key]
    return out


def find_by_id(ctx, collection, value, number_field=None):
    """Look a record up by its GUID (case-insensitive) or by a number/code field."""
    if value is None:
        return None
    records = ctx.data[collection]
    text = str(value)
    rec = records.get(text) or records.get(text.lower())
    if rec is None:
        low = text.lower()
        rec = next((r for k, r in records.items() if k.lower() == low), None)
    if rec is None and number_field:
        rec = next((r for r in records.values() if str(r.get(number_field) or "") == text), None)
    return rec


def account_by_code(ctx, code):
    code = str(code)
    return next((a for a in ctx.data["Accounts"].values()
                 if a["Code"] == code and a["Status"] == "ACTIVE"), None)


def account_ref(ctx, ref):
    """Resolve {"AccountID"|"Code"} to an active account (or None)."""
    if not isinstance(ref, dict):
        return None
    if ref.get("AccountID"):
        acc = find_by_id(ctx, "Accounts", ref["AccountID"])
        return acc if acc and acc["Status"] == "ACTIVE" else None
    if ref.get("Code"):
        return account_by_code(ctx, ref["Code"])
    return None


def tax_rate(ctx, tax_type):
    rate = ctx.data["TaxRates"].get(str(tax_type))
    return rate if rate and rate["Status"] == "ACTIVE" else None


def item_by_code(ctx, code):
    return next((i for i in ctx.data["Items"].values() if i["Code"] == str(code)), None)


def removed_account_message(code):
    return ("Account code '%s' has been removed as it does not match a recognised account."
            % code)


def touch(ctx, record):
    """Mark a record created or changed now: UpdatedDateUTC moves and, for the kinds Xero
    sends webhooks for (invoices, credit notes, contacts), an event is queued."""
    created = "UpdatedDateUTC" not in record
    record["UpdatedDateUTC"] = ms_date(ctx.now)
    record["_updated"] = ctx.now
    ctx.store.webhooks.on_change(ctx.store, ctx.org, record, created, ctx.now)
