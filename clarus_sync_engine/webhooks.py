"""Xero webhook signature check and event parsing.

Xero signs the raw request body: ``x-xero-signature`` is
``base64(HMAC-SHA256(body, webhook key))``. Hash the bytes exactly as received, before
any JSON parsing, and compare in constant time so timing does not leak the signature.
"""

import base64
import hashlib
import hmac
import json
from collections import namedtuple

Event = namedtuple(
    "Event", "tenant_id category event_type resource_id resource_url event_date tenant_type"
)

# What an event must carry to be stored and read back.
REQUIRED_EVENT_KEYS = ("tenantId", "eventCategory", "resourceId", "eventDateUtc")


def expected_signature(raw_body, key):
    """The signature Xero would send for ``raw_body``."""
    digest = hmac.new(key.encode("utf-8"), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(raw_body: bytes, signature_header: str, key: str) -> bool:
    """True when ``signature_header`` is Xero's signature of ``raw_body`` with ``key``."""
    if not signature_header or not key or not isinstance(raw_body, (bytes, bytearray)):
        return False
    expected = expected_signature(bytes(raw_body), key)
    return hmac.compare_digest(expected.encode("ascii"),
                               signature_header.strip().encode("utf-8", "replace"))


def parse_events(raw_body):
    """The events of a webhook body as ``Event`` tuples; ``[]`` for an intent-to-receive.

    Raises ``ValueError`` with a plain message when the body is not a Xero payload.
    """
    try:
        data = json.loads(raw_body)
    except (TypeError, ValueError) as exc:
        raise ValueError("The webhook body is not valid JSON: %s" % exc)
    if not isinstance(data, dict) or not isinstance(data.get("events", []), list):
        raise ValueError("The webhook body has no list of events.")
    events = []
    for item in data.get("events") or ():
        if not isinstance(item, dict):
            raise ValueError("A webhook event is not an object.")
        missing = [key for key in REQUIRED_EVENT_KEYS
                   if not isinstance(item.get(key), str) or not item.get(key)]
        if missing:
            raise ValueError("A webhook event lacks %s." % ", ".join(missing))
        events.append(Event(
            tenant_id=item.get("tenantId"),
            category=(item.get("eventCategory") or "").upper(),
            event_type=(item.get("eventType") or "").upper(),
            resource_id=item.get("resourceId"),
            resource_url=item.get("resourceUrl"),
            event_date=item.get("eventDateUtc"),
            tenant_type=item.get("tenantType"),
        ))
    return events
