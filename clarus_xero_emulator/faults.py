"""Fault injection rules, switchable at run time through the control API.

A rule: {"mode": "error"|"slow"|"timeout"|"drop"|"rate_limit",
         "status": 503, "delay": 1.0, "hold": 2.0, "problem": "minute"|"day",
         "retry_after": null, "path_prefix": "/api.xro/2.0/", "method": "PUT",
         "count": N, "rate": 0..1, "seed": 0}
``count`` limits the rule to the next N matching requests; ``rate`` makes it fire for that
share of matching requests (deterministic for a given ``seed``). Without either it always fires.
"""

import itertools
import random
import threading

MODES = {"error", "slow", "timeout", "drop", "rate_limit"}
ALIASES = {"5xx": "error", "delay": "slow", "close": "drop", "rate-limit": "rate_limit",
           "ratelimit": "rate_limit"}
DEFAULT_PREFIX = "/api.xro/2.0/"


class FaultError(ValueError):
    pass


class FaultInjector:
    def __init__(self):
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.rules = []

    def clear(self):
        with self._lock:
            self.rules = []

    def add(self, spec: dict) -> dict:
        if not isinstance(spec, dict):
            raise FaultError("a fault must be a JSON object")
        mode = str(spec.get("mode", "")).lower()
        mode = ALIASES.get(mode, mode)
        if mode not in MODES:
            raise FaultError("mode must be one of %s" % ", ".join(sorted(MODES)))
        rule = {
            "id": next(self._ids),
            "mode": mode,
            "status": int(spec.get("status", 503)),
            "delay": float(spec.get("delay", 1.0)),
            "hold": float(spec.get("hold", 2.0)),
            "problem": str(spec.get("problem", "minute")),
            "retry_after": spec.get("retry_after"),
            "path_prefix": spec.get("path_prefix") or DEFAULT_PREFIX,
            "method": (spec.get("method") or "").upper() or None,
            "count": None if spec.get("count") is None else int(spec["count"]),
            "rate": None if spec.get("rate") is None else float(spec["rate"]),
            "seed": spec.get("seed", 0),
            "fired": 0,
        }
        if mode == "error" and not 500 <= rule["status"] <= 599:
            raise FaultError("status must be a 5xx code")
        if mode == "rate_limit" and rule["problem"] not in ("minute", "day"):
            raise FaultError("problem must be minute or day")
        if rule["rate"] is not None and not 0 <= rule["rate"] <= 1:
            raise FaultError("rate must be between 0 and 1")
        rule["_rng"] = random.Random(rule["seed"])
        with self._lock:
            self.rules.append(rule)
        return public(rule)

    def match(self, method: str, path: str):
        """The first rule that fires for this request (consumes a count), or None."""
        with self._lock:
            for rule in self.rules:
                if not path.lower().startswith(rule["path_prefix"].lower()):
                    continue
                if rule["method"] and rule["method"] != method.upper():
                    continue
                if rule["count"] is not None and rule["count"] <= 0:
                    continue
                if rule["rate"] is not None and rule["_rng"].random() >= rule["rate"]:
                    continue
                if rule["count"] is not None:
                    rule["count"] -= 1
                rule["fired"] += 1
                return dict(rule)
            return None

    def list(self):
        with self._lock:
            return [public(r) for r in self.rules]


def public(rule):
    return {k: v for k, v in rule.items() if not k.startswith("_")}
