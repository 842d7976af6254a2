"""Pace calls to one Xero tenant so a worker never earns a 429 by its own speed.

Xero's windows are fixed and reset at a per-tenant moment we cannot see, so the pacer
combines two views:

* a local model (calls this worker made in the last 60 s, calls today, calls in
  flight) that is all we have before the first response;
* the ``X-MinLimit-Remaining`` / ``X-DayLimit-Remaining`` / ``X-AppMinLimit-Remaining``
  headers of every response, which also count other workers and other apps.

When the minute allowance is used up we wait 60 s from the response that said so: the
fixed window that response belongs to has certainly ended by then. When the day
allowance is used up, or a wait would exceed ``max_wait``, the decision is ``stop``:
the caller reschedules the job instead of sleeping in a worker.

Usage::

    decision = pacer.before_call()
    if decision.stop:
        reschedule(after=decision.wait)
    else:
        sleep(decision.wait)
        pacer.call_started()
        ...  # the HTTP call
        pacer.after_response(headers, status)
"""

import threading
import time
import uuid
from collections import deque, namedtuple
from email.utils import parsedate_to_datetime

Decision = namedtuple("Decision", "wait stop reason")


class PacingStop(Exception):
    """The pacer says stop: reschedule the job ``decision.wait`` seconds from now."""

    def __init__(self, decision):
        super().__init__(decision.reason)
        self.decision = decision


MINUTE = 60.0
DAY = 86400.0


def _header(headers, name):
    """Case-insensitive header lookup on a dict, HTTPHeaderDict or list of pairs."""
    if not headers:
        return None
    items = headers.items() if hasattr(headers, "items") else headers
    wanted = name.lower()
    for key, value in items:
        if str(key).lower() == wanted:
            return value
    return None


def _int_header(headers, name):
    value = _header(headers, name)
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def retry_after_from(headers, now=None):
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date), else None."""
    value = _header(headers, "Retry-After")
    if value is None:
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class RatePacer:
    """Decides the wait before the next call to one tenant; see the module docstring."""

    def __init__(self, per_minute=60, per_day=5000, concurrent=5, clock=time.monotonic,
                 minute_reserve=1, day_reserve=10, app_reserve=50, max_wait=60.0,
                 busy_poll=0.5):
        self.per_minute = per_minute
        self.per_day = per_day
        self.concurrent = concurrent
        self.clock = clock
        # Reserves leave room for other workers and for the interactive UI.
        self.minute_reserve = minute_reserve
        self.day_reserve = day_reserve
        self.app_reserve = app_reserve
        self.max_wait = max_wait
        self.busy_poll = busy_poll
        self._recent = deque()
        self._day_started = clock()
        self._day_calls = 0
        self._total_calls = 0
        self._in_flight = 0
        self._blocked_until = None
        self._blocked_reason = ""
        self._day_exhausted_until = None

    @property
    def calls_made(self):
        """Calls this pacer has let through since it was created (for usage reports)."""
        return self._total_calls

    def call_started(self):
        """Record that a call is being sent now."""
        now = self.clock()
        self._recent.append(now)
        if now - self._day_started >= DAY:
            self._day_started, self._day_calls = now, 0
        self._day_calls += 1
        self._total_calls += 1
        self._in_flight += 1

    def after_response(self, headers, status=200):
        """Learn from one response (success or error), headers as returned by urllib3."""
        now = self.clock()
        self._in_flight = max(0, self._in_flight - 1)
        if status == 429:
            self._after_429(headers, now)
            return
        minute_left = _int_header(headers, "X-MinLimit-Remaining")
        if minute_left is not None and minute_left <= self.minute_reserve:
            self._block(now + MINUTE, "Xero minute limit nearly used (%d left)" % minute_left)
        app_left = _int_header(headers, "X-AppMinLimit-Remaining")
        if app_left is not None and app_left <= self.app_reserve:
            self._block(now + MINUTE, "app-wide minute limit nearly used (%d left)" % app_left)
        day_left = _int_header(headers, "X-DayLimit-Remaining")
        if day_left is not None and day_left <= self.day_reserve:
            # We do not know when the tenant's day window resets: retry in an hour at
            # the latest, the header will tell us again.
            self._day_exhausted_until = now + 3600.0

    def _after_429(self, headers, now):
        problem = str(_header(headers, "X-Rate-Limit-Problem") or "").lower()
        wait = retry_after_from(headers)
        if problem == "day":
            self._day_exhausted_until = now + (wait if wait is not None else 3600.0)
            return
        self._block(now + (wait if wait is not None else MINUTE),
                    "Xero answered 429 (%s limit)" % (problem or "unknown"))

    def _block(self, until, reason):
        if self._blocked_until is None or until > self._blocked_until:
            self._blocked_until, self._blocked_reason = until, reason

    def _local_minute_wait(self, now):
        while self._recent and now - self._recent[0] >= MINUTE:
            self._recent.popleft()
        if len(self._recent) < self.per_minute:
            return 0.0
        # The oldest call in our sliding view leaves it 60 s after it was sent.
        return self._recent[-self.per_minute] + MINUTE - now

    def before_call(self):
        """Return ``Decision(wait, stop, reason)`` for the next call."""
        now = self.clock()
        if self._day_exhausted_until is not None:
            if now < self._day_exhausted_until:
                return Decision(self._day_exhausted_until - now, True,
                                "Xero day limit reached for this organisation")
            self._day_exhausted_until = None
        if now - self._day_started < DAY and self._day_calls >= self.per_day:
            return Decision(self._day_started + DAY - now, True,
                            "local day budget of %d calls used" % self.per_day)
        wait, reason = self._local_minute_wait(now), "local minute budget used"
        if self._blocked_until is not None:
            if self._blocked_until > now and self._blocked_until - now > wait:
                wait, reason = self._blocked_until - now, self._blocked_reason
            elif self._blocked_until <= now:
                self._blocked_until = None
        if wait <= 0 and self._in_flight >= self.concurrent:
            wait, reason = self.busy_poll, "%d calls already in flight" % self._in_flight
        if wait > self.max_wait:
            return Decision(wait, True, reason)
        return Decision(max(0.0, wait), False, reason if wait > 0 else "")


# ------------------------------------------------------------------ shared state
#
# Several workers (threads, Odoo processes, servers) may call one organisation. Each
# RatePacer above only knows its own calls; a SharedRatePacer keeps the whole view in a
# store they share (a database row per organisation), read and written in one atomic
# step before and after every call, so that they pace the organisation as one.


def new_shared_state():
    """The state a store keeps per organisation; every value is a number, a string, None
    or a list, so that it fits a database row (times are seconds since the epoch)."""
    return {
        "recent": [],  # start times of the calls of the last 60 s (reserved ones included)
        "day_start": None,  # start of the local day window
        "day_calls": 0,
        "blocked_until": None,  # minute/app limit nearly used, or a 429: no call before
        "blocked_reason": "",
        "day_blocked_until": None,  # Xero's day limit reached
        "in_flight": [],  # [[token, started at], ...] of calls sent and not answered
        "minute_left": None,  # the last X-MinLimit-Remaining / X-DayLimit-Remaining seen
        "day_left": None,
        "last_call_at": None,
    }


class MemoryPacingStore:
    """A store for one process: a dict behind a lock. ``transact(fn)`` runs
    ``fn(state, now)`` atomically and returns its result. A database store does the same
    with a row lock (``SELECT ... FOR UPDATE``, then ``UPDATE``) and the database's clock,
    so that every server reads the same time."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self.state = new_shared_state()
        self._lock = threading.Lock()

    def transact(self, fn):
        with self._lock:
            return fn(self.state, self.clock())


class SharedRatePacer:
    """RatePacer's interface (``before_call``, ``call_started``, ``after_response``,
    ``calls_made``) over a store shared by every worker of one organisation.

    ``before_call`` decides and, unless the decision is ``stop``, reserves the call in
    the same atomic step, at the moment it will start (now + wait): two workers asking
    at once get two distinct slots, so the minute window holds across them. The call in
    flight is reserved too; a call left in flight by a worker that died is forgotten
    after ``in_flight_timeout`` seconds. The concurrency cap makes callers wait a short
    ``busy_poll`` (without reserving); the call is then reserved by ``call_started``.
    """

    def __init__(self, store, per_minute=60, per_day=5000, concurrent=5, minute_reserve=1,
                 day_reserve=10, app_reserve=50, max_wait=60.0, busy_poll=0.5,
                 in_flight_timeout=300.0):
        self.store = store
        self.per_minute = per_minute
        self.per_day = per_day
        self.concurrent = concurrent
        self.minute_reserve = minute_reserve
        self.day_reserve = day_reserve
        self.app_reserve = app_reserve
        self.max_wait = max_wait
        self.busy_poll = busy_poll
        self.in_flight_timeout = in_flight_timeout
        self._total_calls = 0
        self._reserved = None  # token of the call before_call reserved
        self._tokens = []  # tokens of this pacer's calls in flight, oldest first

    @property
    def calls_made(self):
        """Calls this pacer has let through since it was created (for usage reports)."""
        return self._total_calls

    # -- the three steps of a call -------------------------------------------------------

    def before_call(self):
        """Return ``Decision(wait, stop, reason)``; a call is reserved unless it stops."""
        token = self._new_token()
        decision, reserved = self.store.transact(
            lambda state, now: self._decide(state, now, token))
        if reserved:
            self._reserved = token
        return decision

    def call_started(self):
        """The call is being sent now (reserved by ``before_call``, or reserved here)."""
        token, self._reserved = self._reserved, None
        if token is None:
            token = self._new_token()
            self.store.transact(lambda state, now: self._reserve(state, now, now, token))
        self._tokens.append(token)
        self._total_calls += 1

    def after_response(self, headers, status=200):
        """Learn from one response (success or error) for every worker."""
        token = self._tokens.pop(0) if self._tokens else None
        self.store.transact(lambda state, now: self._learn(state, now, token, headers, status))

    # -- inside the store's transaction ----------------------------------------------------

    def _new_token(self):
        return uuid.uuid4().hex

    def _tidy(self, state, now):
        state["recent"] = [t for t in state["recent"] if t > now - MINUTE]
        state["in_flight"] = [[token, started] for token, started in state["in_flight"]
                              if started > now - self.in_flight_timeout]
        if state["day_start"] is None or now - state["day_start"] >= DAY:
            state["day_start"], state["day_calls"] = now, 0

    def _decide(self, state, now, token):
        self._tidy(state, now)
        stop = self._day_stop(state, now)
        if stop:
            return stop, False
        wait, reason = 0.0, ""
        recent = sorted(state["recent"])
        if len(recent) >= self.per_minute:
            # The call that leaves our 60 s view first frees the slot.
            wait, reason = recent[-self.per_minute] + MINUTE - now, "shared minute budget used"
        blocked = state["blocked_until"]
        if blocked is not None and blocked - now > wait:
            wait, reason = blocked - now, state["blocked_reason"] or "Xero said wait"
        if wait > self.max_wait:
            return Decision(wait, True, reason), False
        if wait <= 0 and len(state["in_flight"]) >= self.concurrent:
            return Decision(self.busy_poll, False,
                            "%d calls already in flight" % len(state["in_flight"])), False
        wait = max(0.0, wait)
        self._reserve(state, now, now + wait, token)
        return Decision(wait, False, reason if wait > 0 else ""), True

    def _day_stop(self, state, now):
        until = state["day_blocked_until"]
        if until is not None and now < until:
            return Decision(until - now, True, "Xero day limit reached for this organisation")
        state["day_blocked_until"] = None
        if state["day_calls"] >= self.per_day:
            return Decision(state["day_start"] + DAY - now, True,
                            "day budget of %d calls used" % self.per_day)
        return None

    def _reserve(self, state, now, at, token):
        self._tidy(state, now)
        state["recent"].append(at)
        state["in_flight"].append([token, at])
        state["day_calls"] += 1
        state["last_call_at"] = at

    def _learn(self, state, now, token, headers, status):
        self._tidy(state, now)
        state["in_flight"] = [pair for pair in state["in_flight"] if pair[0] != token]
        if status == 429:
            problem = str(_header(headers, "X-Rate-Limit-Problem") or "").lower()
            wait = retry_after_from(headers)
            if problem == "day":
                state["day_blocked_until"] = now + (wait if wait is not None else 3600.0)
            else:
                self._block(state, now + (wait if wait is not None else MINUTE),
                            "Xero answered 429 (%s limit)" % (problem or "unknown"))
            return
        minute_left = _int_header(headers, "X-MinLimit-Remaining")
        day_left = _int_header(headers, "X-DayLimit-Remaining")
        app_left = _int_header(headers, "X-AppMinLimit-Remaining")
        if minute_left is not None:
            state["minute_left"] = minute_left
            if minute_left <= self.minute_reserve:
                self._block(state, now + MINUTE,
                            "Xero minute limit nearly used (%d left)" % minute_left)
        if app_left is not None and app_left <= self.app_reserve:
            self._block(state, now + MINUTE,
                        "app-wide minute limit nearly used (%d left)" % app_left)
        if day_left is not None:
            state["day_left"] = day_left
            if day_left <= self.day_reserve:
                # When the day window resets is unknown: look again in an hour.
                state["day_blocked_until"] = now + 3600.0

    def _block(self, state, until, reason):
        if state["blocked_until"] is None or until > state["blocked_until"]:
            state["blocked_until"], state["blocked_reason"] = until, reason
