"""OAuth scopes: which an app may ask for, and which an Accounting API call needs.

Sources (see README "Rules enforced"):
- Xero scopes page (S3): the broad scopes and the endpoints each covers; `.read` = GET only.
- Granular scopes (S4, S5, S6): apps created on or after 2 March 2026 may only ask for the
  granular scopes; `accounting.transactions(.read)` and `accounting.reports.read` are
  refused to them with `invalid_scope`. Items are reachable through BOTH
  `accounting.invoices` and `accounting.settings` (S4); the stored spec (v16.1.0) names
  only `accounting.settings` for /Items, which the broad scopes of an older app follow.
- Missing scope -> 401 with `WWW-Authenticate: Bearer error="insufficient_scope"` (S7).
"""

GRANULAR_CUTOFF = "2026-03-02"

OPENID = {"openid", "profile", "email", "offline_access"}
# Refused to apps created on or after GRANULAR_CUTOFF (S4, S6).
BROAD = {"accounting.transactions", "accounting.transactions.read", "accounting.reports.read"}
_WITH_READ = ("accounting.contacts", "accounting.settings", "accounting.attachments",
              "accounting.invoices", "accounting.payments", "accounting.banktransactions",
              "accounting.manualjournals", "accounting.classicexpenses")
REPORTS = {"accounting.reports.%s.read" % r for r in (
    "aged", "balancesheet", "banksummary", "budgetsummary", "executivesummary",
    "profitandloss", "trialbalance", "taxreports", "tenninetynine", "bankstatement")}
KNOWN = OPENID | BROAD | REPORTS | {"accounting.journals.read", "accounting.budgets.read"} | {
    s + suffix for s in _WITH_READ for suffix in ("", ".read")}

# Collection (first path segment, lower case) -> scopes that cover it (write form; the
# `.read` variant of each also covers GET). Granular first, then the broad scope that an
# app created before the cutoff may still hold (S3: broad scopes by endpoint).
_INVOICES = ("accounting.invoices", "accounting.transactions")
ENDPOINT_SCOPES = {
    "invoices": _INVOICES, "creditnotes": _INVOICES, "purchaseorders": _INVOICES,
    "quotes": _INVOICES, "repeatinginvoices": _INVOICES, "linkedtransactions": _INVOICES,
    # Items: S4 says accounting.invoices or accounting.settings; the spec says settings.
    "items": ("accounting.invoices", "accounting.settings"),
    "payments": ("accounting.payments", "accounting.transactions"),
    "overpayments": ("accounting.payments", "accounting.transactions"),
    "prepayments": ("accounting.payments", "accounting.transactions"),
    "batchpayments": ("accounting.payments", "accounting.transactions"),
    "banktransactions": ("accounting.banktransactions", "accounting.transactions"),
    "banktransfers": ("accounting.banktransactions", "accounting.transactions"),
    "manualjournals": ("accounting.manualjournals", "accounting.transactions"),
    "receipts": ("accounting.classicexpenses", "accounting.transactions"),
    "expenseclaims": ("accounting.classicexpenses", "accounting.transactions"),
    "contacts": ("accounting.contacts",), "contactgroups": ("accounting.contacts",),
    "accounts": ("accounting.settings",), "taxrates": ("accounting.settings",),
    "currencies": ("accounting.settings",), "trackingcategories": ("accounting.settings",),
    "organisation": ("accounting.settings",), "brandingthemes": ("accounting.settings",),
    "users": ("accounting.settings",),
    # /Reports/{Name}: see required_scopes.
    "reports": ("accounting.reports.read",),
}


def scope_error(client, requested):
    """The OAuth error code for a scope request by this app, or None when it is allowed.

    Unknown scope strings and (for apps created on or after 2 March 2026) the broad
    scopes answer `invalid_scope` (S4, S6; §8 "Granular scopes")."""
    if not requested:
        return "invalid_scope"
    for scope in requested:
        if scope not in KNOWN:
            return "invalid_scope"
        if scope in BROAD and not client.get("legacy"):
            return "invalid_scope"
    return None


def required_scopes(method, sub_path):
    """The scopes any one of which lets this call through, or None for an unknown path."""
    parts = [p for p in sub_path.split("/") if p]
    if not parts:
        return None
    covering = ENDPOINT_SCOPES.get(parts[0].lower())
    if parts[0].lower() == "reports" and len(parts) > 1:
        # Each report has its granular scope (accounting.reports.balancesheet.read, ...);
        # an app created before the cutoff may hold the broad reports scope (S4, S6).
        covering = ("accounting.reports.%s.read" % parts[1].lower(), "accounting.reports.read")
    if covering is None:
        return None
    if method == "GET":
        return set(covering) | {s + ".read" for s in covering}
    return set(covering)


def allowed(granted, method, sub_path):
    """Whether a token with these granted scopes may make this call."""
    needed = required_scopes(method, sub_path)
    return needed is None or bool(needed & set(granted))
