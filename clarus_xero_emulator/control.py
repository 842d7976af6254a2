"""The /_emulator control and inspection API (no authentication; test use only)."""

import collections
import json

from . import person, seed, webhooks
from .common import Ctx, output, touch
from .faults import FaultError
from .msjson import date_to_ms, iso_utc
from .oauth import OAuthError, direct_token
from .state import COLLECTIONS


def _json(body):
    if not body:
        return {}
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("request body must be JSON")


def handle(server, method, path, query, raw):
    store = server.store
    route = path[len("/_emulator"):].rstrip("/") or "/"
    try:
        body = _json(raw) if method in ("POST", "PUT", "PATCH") else {}
        return _route(store, method, route, query, body)
    except (ValueError, TypeError, FaultError) as exc:
        return 400, {"error": str(exc)}


def _route(store, method, route, query, body):
    """Dispatch on (method, route); "*" routes answer any method not listed on their own."""
    handler = _ROUTES.get((method, route)) or _ROUTES.get(("*", route))
    if handler is not None:
        return handler(store, query, body)
    if route.startswith("/documents/") and method == "GET":
        return _documents(store, route.split("/", 2)[2], query)
    return 404, {"error": "unknown control endpoint %s %s" % (method, route)}


def _health(store, query, body):
    return 200, {"ok": True}


def _calls(store, query, body):
    with store.lock:
        return 200, {"total": sum(store.calls.values()), "by_endpoint": dict(store.calls),
                     "by_tenant": {t: dict(c) for t, c in store.calls_by_tenant.items()},
                     "rate_limited": store.rate_limited}


def _requests(store, query, body):
    """The last ``limit`` requests, oldest first; ``time`` and ``end`` are when each was
    received and answered, so that calls in flight together can be counted."""
    limit = int(query.get("limit") or 100)
    with store.lock:
        rows = list(store.log)[-limit:] if limit > 0 else []
    return 200, {"requests": rows}


def _reset(store, query, body):
    store.reset_all(seed=bool(body.get("seed", True)))
    return 200, {"ok": True, "tenants": _tenants(store)}


def _add_faults(store, query, body):
    # One fault spec as the body, or several under "faults".
    specs = body.get("faults") if isinstance(body.get("faults"), list) else [body]
    for spec in specs:
        store.faults.add(spec)
    return _list_faults(store, query, body)


def _clear_faults(store, query, body):
    store.faults.clear()
    return 200, {"faults": []}


def _list_faults(store, query, body):
    return 200, {"faults": store.faults.list()}


def _configure_limits(store, query, body):
    store.limits.configure(body.get("minute_limit"), body.get("day_limit"),
                           body.get("concurrent_limit"), body.get("app_minute_limit"))
    if body.get("reset_windows"):
        store.limits.reset()
    if "latency" in body:
        store.latency = _latency(body["latency"])
    if body.get("request_log_size"):
        with store.lock:
            store.log = collections.deque(store.log, maxlen=int(body["request_log_size"]))
    return _limits_config(store, query, body)


def _latency(value):
    """{"base": s, "per_record": s}: every Accounting call takes base seconds, plus
    per_record for each record a PUT/POST carries (Xero takes 0.5-2 s for 50 invoices)."""
    value = value or {}
    latency = {"base": float(value.get("base") or 0), "per_record":
               float(value.get("per_record") or 0)}
    if latency["base"] < 0 or latency["per_record"] < 0:
        raise ValueError("latency must not be negative")
    return latency


def _limits_config(store, query, body):
    return 200, dict(store.limits.config(), latency=getattr(store, "latency", None),
                     request_log_size=store.log.maxlen)


def _advance_clock(store, query, body):
    store.clock.advance(float(body.get("advance_seconds", 0)))
    return _clock(store, query, body)


def _clock(store, query, body):
    return 200, {"offset_seconds": store.clock.offset, "now": iso_utc(store.clock.now())}


def _clear_contract_violations(store, query, body):
    with store.lock:
        store.contract_violations.clear()
    return _contract_violations(store, query, body)


def _contract_violations(store, query, body):
    with store.lock:
        return 200, {"violations": list(store.contract_violations)}


def _issue_token(store, query, body):
    try:
        return 200, direct_token(store, body.get("client_id") or "clarus-demo-client",
                                 body.get("tenant_ids"), body.get("scope"))
    except OAuthError as exc:
        return 400, exc.body


def _list_tenants(store, query, body):
    return 200, {"tenants": _tenants(store)}


def _add_tenant(store, query, body):
    """{"name", "country_code"?: "NZ"|"AU"}: a new organisation with the seed chart,
    tax rates and currencies of that country; every later consent grants it too."""
    name = (body.get("name") or "").strip()
    if not name:
        raise ValueError("name is required")
    country = (body.get("country_code") or "NZ").upper()
    if country not in ("NZ", "AU"):
        raise ValueError("country_code must be NZ or AU")
    with store.lock:
        if any(org.name == name for org in store.orgs.values()):
            raise ValueError("an organisation named %r exists" % name)
        if country == "NZ":
            org = seed.seed_org(store, name, "NZD", "NZ", seed.NZ_ACCOUNTS, seed.NZ_TAX,
                                ["NZD", "AUD"], [("Region", ["North", "South"])],
                                "!c%04d" % len(store.orgs))
        else:
            org = seed.seed_org(store, name, "AUD", "AU", seed.AU_ACCOUNTS, seed.AU_TAX,
                                ["AUD"], [], "!c%04d" % len(store.orgs))
    return 200, {"tenantId": org.tenant_id, "tenantName": org.name,
                 "baseCurrency": org.base_currency, "countryCode": org.country_code}


def _add_client(store, query, body):
    """Register an app; ``legacy: true`` = created before 2 March 2026 (broad scopes)."""
    if not body.get("client_id"):
        raise ValueError("client_id is required")
    store.add_client(body["client_id"], body.get("client_secret") or "",
                     body.get("redirect_uris") or [], legacy=bool(body.get("legacy")))
    return 200, {"client_id": body["client_id"], "legacy": bool(body.get("legacy"))}


def _org(store, body):
    org = store.orgs.get(body.get("tenant_id") or "")
    if org is None:
        raise ValueError("unknown tenant_id %r" % body.get("tenant_id"))
    return org


def _set_lock_dates(store, query, body):
    """{"tenant_id", "period_lock_date"?, "end_of_year_lock_date"?}: "YYYY-MM-DD" sets,
    null clears, absent keeps. GET /Organisation then shows them (MS date form)."""
    with store.lock:
        org = _org(store, body)
        for key, field in (("period_lock_date", "PeriodLockDate"),
                           ("end_of_year_lock_date", "EndOfYearLockDate")):
            if key not in body:
                continue
            if body[key] is None:
                org.organisation.pop(field, None)
            else:
                org.organisation[field] = date_to_ms(body[key])
        return 200, {"tenant_id": org.tenant_id,
                     "PeriodLockDate": org.organisation.get("PeriodLockDate"),
                     "EndOfYearLockDate": org.organisation.get("EndOfYearLockDate")}


def _merge_contacts(store, query, body):
    """{"tenant_id", "from_contact_id", "into_contact_id"}: as when a user merges contacts in
    Xero, the first is ARCHIVED with MergedToContactID and its documents move to the second."""
    with store.lock:
        org = _org(store, body)
        contacts = org.data["Contacts"]
        source = contacts.get(body.get("from_contact_id") or "")
        target = contacts.get(body.get("into_contact_id") or "")
        if source is None or target is None or source is target:
            raise ValueError("from_contact_id and into_contact_id must be two known contacts")
        ctx = Ctx(store, org, "POST", {}, body, {}, [])
        moved = 0
        for coll in ("Invoices", "CreditNotes", "PurchaseOrders", "Overpayments",
                     "Prepayments"):
            for doc in org.data[coll].values():
                if doc.get("Contact", {}).get("ContactID") == source["ContactID"]:
                    doc["Contact"] = {"ContactID": target["ContactID"]}
                    touch(ctx, doc)  # UpdatedDateUTC moves, an UPDATE event is queued
                    moved += 1
        source.update(ContactStatus="ARCHIVED", MergedToContactID=target["ContactID"])
        touch(ctx, source)
        touch(ctx, target)
        org.add_history("Contacts", source["ContactID"], "Merged",
                        "Merged into %s" % target["Name"], ctx.now)
        org.add_history("Contacts", target["ContactID"], "Merged",
                        "%s merged into this contact" % source["Name"], ctx.now)
        return 200, {"contact_id": source["ContactID"], "merged_to": target["ContactID"],
                     "moved_documents": moved}


def _disconnect(store, query, body):
    """{"tenant_id", "client_id"?}: the organisation disconnects the app (every grant of
    that client, or of every client); its calls then answer 403."""
    with store.lock:
        org = _org(store, body)
        count = 0
        for grant in store.grants.values():
            if body.get("client_id") not in (None, grant["client_id"]):
                continue
            if grant["tenants"].pop(org.tenant_id, None) is not None:
                count += 1
        return 200, {"tenant_id": org.tenant_id, "disconnected_grants": count}


_ROUTES = {
    ("*", "/health"): _health,
    ("GET", "/calls"): _calls,
    ("GET", "/requests"): _requests,
    ("POST", "/reset"): _reset,
    ("POST", "/faults"): _add_faults,
    ("DELETE", "/faults"): _clear_faults,
    ("*", "/faults"): _list_faults,
    ("POST", "/config"): _configure_limits,
    ("*", "/config"): _limits_config,
    ("POST", "/clock"): _advance_clock,
    ("*", "/clock"): _clock,
    ("DELETE", "/contract-violations"): _clear_contract_violations,
    ("*", "/contract-violations"): _contract_violations,
    ("POST", "/tokens"): _issue_token,
    ("GET", "/tenants"): _list_tenants,
    ("POST", "/tenants"): _add_tenant,
    ("POST", "/clients"): _add_client,
    ("POST", "/lock-dates"): _set_lock_dates,
    ("POST", "/merge-contacts"): _merge_contacts,
    ("POST", "/disconnect"): _disconnect,
}
_ROUTES.update(person.ROUTES)
_ROUTES.update(webhooks.ROUTES)


def _tenants(store):
    with store.lock:
        return [{"tenantId": o.tenant_id, "tenantName": o.name, "baseCurrency": o.base_currency,
                 "countryCode": o.country_code} for o in store.orgs.values()]


def _documents(store, collection, query):
    with store.lock:
        tenant = query.get("tenant") or next(iter(store.orgs), None)
        org = store.orgs.get(tenant)
        if org is None:
            return 404, {"error": "unknown tenant %s" % tenant}
        match = next((c for c in COLLECTIONS if c.lower() == collection.lower()), None)
        if match is None:
            return 404, {"error": "unknown collection %s" % collection}
        ctx = Ctx(store, org, "GET", {"unitdp": "4"}, None, {}, [])
        records = [output(ctx, r) for r in org.data[match].values()]
        return 200, {"tenant": tenant, "collection": match, "records": records}
