"""Dates, numbers and JSON in the shapes Xero uses ("/Date(ms+0000)/", 2 dp amounts)."""

import datetime as dt
import email.utils
import json
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

UTC = dt.UTC
MS_DATE_RE = re.compile(r"^/Date\((-?\d+)([+-]\d{2,4})?\)/$")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def ms_date(ts: float) -> str:
    """Seconds since the epoch -> "/Date(ms+0000)/"."""
    return "/Date(%d+0000)/" % int(round(ts * 1000))


def day_ms(ts: float) -> str:
    """The UTC calendar day of a timestamp, as Xero renders dates: "/Date(ms+0000)/"."""
    day = dt.datetime.fromtimestamp(ts, UTC).date()
    return ms_date(dt.datetime.combine(day, dt.time(), UTC).timestamp())


def parse_date(value):
    """Parse a request date ("/Date(ms)/", "YYYY-MM-DD", ISO datetime) -> epoch seconds or None.

    Raises ValueError for a value that is present but cannot be parsed.
    """
    if value is None or value == "":
        return None
    text = str(value).strip()
    match = MS_DATE_RE.match(text)
    if match:
        return int(match.group(1)) / 1000.0
    if ISO_DATE_RE.match(text):
        y, m, d = (int(p) for p in text.split("-"))
        return dt.datetime(y, m, d, tzinfo=UTC).timestamp()
    return parse_timestamp(text)


def parse_timestamp(text: str) -> float:
    """ISO 8601 (naive = UTC) or HTTP-date -> epoch seconds. Raises ValueError."""
    text = text.strip()
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise ValueError("Invalid date value %r" % text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def date_to_ms(value) -> str:
    """Normalise any accepted request date to the UTC day in "/Date(ms+0000)/" form."""
    ts = parse_date(value)
    return None if ts is None else day_ms(ts)


def ms_to_ts(value):
    """Stored "/Date(ms+0000)/" -> epoch seconds (None if not a date)."""
    match = MS_DATE_RE.match(str(value or ""))
    return int(match.group(1)) / 1000.0 if match else None


def iso_utc(ts: float) -> str:
    """ISO 8601 as the identity API renders it (no offset, UTC)."""
    value = dt.datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def dec(value, default="0") -> Decimal:
    """Any JSON number or numeric string -> Decimal. Raises ValueError."""
    if value is None or value == "":
        value = default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError("%r is not a number" % (value,))


def q(value: Decimal, places: int = 2) -> Decimal:
    """Round half away from zero, as Xero does."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def num(value: Decimal):
    """Decimal -> JSON number (float)."""
    return float(value)


def dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), default=_default).encode("utf-8")


def _default(obj):
    if isinstance(obj, Decimal):
        return float(obj)
    raise TypeError("Cannot serialise %r" % type(obj))
