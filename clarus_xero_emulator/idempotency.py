"""Idempotency-Key handling: responses are kept per app for six minutes of virtual time."""

import hashlib

TTL_SECONDS = 360
MAX_KEY_LENGTH = 128


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256(body or b"").hexdigest()
    return "%s %s?%s %s" % (method.upper(), path, query or "", digest)


class IdempotencyCache:
    def __init__(self, clock):
        self.clock = clock
        self.clear()

    def clear(self):
        self._entries = {}

    def _purge(self, now):
        for k in [k for k, e in self._entries.items() if now - e["ts"] >= TTL_SECONDS]:
            del self._entries[k]

    def lookup(self, app: str, key: str, fp: str):
        """('replay', entry) | ('mismatch', entry) | ('new', None). Caller holds the store lock."""
        self._purge(self.clock.now())
        entry = self._entries.get((app, key))
        if entry is None:
            return "new", None
        if entry["fingerprint"] != fp:
            return "mismatch", entry
        return "replay", entry

    def store(self, app: str, key: str, fp: str, status: int, body: bytes):
        self._entries[(app, key)] = {"fingerprint": fp, "status": status, "body": body,
                                     "ts": self.clock.now()}

    def __len__(self):
        return len(self._entries)
