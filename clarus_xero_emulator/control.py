"""The /_emulator control and inspection API (no authentication; test use only)."""

import json

from .common import Ctx, output
from .faults import FaultError
from .msjson import iso_utc
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
    if route == "/health":
        return 200, {"ok": True}
    if route == "/calls" and method == "GET":
        with store.lock:
            return 200, {"total": sum(store.calls.values()), "by_endpoint": dict(store.calls),
                         "by_tenant": {t: dict(c) for t, c in store.calls_by_tenant.items()},
                         "rate_limited": store.rate_limited}
    if route == "/requests" and method == "GET":
        limit = int(query.get("limit") or 100)
        with store.lock:
            rows = list(store.log)[-limit:] if limit > 0 else []
        return 200, {"requests": rows}
    if route.startswith("/documents/") and method == "GET":
        return _documents(store, route.split("/", 2)[2], query)
    if route == "/reset" and method == "POST":
        store.reset_all(seed=bool(body.get("seed", True)))
        return 200, {"ok": True, "tenants": _tenants(store)}
    if route == "/faults":
        if method == "POST":
            specs = body.get("faults") if isinstance(body.get("faults"), list) else [body]
            for spec in specs:
                store.faults.add(spec)
            return 200, {"faults": store.faults.list()}
        if method == "DELETE":
            store.faults.clear()
            return 200, {"faults": []}
        return 200, {"faults": store.faults.list()}
    if route == "/config":
        if method == "POST":
            store.limits.configure(body.get("minute_limit"), body.get("day_limit"),
                                   body.get("concurrent_limit"), body.get("app_minute_limit"))
            if body.get("reset_windows"):
                store.limits.reset()
        return 200, store.limits.config()
    if route == "/clock":
        if method == "POST":
            store.clock.advance(float(body.get("advance_seconds", 0)))
        return 200, {"offset_seconds": store.clock.offset, "now": iso_utc(store.clock.now())}
    if route == "/contract-violations":
        if method == "DELETE":
            with store.lock:
                store.contract_violations.clear()
        with store.lock:
            return 200, {"violations": list(store.contract_violations)}
    if route == "/tokens" and method == "POST":
        try:
            return 200, direct_token(store, body.get("client_id") or "clarus-demo-client",
                                     body.get("tenant_ids"), body.get("scope"))
        except OAuthError as exc:
            return 400, exc.body
    if route == "/tenants" and method == "GET":
        return 200, {"tenants": _tenants(store)}
    if route == "/clients" and method == "POST":
        if not body.get("client_id"):
            raise ValueError("client_id is required")
        store.add_client(body["client_id"], body.get("client_secret") or "",
                         body.get("redirect_uris") or [])
        return 200, {"client_id": body["client_id"]}
    return 404, {"error": "unknown control endpoint %s %s" % (method, route)}


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
