"""HTTP plumbing: one ThreadingHTTPServer serving OAuth, /connections, the Accounting API
and the /_emulator control API on a single base URL."""

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import accounting, contract, control, oauth, scopes
from .common import ApiError, Ctx
from .idempotency import MAX_KEY_LENGTH, fingerprint
from .msjson import dumps
from .state import Store

API_PREFIX = "/api.xro/2.0"
# S24: a URL (path + query as sent, percent-encoded) over about 2,000 characters answers
# 404 "The resource you're looking for cannot be found", not 400.
MAX_URL_LENGTH = 2000
URL_TOO_LONG = {"Title": "Not Found", "Status": 404,
                "Detail": "The resource you're looking for cannot be found"}


class Reply(Exception):
    """Finish the request early with this answer."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ClarusXeroEmulator/1.0"

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_GET(self):
        self._dispatch()

    do_PUT = do_POST = do_DELETE = do_PATCH = do_GET

    # -- helpers ----------------------------------------------------------------------------
    def _send(self, status, body, headers=None):
        if isinstance(body, (dict, list)):
            payload, ctype = dumps(body), "application/json; charset=utf-8"
        elif isinstance(body, bytes):
            payload, ctype = body, "application/json; charset=utf-8"
        else:
            payload, ctype = str(body or "").encode("utf-8"), "text/plain; charset=utf-8"
        if status == 204:
            payload = b""
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Type", ctype)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _drop(self):
        self.close_connection = True

    # -- main entry ---------------------------------------------------------------------------
    def _dispatch(self):
        store = self.server.store
        method = self.command.upper()
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        body = self._read_body()
        if path.startswith("/_emulator"):
            status, out = control.handle(self.server, method, path, query, body)
            return self._send(status, out)
        entry = self._log_entry(store, method, url)
        endpoint = "%s %s" % (method, path)
        try:
            if len(self.path) > MAX_URL_LENGTH:
                raise Reply(404, URL_TOO_LONG)
            fault = store.faults.match(method, path)
            if fault and self._inject_fault(store, fault, entry):
                return
            endpoint, status, out, headers = self._answer(store, method, url, query, body,
                                                          entry, fault)
            if fault and fault["mode"] == "timeout":
                # The work is done but the client never hears back, as on a lost response.
                entry["status"] = "timeout"
                time.sleep(fault["hold"])
                return self._drop()
            entry["status"] = status
            entry["end"] = store.clock.now()
            self._send(status, out, headers)
        except Reply as reply:
            entry["status"] = reply.status
            entry["end"] = store.clock.now()
            self._send(reply.status, reply.body, reply.headers)
        finally:
            store.record_call(entry, endpoint)

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _log_entry(self, store, method, url):
        """The request log row; status and fault are filled in as the request is answered."""
        return {"time": store.clock.now(), "method": method, "path": url.path,
                "query": url.query, "idempotency_key": self.headers.get("Idempotency-Key"),
                "tenant": self.headers.get("xero-tenant-id"), "status": None, "fault": None}

    def _inject_fault(self, store, fault, entry):
        """Act out a fault that strikes before the request is handled.

        Returns True when the connection was dropped and raises Reply for an injected answer;
        returns False for faults that act while or after the request is handled."""
        entry["fault"] = fault["mode"]
        if fault["mode"] == "drop":
            entry["status"] = "dropped"
            self._drop()
            return True
        if fault["mode"] == "error":
            raise Reply(fault["status"], {"Title": "Service Unavailable",
                                          "Status": fault["status"],
                                          "Detail": "Injected fault"})
        if fault["mode"] == "rate_limit":
            retry = fault["retry_after"] or store.limits.retry_after(
                entry["tenant"], fault["problem"])
            headers = store.limits.headers(entry["tenant"], None)
            headers.update({"X-Rate-Limit-Problem": fault["problem"],
                            "Retry-After": str(int(retry))})
            raise Reply(429, {"Title": "Too Many Requests", "Status": 429,
                              "Detail": "Rate limit exceeded"}, headers)
        return False

    def _answer(self, store, method, url, query, body, entry, fault):
        """-> (endpoint template, status, body, headers) from the Accounting API or identity."""
        path = url.path
        if path.startswith(API_PREFIX + "/"):
            return self._accounting(store, method, path[len(API_PREFIX):], url.query, query,
                                    body, entry, fault)
        return self._identity(store, method, path, query, body)

    # -- OAuth and identity ---------------------------------------------------------------------
    def _form(self, body):
        return dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                           keep_blank_values=True))

    def _identity(self, store, method, path, query, body):
        low = path.lower().rstrip("/")
        auth = self.headers.get("Authorization")
        if low == "/identity/connect/authorize" and method == "GET":
            status, headers, out = oauth.authorize(store, query)
            return "GET /identity/connect/authorize", status, out, headers
        if low == "/connect/token" and method == "POST":
            status, out = oauth.token(store, self._form(body), auth)
            return "POST /connect/token", status, out, {"Cache-Control": "no-store"}
        if low == "/connect/revocation" and method == "POST":
            status, out = oauth.revoke(store, self._form(body), auth)
            return "POST /connect/revocation", status, out, {}
        if low == "/connections" or low.startswith("/connections/"):
            template = "%s /connections%s" % (method, "" if low == "/connections" else "/{id}")
            grant = oauth.bearer_grant(store, auth)
            if grant is None:
                return template, 401, {"Title": "Unauthorized", "Status": 401,
                                       "Detail": "AuthenticationUnsuccessful"}, {}
            if low == "/connections" and method == "GET":
                return template, 200, oauth.list_connections(store, grant, query), {}
            if low != "/connections" and method == "DELETE":
                found = oauth.delete_connection(store, grant, path.rstrip("/").rsplit("/", 1)[1])
                return template, (204 if found else 404), "", {}
            return template, 405, {"Title": "Method Not Allowed", "Status": 405}, {}
        return "%s %s" % (method, path), 404, {"Title": "Not Found", "Status": 404}, {}

    # -- Accounting -----------------------------------------------------------------------------
    def _accounting(self, store, method, sub_path, raw_query, query, body, entry, fault):
        tenant = entry["tenant"]
        grant = oauth.bearer_grant(store, self.headers.get("Authorization"))
        limit_headers = store.limits.headers(tenant if grant else None,
                                             grant["client_id"] if grant else None)
        found = accounting.match(method, sub_path)
        endpoint = "%s %s" % (method, found[0] if found else sub_path)
        refusal = _refusal(store, grant, tenant, method, sub_path)
        if refusal is not None:
            status, out, challenge = refusal
            if challenge:
                limit_headers["WWW-Authenticate"] = challenge
            return endpoint, status, out, limit_headers
        client = grant["client_id"]
        problem = store.limits.acquire(tenant, client)
        if problem:
            headers = store.limits.headers(tenant, client)
            headers["X-Rate-Limit-Problem"] = problem[0]
            if problem[1] is not None:
                headers["Retry-After"] = str(problem[1])
            return endpoint, 429, {"Title": "Too Many Requests", "Status": 429,
                                   "Detail": "Rate limit exceeded"}, headers
        try:
            if fault and fault["mode"] == "slow":
                time.sleep(fault["delay"])
            # Xero's own time to answer, spent holding the call's concurrency slot and
            # outside the store's lock, so that organisations are served in parallel.
            delay = _latency(store, method, body)
            if delay:
                time.sleep(delay)
            status, out = self._run(store, method, sub_path, raw_query, query, body, tenant,
                                    client, found, endpoint)
        finally:
            store.limits.release(tenant)
        headers = store.limits.headers(tenant, client)
        if isinstance(out, tuple):
            out, headers["X-Emulator-Idempotent-Replay"] = out[0], "true"
        return endpoint, status, out, headers

    def _run(self, store, method, sub_path, raw_query, query, body, tenant, client, found,
             endpoint):
        key = self.headers.get("Idempotency-Key") if method in ("PUT", "POST", "PATCH") else None
        if key is not None and (not key or len(key) > MAX_KEY_LENGTH):
            return 400, {"ErrorNumber": 10, "Type": "ValidationException",
                         "Message": "Idempotency-Key must be 1 to %d characters" % MAX_KEY_LENGTH}
        violation = None
        if store.spec_path and found and found[1] is not None:
            headers = {k: v for k, v in self.headers.items()}
            ims = headers.get("If-Modified-Since")
            if ims:
                headers["If-Modified-Since"] = _rfc3339(ims)
            violation = contract.validate(store.spec_path, method, sub_path, query, headers, body,
                                          self.headers.get("Content-Type"))
        fp = fingerprint(method, sub_path.lower(), raw_query, body)
        with store.lock:
            if key:
                outcome, stored = store.idempotency.lookup(client, key, fp)
                if outcome == "replay":
                    return stored["status"], (stored["body"],)
                if outcome == "mismatch":
                    return 400, {"ErrorNumber": 10, "Type": "ValidationException",
                                 "Message": "The Idempotency-Key '%s' has already been used "
                                            "with a different request (method, URL or body)."
                                            % key}
            status, out = self._handle(store, method, sub_path, query, body, tenant, found,
                                       violation, endpoint)
            payload = dumps(out)
            if key:
                store.idempotency.store(client, key, fp, status, payload)
            return status, payload

    def _handle(self, store, method, sub_path, query, body, tenant, found, violation, endpoint):
        if found is None:
            return 404, {"Title": "Not Found", "Status": 404,
                         "Detail": "The resource you're looking for cannot be found"}
        template, handler, args = found
        if handler is None:
            return 405, {"Title": "Method Not Allowed", "Status": 405}
        if violation:
            store.contract_violations.append({"time": store.clock.now(), "endpoint": endpoint,
                                              "path": sub_path, "message": violation})
            return 400, {"ErrorNumber": 10, "Type": "ContractViolation", "Message": violation}
        parsed = None
        if body and method in ("PUT", "POST", "PATCH"):
            try:
                parsed = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return 400, {"ErrorNumber": 14, "Type": "PostDataInvalidException",
                             "Message": "The request body is not valid JSON"}
        headers = {k: v for k, v in self.headers.items()}
        ctx = Ctx(store, store.orgs[tenant], method, query, parsed, headers, args)
        try:
            return handler(ctx)
        except ApiError as exc:
            return exc.status, exc.body


def _latency(store, method, body):
    """Seconds this call takes, from ``POST /_emulator/config {"latency": ...}``."""
    latency = getattr(store, "latency", None)
    if not latency:
        return 0.0
    records = 0
    if latency["per_record"] and body and method in ("PUT", "POST"):
        try:
            parsed = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            parsed = None
        if isinstance(parsed, dict):
            records = sum(len(v) for v in parsed.values() if isinstance(v, list))
    return latency["base"] + latency["per_record"] * records


def _problem(status, title, detail):
    """Xero's identity/gateway error shape (401/403)."""
    return {"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": None,
            "Extensions": {}}


def _refusal(store, grant, tenant, method, sub_path):
    """-> (status, body, WWW-Authenticate or None) when the call may not go on, else None.

    Order: token, then scope (a property of the token), then tenant connection."""
    if grant is None:
        return 401, _problem(401, "Unauthorized", "AuthenticationUnsuccessful"), \
            'Bearer error="invalid_token"'
    # S7, XERO_API.md §1: a call outside the granted scopes answers 401 insufficient_scope.
    if not scopes.allowed(grant["scope"], method, sub_path):
        return 401, _problem(401, "Unauthorized", "AuthorizationUnsuccessful"), \
            'Bearer error="insufficient_scope"'
    # S7, §8: no xero-tenant-id, or a tenant not connected to this grant (never connected
    # or disconnected since), answers 403.
    if not tenant or tenant not in grant["tenants"] or tenant not in store.orgs:
        return 403, _problem(403, "Forbidden", "AuthenticationUnsuccessful"), None
    return None


def _rfc3339(value):
    from .msjson import parse_timestamp

    try:
        ts = parse_timestamp(value)
    except ValueError:
        return value
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, store):
        super().__init__(address, Handler)
        self.store = store
        host, port = self.server_address[:2]
        store.public_url = "http://%s:%d" % (host if ":" not in host else "[%s]" % host, port)


class EmulatorHandle:
    """A running emulator: ``base_url``, ``port``, ``state`` (the Store) and ``stop()``."""

    def __init__(self, server, thread):
        self._server = server
        self._thread = thread
        self.state = server.store
        host, port = server.server_address[:2]
        self.host = host
        self.port = port
        self.base_url = "http://%s:%d" % (host if ":" not in host else "[%s]" % host, port)

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def make_server(host="127.0.0.1", port=0, seed=True, spec_path=None, minute_limit=60,
                day_limit=5000, concurrent_limit=5):
    store = Store(minute_limit, day_limit, concurrent_limit)
    store.spec_path = spec_path or None
    store.latency = None
    store.reset_all(seed=seed)
    return EmulatorServer((host, port), store)


def start_server(host="127.0.0.1", port=0, seed=True, spec_path=None, minute_limit=60,
                 day_limit=5000, concurrent_limit=5) -> EmulatorHandle:
    """Start the emulator in a daemon thread and return its handle."""
    server = make_server(host, port, seed, spec_path, minute_limit, day_limit, concurrent_limit)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="clarus-xero-emulator", daemon=True)
    thread.start()
    return EmulatorHandle(server, thread)
