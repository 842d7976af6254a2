"""Group claimed jobs into ordered Xero batches.

A job is a dict or an object with these fields (attribute or key):

* ``id`` (int): creation order; an earlier id is an earlier change;
* ``tenant`` (str): Xero tenant id;
* ``kind`` (str): one of ``KIND_ORDER``;
* ``record_key`` (str): the Odoo record the job exports, e.g. ``"account.move,42"``;
* ``depends_on`` (iterable of record keys, optional): records that must exist in Xero
  first, e.g. the invoice's contact and items;
* ``priority`` (int, optional, default 10): lower runs first, as in the job queue;
* ``state`` (optional, default ``pending``): only pending jobs are planned, but running
  and failed jobs passed in still hold back what depends on them;
* ``payload_size`` (int bytes) or ``payload`` (JSON-ready dict), optional.

The result is a ``Plan``: ``batches`` in sending order, ``waiting`` jobs with the reason
they were held back and the job that holds them (``blocker_id``), and ``oversized``
jobs that can never fit one request.
"""

import json
from collections import namedtuple

from .states import BLOCKING_STATES, PENDING

# Rank of each kind: a batch is only sent after every batch of a lower rank, so records
# a document points at are in Xero before the document.
KIND_ORDER = {
    "contact": 0,
    "item": 0,
    "invoice": 1,
    "purchase_order": 1,
    # Stock adjustments (zero-total bills and supplier credit notes) need their items.
    "stock_adjustment": 1,
    "stock_adjustment_credit": 1,
    # Stock valuation journals (Odoo tracks inventory) need only accounts.
    "manual_journal": 1,
    "credit_note": 2,
    # A payment deleted in Xero frees the document's amount due before new payments go
    # (an amount changed in Odoo is a deletion and a new payment in Xero).
    "payment_delete": 2,
    "payment": 3,
    "allocation": 3,
    "history": 4,
}

# Xero takes one allocation (PUT /CreditNotes/{id}/Allocations) or one history note
# (PUT /{Document}/{id}/History) per request, for one parent document, and deletes one
# payment per request (POST /Payments/{id}).
SINGLE_ELEMENT_KINDS = frozenset({"allocation", "history", "payment_delete"})

# Room for the request envelope, e.g. {"Invoices":[ ... ]}.
ENVELOPE_BYTES = 32

Batch = namedtuple("Batch", "tenant kind job_ids size")
Waiting = namedtuple("Waiting", "job_id reason blocker_id")
Plan = namedtuple("Plan", "batches waiting oversized")


def _field(job, name, default=None):
    if isinstance(job, dict):
        return job.get(name, default)
    return getattr(job, name, default)


def _payload_size(job):
    size = _field(job, "payload_size")
    if size is not None:
        return int(size)
    payload = _field(job, "payload")
    if payload is None:
        return 0
    return len(json.dumps(payload, default=str, separators=(",", ":")).encode("utf-8"))


def _normalise(job):
    kind = _field(job, "kind")
    if kind not in KIND_ORDER:
        raise ValueError("Unknown job kind %r (job %r)." % (kind, _field(job, "id")))
    return {
        "id": _field(job, "id"),
        "tenant": _field(job, "tenant"),
        "kind": kind,
        "record_key": _field(job, "record_key"),
        "depends_on": tuple(_field(job, "depends_on", None) or ()),
        "priority": _field(job, "priority", 10) or 0,
        "state": _field(job, "state", PENDING) or PENDING,
        "size": _payload_size(job),
    }


def _blocking_index(jobs):
    """(tenant, record_key) -> sorted list of (job id, state) that still hold it back."""
    index = {}
    for job in jobs:
        if job["state"] in BLOCKING_STATES:
            index.setdefault((job["tenant"], job["record_key"]), []).append(
                (job["id"], job["state"])
            )
    for entries in index.values():
        entries.sort()
    return index


def _wait_reason(job, index, earliest_pending):
    """``(reason, blocker job id)`` when ``job`` cannot be sent in this plan, else None."""
    own = index.get((job["tenant"], job["record_key"]), [])
    for other_id, state in own:
        if other_id < job["id"]:
            return ("waiting for earlier change #%s of %s (%s)" % (
                other_id, job["record_key"], state), other_id)
    earliest = earliest_pending.get((job["tenant"], job["record_key"]))
    if earliest != job["id"]:
        return "waiting for an earlier change of %s" % (job["record_key"],), earliest
    for key in sorted(job["depends_on"]):
        if key == job["record_key"]:
            continue
        blockers = index.get((job["tenant"], key))
        if blockers:
            other_id, state = blockers[0]
            return "waiting for %s (job #%s is %s)" % (key, other_id, state), other_id
    return None


def _chunks(jobs, limit, max_bytes):
    """Split one (tenant, kind) group into batches under both limits, order kept."""
    batches, current, size = [], [], ENVELOPE_BYTES
    for job in jobs:
        cost = job["size"] + 1  # +1 for the separating comma
        if current and (len(current) >= limit or size + cost > max_bytes):
            batches.append((current, size))
            current, size = [], ENVELOPE_BYTES
        current.append(job)
        size += cost
    if current:
        batches.append((current, size))
    return batches


def plan_batches(jobs, max_per_batch=50, max_bytes=3_000_000):
    """Plan the batches to send now for ``jobs``; see the module docstring for shapes.

    Deterministic: the same jobs in any input order give the same plan.
    """
    if max_per_batch < 1:
        raise ValueError("max_per_batch must be at least 1.")
    normalised = sorted((_normalise(job) for job in jobs), key=lambda j: j["id"])
    index = _blocking_index(normalised)
    earliest_pending = {}
    for job in normalised:
        if job["state"] == PENDING:
            earliest_pending.setdefault((job["tenant"], job["record_key"]), job["id"])

    groups, waiting, oversized = {}, [], []
    for job in normalised:
        if job["state"] != PENDING:
            continue
        held = _wait_reason(job, index, earliest_pending)
        if held:
            waiting.append(Waiting(job["id"], *held))
        elif job["size"] + ENVELOPE_BYTES + 1 > max_bytes:
            oversized.append(job["id"])
        else:
            groups.setdefault((job["tenant"], job["kind"]), []).append(job)

    batches = []
    for (tenant, kind), members in groups.items():
        members.sort(key=lambda j: (j["priority"], j["id"]))
        limit = 1 if kind in SINGLE_ELEMENT_KINDS else max_per_batch
        for chunk, size in _chunks(members, limit, max_bytes):
            batches.append(Batch(tenant, kind, tuple(j["id"] for j in chunk), size))
    first = {job["id"]: job for job in normalised}
    batches.sort(key=lambda b: (
        KIND_ORDER[b.kind], first[b.job_ids[0]]["priority"], str(b.tenant), b.kind, b.job_ids[0]
    ))
    return Plan(batches, waiting, oversized)


def split_by_size(elements, max_bytes=3_000_000):
    """Index groups of ``elements`` whose JSON stays under ``max_bytes`` per request.

    The plan is made before payloads exist (sizes are estimated then); this is the check
    on the real payloads just before sending. Order is kept; an element larger than the
    limit on its own gets a group of its own (Xero will say what is wrong with it).
    """
    groups, current, size = [], [], ENVELOPE_BYTES
    for index, element in enumerate(elements):
        cost = len(json.dumps(element, default=str, separators=(",", ":")).encode("utf-8")) + 1
        if current and size + cost > max_bytes:
            groups.append(current)
            current, size = [], ENVELOPE_BYTES
        current.append(index)
        size += cost
    if current:
        groups.append(current)
    return groups
