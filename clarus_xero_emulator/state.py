"""The in-memory store: organisations, OAuth grants, logs and a virtual clock.

Everything mutable lives behind ``Store.lock`` (one re-entrant lock for the whole server).
"""

import collections
import threading
import time
import uuid

from .faults import FaultInjector
from .idempotency import IdempotencyCache
from .limits import RateLimiter
from .msjson import ms_date
from .webhooks import Webhooks

COLLECTIONS = (
    "Accounts",
    "TaxRates",
    "Currencies",
    "TrackingCategories",
    "Contacts",
    "Items",
    "Invoices",
    "CreditNotes",
    "PurchaseOrders",
    "Payments",
    "Overpayments",
    "Prepayments",
    "BankTransactions",
    "ManualJournals",
)

DEMO_CLIENT_ID = "clarus-demo-client"
DEMO_CLIENT_SECRET = "clarus-demo-secret"
# An app registered before 2 March 2026: it may still ask for the broad scopes.
LEGACY_CLIENT_ID = "clarus-legacy-client"
LEGACY_CLIENT_SECRET = "clarus-legacy-secret"


def new_id() -> str:
    return str(uuid.uuid4())


class Clock:
    """Wall clock plus an adjustable offset (``advance``) used for every expiry and window."""

    def __init__(self):
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += float(seconds)


class Org:
    """One Xero organisation (tenant) with its own records; IDs never cross tenants."""

    def __init__(self, tenant_id, name, base_currency, country_code, created):
        self.tenant_id = tenant_id
        self.name = name
        self.base_currency = base_currency
        self.country_code = country_code
        self.created = created
        self.data = {name: {} for name in COLLECTIONS}
        self.history = {}
        self.counters = collections.Counter()
        self.organisation = {}

    def next_number(self, prefix: str, width: int = 4) -> str:
        self.counters[prefix] += 1
        return "%s-%0*d" % (prefix, width, self.counters[prefix])

    def add_history(self, collection, record_id, changes, details, ts):
        self.history.setdefault((collection, record_id), []).append(
            {"Changes": changes, "DateUTC": ms_date(ts), "User": "System Generated",
             "Details": details}
        )


class Store:
    def __init__(self, minute_limit=60, day_limit=5000, concurrent_limit=5):
        self.lock = threading.RLock()
        self.clock = Clock()
        self.limits = RateLimiter(self.clock, minute_limit, day_limit, concurrent_limit)
        self.faults = FaultInjector()
        self.idempotency = IdempotencyCache(self.clock)
        self.spec_path = None
        self.contract_violations = []
        self.webhooks = Webhooks()
        # Where the API is served (resourceUrl of webhook events); set by the server.
        self.public_url = "https://api.xero.com"
        self.reset_all(seed=False)

    # -- lifecycle -------------------------------------------------------------------------
    def reset_all(self, seed=True):
        with self.lock:
            self.clock.offset = 0.0
            self.orgs = {}
            self.clients = {}
            self.codes = {}
            self.grants = {}
            self.access_tokens = {}
            self.refresh_tokens = {}
            self.log = collections.deque(maxlen=2000)
            self.calls = collections.Counter()
            self.calls_by_tenant = collections.defaultdict(collections.Counter)
            self.rate_limited = 0
            self.contract_violations = []
            self.limits.reset()
            self.faults.clear()
            self.idempotency.clear()
            self.webhooks.reset()
            self.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [])
            self.add_client(LEGACY_CLIENT_ID, LEGACY_CLIENT_SECRET, [], legacy=True)
            if seed:
                from .seed import seed_store

                seed_store(self)

    def add_client(self, client_id, client_secret, redirect_uris, legacy=False):
        """Register an app; ``legacy`` marks one created before 2 March 2026 (broad scopes)."""
        with self.lock:
            self.clients[client_id] = {
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uris": list(redirect_uris or []),
                "legacy": bool(legacy),
            }

    def add_org(self, name, base_currency, country_code, tenant_id=None) -> Org:
        with self.lock:
            org = Org(tenant_id or new_id(), name, base_currency, country_code, self.clock.now())
            self.orgs[org.tenant_id] = org
            return org

    # -- logging ---------------------------------------------------------------------------
    def record_call(self, entry: dict, endpoint: str):
        with self.lock:
            self.log.append(entry)
            self.calls[endpoint] += 1
            if entry.get("tenant"):
                self.calls_by_tenant[entry["tenant"]][endpoint] += 1
            if entry.get("status") == 429:
                self.rate_limited += 1
