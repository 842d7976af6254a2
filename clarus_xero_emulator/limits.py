"""Xero-style rate limits per organisation: fixed minute and day windows plus in-flight cap."""

import math
import threading

APP_MINUTE_LIMIT = 10000


class RateLimiter:
    def __init__(self, clock, minute_limit=60, day_limit=5000, concurrent_limit=5):
        self.clock = clock
        self.minute_limit = int(minute_limit)
        self.day_limit = int(day_limit)
        self.concurrent_limit = int(concurrent_limit)
        self.app_minute_limit = APP_MINUTE_LIMIT
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._tenants = {}
            self._apps = {}

    def configure(self, minute_limit=None, day_limit=None, concurrent_limit=None,
                  app_minute_limit=None):
        with self._lock:
            if minute_limit is not None:
                self.minute_limit = int(minute_limit)
            if day_limit is not None:
                self.day_limit = int(day_limit)
            if concurrent_limit is not None:
                self.concurrent_limit = int(concurrent_limit)
            if app_minute_limit is not None:
                self.app_minute_limit = int(app_minute_limit)

    def config(self) -> dict:
        return {
            "minute_limit": self.minute_limit,
            "day_limit": self.day_limit,
            "concurrent_limit": self.concurrent_limit,
            "app_minute_limit": self.app_minute_limit,
        }

    # Windows are fixed and start at each tenant's first call, so they reset at different
    # times for different tenants (as Xero's do).
    def _window(self, tenant, now):
        w = self._tenants.get(tenant)
        if w is None:
            w = self._tenants[tenant] = {"min_start": now, "min": 0, "day_start": now, "day": 0,
                                         "inflight": 0}
        if now >= w["min_start"] + 60:
            w["min_start"], w["min"] = now, 0
        if now >= w["day_start"] + 86400:
            w["day_start"], w["day"] = now, 0
        return w

    def _app(self, client, now):
        a = self._apps.get(client)
        if a is None or now >= a["start"] + 60:
            a = self._apps[client] = {"start": now, "count": 0}
        return a

    def acquire(self, tenant, client):
        """Count one call. Returns None when allowed, else (problem, retry_after or None)."""
        with self._lock:
            now = self.clock.now()
            w = self._window(tenant, now)
            app = self._app(client, now)
            if w["inflight"] >= self.concurrent_limit:
                return ("concurrent", None)
            if w["day"] >= self.day_limit:
                return ("day", max(1, math.ceil(w["day_start"] + 86400 - now)))
            if w["min"] >= self.minute_limit:
                return ("minute", max(1, math.ceil(w["min_start"] + 60 - now)))
            if app["count"] >= self.app_minute_limit:
                return ("appminute", max(1, math.ceil(app["start"] + 60 - now)))
            w["min"] += 1
            w["day"] += 1
            w["inflight"] += 1
            app["count"] += 1
            return None

    def release(self, tenant):
        with self._lock:
            w = self._tenants.get(tenant)
            if w and w["inflight"] > 0:
                w["inflight"] -= 1

    def retry_after(self, tenant, problem) -> int:
        """Seconds until the named window of this tenant resets (used by forced limits)."""
        with self._lock:
            now = self.clock.now()
            w = self._window(tenant or "-", now)
            if problem == "day":
                return max(1, math.ceil(w["day_start"] + 86400 - now))
            return max(1, math.ceil(w["min_start"] + 60 - now))

    def headers(self, tenant, client) -> dict:
        with self._lock:
            now = self.clock.now()
            if tenant:
                w = self._window(tenant, now)
                day_left = max(0, self.day_limit - w["day"])
                min_left = max(0, self.minute_limit - w["min"])
            else:
                day_left, min_left = self.day_limit, self.minute_limit
            app_left = self.app_minute_limit
            if client:
                app_left = max(0, self.app_minute_limit - self._app(client, now)["count"])
            return {
                "X-DayLimit-Remaining": str(day_left),
                "X-MinLimit-Remaining": str(min_left),
                "X-AppMinLimit-Remaining": str(app_left),
            }
