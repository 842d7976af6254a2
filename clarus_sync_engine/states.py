"""Job states, the transitions between them, and error categories.

The Odoo job model stores these strings; every state change goes through
``check_transition`` so an impossible move (for example DONE -> RUNNING, which would
send a document twice) fails loudly instead of corrupting the queue.
"""

PENDING = "pending"
WAITING = "waiting"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"

STATES = (PENDING, WAITING, RUNNING, DONE, FAILED, CANCELLED)

# DONE and CANCELLED are terminal. FAILED -> PENDING is the audited "retry" action;
# RUNNING -> PENDING is a reschedule (rate limit, transient error, stuck-job requeue, or
# a claimed job this run did not get to). A claim is PENDING -> RUNNING, in one statement.
# WAITING is a job held back by another job (its prerequisite, or an earlier change of
# the same record): never claimed, released to PENDING when that job is done, cancelled
# or retried (queue_job's WAIT_DEPENDENCIES). PENDING -> FAILED is a job refused before
# anything was sent (Odoo-side validation, too large for one request).
TRANSITIONS = {
    PENDING: frozenset({RUNNING, WAITING, FAILED, CANCELLED}),
    WAITING: frozenset({PENDING, CANCELLED}),
    # RUNNING -> CANCELLED: a claimed job handed back while a newer change of the same
    # record already waits in the queue is superseded by it (one job per record queued).
    RUNNING: frozenset({DONE, FAILED, PENDING, WAITING, CANCELLED}),
    FAILED: frozenset({PENDING, CANCELLED}),
    DONE: frozenset(),
    CANCELLED: frozenset(),
}

# States that still hold a record back: a later change of the same record, or a
# document that needs this record in Xero first, must wait while one of these exists.
BLOCKING_STATES = frozenset({PENDING, WAITING, RUNNING, FAILED})
# States in which one job per record and kind may wait in the queue (the dedupe index).
QUEUED_STATES = frozenset({PENDING, WAITING})
# What a person may still cancel.
CANCELLABLE_STATES = frozenset({PENDING, WAITING, FAILED})


class InvalidTransition(ValueError):
    """Raised when a job is asked to move between two states that are not linked."""


def check_transition(old, new):
    """Return ``new`` if a job may move from ``old`` to ``new``; raise otherwise."""
    if old not in TRANSITIONS:
        raise InvalidTransition("Unknown job state %r." % (old,))
    if new not in TRANSITIONS:
        raise InvalidTransition("Unknown job state %r." % (new,))
    if new not in TRANSITIONS[old]:
        allowed = ", ".join(sorted(TRANSITIONS[old])) or "none (it is final)"
        raise InvalidTransition(
            "A job cannot go from %r to %r. Allowed from %r: %s." % (old, new, old, allowed)
        )
    return new


VALIDATION = "validation"
TRANSIENT = "transient"
AUTH = "auth"
RATE_LIMIT = "rate_limit"
UNKNOWN_OUTCOME = "unknown_outcome"

CATEGORIES = (VALIDATION, TRANSIENT, AUTH, RATE_LIMIT, UNKNOWN_OUTCOME)

WHAT_TO_DO = {
    VALIDATION: (
        "Xero refused the data. Correct the document, its contact or the account and tax "
        "mappings as the message says, then press Retry. It will not be retried on its own."
    ),
    TRANSIENT: (
        "Xero or the network had a temporary problem. Nothing to do: the job is retried "
        "automatically with increasing delays."
    ),
    AUTH: (
        "The connection to Xero is no longer authorised (expired consent, revoked access or "
        "missing permission). An administrator must reconnect the Xero organisation; then "
        "retry the failed jobs."
    ),
    RATE_LIMIT: (
        "Xero's call limit for this organisation was reached. Nothing to do: the job waits "
        "for the time Xero asked and then continues."
    ),
    UNKNOWN_OUTCOME: (
        "The request reached Xero but no answer came back, so it may or may not have been "
        "saved. The next attempt first looks the document up in Xero and only sends it again "
        "if it is not there."
    ),
}


def what_to_do(category):
    """Plain-language advice for a finance user, for one error category."""
    return WHAT_TO_DO[category]
