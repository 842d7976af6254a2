"""Idempotency keys for Xero writes.

Xero stores an ``Idempotency-Key`` per app for about 6 minutes: a request repeated with
the same key gets the first answer back instead of being applied again; the same key
on a different URL, method or body is refused with 400 (XERO_API §3). So the key must
name the *logical send* (which organisation, which kind, which jobs, which payload) and
nothing that changes between two attempts of that send: a resend after a timeout
reuses it and is replayed, a corrected payload gets a new one.
"""

import hashlib
import json
from decimal import Decimal

KEY_MAX = 128
PREFIX = "clarus-"


def _canonical_default(value):
    if isinstance(value, Decimal):
        # 10, 10.0 and 10.00 travel as the same JSON number: one spelling for the hash.
        return format(value.normalize(), "f")
    return str(value)


def canonical_json(elements):
    """The elements as canonical JSON: sorted keys, no spaces, Decimals normalised."""
    return json.dumps(elements, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      default=_canonical_default)


def idempotency_key(tenant_id, kind, job_ids, elements):
    """``clarus-<sha256>`` (71 characters, within Xero's 128) for one logical send.

    Derived from the tenant (or connection) id, the kind, the job ids in send order and
    the canonical JSON of the payload elements; never from the attempt count. Meets
    Xero's idempotency rules: a retry of the same payload within 6 minutes reuses the
    key and is replayed, not duplicated; a changed payload gets a new key, so Xero
    never sees one key on two different bodies.
    """
    material = json.dumps([str(tenant_id), str(kind), [str(j) for j in job_ids]],
                          separators=(",", ":")) + "\n" + canonical_json(list(elements))
    return PREFIX + hashlib.sha256(material.encode("utf-8")).hexdigest()


def derived_key(key, part):
    """A key for one part of a send made of several requests (``key`` + ``part``).

    One logical send that needs two requests (contacts: PUT for new, POST for bound)
    must not use one key twice (Xero refuses it on a different request); each part
    gets its own stable key, at most 128 characters.
    """
    digest = hashlib.sha256(("%s\n%s" % (key, part)).encode("utf-8")).hexdigest()
    return (PREFIX + digest)[:KEY_MAX]
