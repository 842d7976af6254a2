"""Webhooks as Xero sends them (XERO_API §5, §8; xero-webhooks.yaml).

One webhook per app (one URL and one key for every organisation the app is connected to).
Setting it runs Xero's intent to receive: POSTs with ``events: []``, some signed with the key
and some not; the endpoint must answer 200 to the good ones and 401 to the bad ones, else the
webhook's status is INTENT_FAILED and nothing is queued or delivered.

Once OK, every create or update of an invoice (ACCREC and ACCPAY), credit note or contact, by
the API or by a person in Xero, queues an event for each organisation connected to the app.
Events are delivered in batches signed with ``x-xero-signature`` = base64(HMAC-SHA256(raw
body, key)), at least once: a batch not answered 200 within 5 seconds stays queued and is
sent again by the next delivery; after 24 hours (virtual clock) of failures the webhook is
DISABLED until it is set again. Delivery happens on demand (``deliver``) or in a background
loop (``auto``); the store's lock is never held while the endpoint is called.
"""

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import random
import string
import threading
import urllib.error
import urllib.request

from .msjson import UTC

CATEGORIES = {"InvoiceID": ("INVOICE", "Invoices"), "CreditNoteID": ("CREDITNOTE", "CreditNotes"),
              "ContactID": ("CONTACT", "Contacts")}
BATCH_SIZE = 100
TIMEOUT = 5.0
DISABLE_AFTER = 24 * 3600
# Intent to receive: the signatures sent, in order (True = signed with the key).
INTENT_PATTERN = (True, False, True, False)
LOG_SIZE = 200


def sign(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode()


def event_date(ts):
    """Xero's eventDateUtc form: 2025-12-02T00:44:09.923 (UTC, milliseconds, no zone)."""
    return dt.datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _entropy():
    return "".join(random.choices(string.ascii_uppercase, k=20))


class Webhooks:
    def __init__(self):
        self.lock = threading.RLock()
        self.delivering = threading.Lock()
        self.generation = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.generation += 1  # stops a running background loop
            self.config = None
            self.pending = []
            self.sequence = 0
            self.deliveries = []
            self.last_batch = None
            self.auto = None

    # -- events ----------------------------------------------------------------------------------
    def on_change(self, store, org, record, created, now):
        """Queue the webhook event of a record just created or changed (from ``touch``)."""
        with self.lock:
            config = self.config
            if config is None or config["status"] != "OK":
                return
            found = next(((key, cat) for key, cat in CATEGORIES.items() if key in record), None)
            if found is None:
                return
            id_field, (category, collection) = found
            if id_field == "InvoiceID" and record.get("Type") not in ("ACCREC", "ACCPAY"):
                return
            if not _connected(store, config["client_id"], org.tenant_id):
                return
            resource_id = record[id_field]
            date = event_date(now)
            event = {"resourceUrl": "%s/api.xro/2.0/%s/%s" % (store.public_url, collection,
                                                               resource_id),
                     "resourceId": resource_id, "eventDateUtc": date,
                     "eventType": "CREATE" if created else "UPDATE",
                     "eventCategory": category, "tenantId": org.tenant_id,
                     "tenantType": "ORGANISATION"}
            if category == "CREDITNOTE":
                event["data"] = {"Type": record["Type"], "Status": record["Status"]}
            # One change touches a record once or twice (a document and its settlement):
            # one event per record and moment, keeping CREATE and the latest data.
            same = next((e for e in self.pending if e["resourceId"] == resource_id
                         and e["tenantId"] == org.tenant_id and e["eventDateUtc"] == date),
                        None)
            if same is not None:
                if "data" in event:
                    same["data"] = event["data"]
                return
            self.sequence += 1
            event["_sequence"] = self.sequence
            event["_queued"] = now
            self.pending.append(event)

    # -- configuration and intent to receive ---------------------------------------------------
    def configure(self, store, url, key, client_id):
        """Set the app's webhook and run the intent to receive; -> the status answer."""
        if not url or not key:
            raise ValueError("url and key are required")
        intent = []
        for good in INTENT_PATTERN:
            body = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0,
                               "entropy": _entropy()}, separators=(",", ":")).encode()
            signature = sign(body, key if good else key + "-not-the-key")
            status = _post(url, body, signature)
            expected = 200 if good else 401
            intent.append({"signature": "valid" if good else "invalid", "expected": expected,
                           "status": status, "ok": status == expected})
        with self.lock:
            self.generation += 1
            self.config = {"url": url, "key": key, "client_id": client_id,
                           "status": "OK" if all(i["ok"] for i in intent) else "INTENT_FAILED",
                           "intent": intent, "since": store.clock.now()}
            self.pending = []
            self.last_batch = None
            self.auto = None
        return self.status(store)

    def remove(self):
        self.reset()

    def status(self, store, limit=50):
        with self.lock:
            config = self.config or {}
            return {"url": config.get("url"), "client_id": config.get("client_id"),
                    "status": config.get("status", "NONE"), "intent": config.get("intent", []),
                    "pending": len(self.pending),
                    "pending_events": [_public(e) for e in self.pending],
                    "sequence": self.sequence, "auto_deliver": self.auto,
                    "deliveries": self.deliveries[-limit:] if limit > 0 else []}

    # -- delivery --------------------------------------------------------------------------------
    def deliver(self, store):
        """Send every queued event now, batch after batch, stopping at the first failure;
        -> the delivery log rows of this call."""
        rows = []
        with self.delivering:
            while True:
                with self.lock:
                    config = self.config
                    if config is None or config["status"] != "OK" or not self.pending:
                        break
                    batch = self.pending[:BATCH_SIZE]
                    body = json.dumps({"events": [_public(e) for e in batch],
                                       "firstEventSequence": batch[0]["_sequence"],
                                       "lastEventSequence": batch[-1]["_sequence"],
                                       "entropy": _entropy()}, separators=(",", ":")).encode()
                    signature = sign(body, config["key"])
                    url = config["url"]
                status = _post(url, body, signature)
                with self.lock:
                    row = self._log(store, url, body, signature, batch, status, False)
                    rows.append(row)
                    if status == 200:
                        done = {e["_sequence"] for e in batch}
                        self.pending = [e for e in self.pending if e["_sequence"] not in done]
                        self.last_batch = (url, body, signature, batch)
                        continue
                    oldest = min(e["_queued"] for e in self.pending)
                    if store.clock.now() - oldest >= DISABLE_AFTER and self.config is config:
                        config["status"] = "DISABLED"
                    break
        return rows

    def redeliver(self, store):
        """Send the last delivered batch again, byte for byte (a duplicate, as Xero may)."""
        with self.delivering:
            with self.lock:
                if self.last_batch is None:
                    raise ValueError("no batch has been delivered yet")
                url, body, signature, batch = self.last_batch
            status = _post(url, body, signature)
            with self.lock:
                return self._log(store, url, body, signature, batch, status, True)

    def _log(self, store, url, body, signature, batch, status, again):
        row = {"time": store.clock.now(), "url": url, "status": status, "ok": status == 200,
               "redelivery": again, "events": len(batch),
               "first_sequence": batch[0]["_sequence"], "last_sequence": batch[-1]["_sequence"],
               "signature": signature, "body": body.decode("utf-8")}
        self.deliveries.append(row)
        del self.deliveries[:-LOG_SIZE]
        return row

    def set_auto(self, store, enabled, interval):
        """Switch the background delivery loop on (every ``interval`` seconds) or off."""
        if interval <= 0:
            raise ValueError("interval must be positive")
        with self.lock:
            self.generation += 1
            generation = self.generation
            self.auto = {"interval": interval} if enabled else None
        if enabled:
            thread = threading.Thread(target=self._loop, args=(store, generation, interval),
                                      name="clarus-xero-emulator-webhooks", daemon=True)
            thread.start()
        return self.status(store)

    def _loop(self, store, generation, interval):
        stop = threading.Event()
        while not stop.wait(interval):
            with self.lock:
                if self.generation != generation:
                    return
            self.deliver(store)


def _public(event):
    return {k: v for k, v in event.items() if not k.startswith("_")}


def _connected(store, client_id, tenant_id):
    return any(grant["client_id"] == client_id and tenant_id in grant["tenants"]
               for grant in store.grants.values())


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _post(url, body, signature):
    """POST one payload; -> the HTTP status, or a short reason when none came back."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "x-xero-signature": signature,
        "User-Agent": "Xero-Webhooks"})
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return "no answer: %s" % reason


# -- control routes (/_emulator/webhooks...) ----------------------------------------------------
def _set(store, query, body):
    from .state import DEMO_CLIENT_ID

    return 200, store.webhooks.configure(store, body.get("url"), body.get("key"),
                                         body.get("client_id") or DEMO_CLIENT_ID)


def _get(store, query, body):
    return 200, store.webhooks.status(store, int(query.get("limit") or 50))


def _delete(store, query, body):
    store.webhooks.remove()
    return 200, store.webhooks.status(store)


def _deliver(store, query, body):
    rows = store.webhooks.deliver(store)
    status = store.webhooks.status(store, 0)
    return 200, {"deliveries": rows, "statuses": [r["status"] for r in rows],
                 "pending": status["pending"], "status": status["status"]}


def _redeliver(store, query, body):
    return 200, store.webhooks.redeliver(store)


def _auto(store, query, body):
    return 200, store.webhooks.set_auto(store, bool(body.get("enabled", True)),
                                        float(body.get("interval") or 1.0))


ROUTES = {
    ("POST", "/webhooks"): _set,
    ("PUT", "/webhooks"): _set,
    ("GET", "/webhooks"): _get,
    ("DELETE", "/webhooks"): _delete,
    ("POST", "/webhooks/deliver"): _deliver,
    ("POST", "/webhooks/redeliver"): _redeliver,
    ("POST", "/webhooks/auto"): _auto,
}
