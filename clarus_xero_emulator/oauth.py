"""OAuth 2.0 (authorization code + PKCE, refresh rotation, revocation) and /connections.

Refresh tokens rotate on every use. A rotated refresh token stays usable for a 30-minute
grace period: presenting it again returns the SAME new token pair that its rotation produced
(so a client that lost the response can recover it). Unused refresh tokens expire after 60
days of virtual time. Anything else answers 400 {"error": "invalid_grant"}.
"""

import base64
import hashlib
import json
import secrets
import urllib.parse

from .msjson import iso_utc
from .scopes import scope_error
from .state import new_id

ACCESS_TTL = 1800
CODE_TTL = 300
GRACE = 1800
REFRESH_IDLE = 60 * 86400
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# The granular set an app created since 2 March 2026 asks for (XERO_API.md §1).
DEFAULT_SCOPE = ("offline_access accounting.contacts accounting.settings accounting.invoices "
                 "accounting.payments")


class OAuthError(Exception):
    def __init__(self, error, status=400, description=None):
        super().__init__(error)
        self.status = status
        self.body = {"error": error}
        if description:
            self.body["error_description"] = description


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwt(claims: dict) -> str:
    header = {"alg": "RS256", "kid": "clarus-emulator", "typ": "JWT"}
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()),
                     _b64(secrets.token_bytes(32))])


def redirect_allowed(client, redirect_uri) -> bool:
    if redirect_uri in client["redirect_uris"]:
        return True
    parsed = urllib.parse.urlsplit(redirect_uri or "")
    return parsed.scheme in ("http", "https") and parsed.hostname in LOCAL_HOSTS


def authorize(store, params):
    """-> (status, headers, body). Auto-consents and redirects with a code."""
    client = store.clients.get(params.get("client_id", ""))
    redirect_uri = params.get("redirect_uri", "")
    if client is None:
        return 400, {}, "Unknown client_id"
    if not redirect_allowed(client, redirect_uri):
        return 400, {}, "redirect_uri is not registered for this client"
    state = params.get("state")

    def bounce(query):
        if state is not None:
            query["state"] = state
        sep = "&" if "?" in redirect_uri else "?"
        return 302, {"Location": redirect_uri + sep + urllib.parse.urlencode(query)}, ""

    if params.get("response_type") != "code":
        return bounce({"error": "unsupported_response_type"})
    scope = (params.get("scope") or "").split()
    # Unknown scopes, and broad scopes asked for by an app created on or after
    # 2 March 2026, are refused as a redirect error (S4, S6; scopes.py).
    error = scope_error(client, scope)
    if error:
        return bounce({"error": error})
    method = params.get("code_challenge_method")
    if params.get("code_challenge") and method not in (None, "S256"):
        return bounce({"error": "invalid_request",
                       "error_description": "code_challenge_method must be S256"})
    with store.lock:
        tenants = list(store.orgs)
        if params.get("tenants"):
            wanted = [t.strip() for t in params["tenants"].split(",") if t.strip()]
            tenants = [t for t in wanted if t in store.orgs]
        code = secrets.token_urlsafe(24)
        store.codes[code] = {"client_id": client["client_id"], "redirect_uri": redirect_uri,
                             "scope": scope, "challenge": params.get("code_challenge"),
                             "tenants": tenants, "expires": store.clock.now() + CODE_TTL,
                             "used": False}
    return bounce({"code": code, "scope": " ".join(scope)})


def _client_auth(store, form, auth_header, pkce_ok):
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if auth_header and auth_header.lower().startswith("basic "):
        try:
            raw = base64.b64decode(auth_header[6:].strip()).decode("utf-8")
            client_id, _, secret = raw.partition(":")
            client_id, secret = urllib.parse.unquote(client_id), urllib.parse.unquote(secret)
        except (ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_client")
    client = store.clients.get(client_id or "")
    if client is None:
        raise OAuthError("invalid_client")
    if secret:
        if not secrets.compare_digest(secret, client["client_secret"] or ""):
            raise OAuthError("invalid_client")
    elif not pkce_ok:
        raise OAuthError("invalid_client")
    return client


def _connection(store, grant, tenant_id):
    org = store.orgs[tenant_id]
    now = iso_utc(store.clock.now())
    return {"id": new_id(), "authEventId": grant["id"], "tenantId": tenant_id,
            "tenantType": "ORGANISATION", "tenantName": org.name, "createdDateUtc": now,
            "updatedDateUtc": now}


def new_grant(store, client_id, scope, tenants, pkce=False):
    grant = {"id": new_id(), "client_id": client_id, "scope": list(scope), "revoked": False,
             "pkce": pkce, "user_id": new_id(), "tenants": {}}
    for tenant_id in tenants:
        grant["tenants"][tenant_id] = _connection(store, grant, tenant_id)
    store.grants[grant["id"]] = grant
    return grant


def issue_tokens(store, grant):
    now = store.clock.now()
    claims = {"nbf": int(now), "exp": int(now + ACCESS_TTL), "iss": "https://identity.xero.com",
              "aud": "https://identity.xero.com/resources", "client_id": grant["client_id"],
              "sub": grant["user_id"], "auth_time": int(now), "xero_userid": grant["user_id"],
              "global_session_id": grant["id"], "jti": new_id(),
              "authentication_event_id": grant["id"], "scope": grant["scope"]}
    access = _jwt(claims)
    store.access_tokens[access] = {"grant": grant["id"], "exp": now + ACCESS_TTL}
    body = {"access_token": access, "expires_in": ACCESS_TTL, "token_type": "Bearer",
            "scope": " ".join(grant["scope"])}
    if "offline_access" in grant["scope"]:
        refresh = secrets.token_urlsafe(32)
        store.refresh_tokens[refresh] = {"grant": grant["id"], "issued": now, "state": "active"}
        body["refresh_token"] = refresh
    if "openid" in grant["scope"]:
        body["id_token"] = _jwt({"nbf": int(now), "exp": int(now + 300), "sub": grant["user_id"],
                                 "aud": grant["client_id"], "iss": "https://identity.xero.com",
                                 "email": "demo@clarus.example", "given_name": "Demo",
                                 "family_name": "User", "xero_userid": grant["user_id"]})
    return body


def token(store, form, auth_header):
    """POST /connect/token -> (status, body)."""
    grant_type = form.get("grant_type")
    with store.lock:
        try:
            if grant_type == "authorization_code":
                return 200, _code_grant(store, form, auth_header)
            if grant_type == "refresh_token":
                return 200, _refresh_grant(store, form, auth_header)
            raise OAuthError("unsupported_grant_type")
        except OAuthError as exc:
            return exc.status, exc.body


def _code_grant(store, form, auth_header):
    code = store.codes.get(form.get("code", ""))
    client = _client_auth(store, form, auth_header,
                          pkce_ok=bool(code and code["challenge"] and form.get("code_verifier")))
    now = store.clock.now()
    if code is None or code["used"] or code["expires"] < now \
            or code["client_id"] != client["client_id"]:
        raise OAuthError("invalid_grant")
    if form.get("redirect_uri") != code["redirect_uri"]:
        raise OAuthError("invalid_grant", description="redirect_uri mismatch")
    if code["challenge"]:
        verifier = form.get("code_verifier") or ""
        expected = _b64(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
        if not secrets.compare_digest(expected, code["challenge"]):
            raise OAuthError("invalid_grant", description="PKCE verification failed")
    code["used"] = True
    grant = new_grant(store, client["client_id"], code["scope"], code["tenants"],
                      pkce=bool(code["challenge"]))
    return issue_tokens(store, grant)


def _refresh_grant(store, form, auth_header):
    rt = store.refresh_tokens.get(form.get("refresh_token", ""))
    grant = store.grants.get(rt["grant"]) if rt else None
    client = _client_auth(store, form, auth_header, pkce_ok=bool(grant and grant["pkce"]))
    now = store.clock.now()
    if rt is None or grant is None or grant["revoked"] or grant["client_id"] != client["client_id"]:
        raise OAuthError("invalid_grant")
    if rt["state"] == "active":
        if now - rt["issued"] > REFRESH_IDLE:
            rt["state"] = "expired"
            raise OAuthError("invalid_grant")
        body = issue_tokens(store, grant)
        rt.update(state="rotated", rotated_at=now, response=dict(body))
        return body
    if rt["state"] == "rotated" and now - rt["rotated_at"] <= GRACE:
        body = dict(rt["response"])
        access = store.access_tokens.get(body["access_token"])
        body["expires_in"] = max(0, int((access["exp"] if access else now) - now))
        return body
    raise OAuthError("invalid_grant")


def revoke(store, form, auth_header):
    with store.lock:
        try:
            _client_auth(store, form, auth_header, pkce_ok=True)
        except OAuthError as exc:
            return exc.status, exc.body
        rt = store.refresh_tokens.get(form.get("token", ""))
        if rt is not None:
            grant = store.grants.get(rt["grant"])
            if grant:
                grant["revoked"] = True
        return 200, {}


def bearer_grant(store, auth_header):
    """The live grant behind an ``Authorization: Bearer`` header, or None."""
    if not auth_header or not auth_header.lower().startswith("bearer "):
        return None
    with store.lock:
        at = store.access_tokens.get(auth_header[7:].strip())
        if at is None or at["exp"] <= store.clock.now():
            return None
        grant = store.grants.get(at["grant"])
        if grant is None or grant["revoked"]:
            return None
        return grant


def list_connections(store, grant, params):
    with store.lock:
        rows = [dict(c) for c in grant["tenants"].values()]
    if params.get("authEventId"):
        rows = [r for r in rows if r["authEventId"] == params["authEventId"]]
    return rows


def delete_connection(store, grant, connection_id):
    with store.lock:
        for tenant_id, conn in list(grant["tenants"].items()):
            if conn["id"].lower() == connection_id.lower():
                del grant["tenants"][tenant_id]
                return True
    return False


def direct_token(store, client_id, tenant_ids=None, scope=None):
    """Issue a token without the browser dance (control API, scripts and demos)."""
    with store.lock:
        if client_id not in store.clients:
            raise OAuthError("invalid_client")
        tenants = list(store.orgs) if tenant_ids is None else [t for t in tenant_ids
                                                               if t in store.orgs]
        scope_list = (scope or DEFAULT_SCOPE).split() if isinstance(scope or "", str) \
            else list(scope)
        error = scope_error(store.clients[client_id], scope_list)
        if error:
            raise OAuthError(error)
        grant = new_grant(store, client_id, scope_list, tenants)
        return issue_tokens(store, grant)
