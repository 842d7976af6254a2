"""What the sync dashboard says about a connection: why it cannot send, and durations
people read at a glance."""

from .retry import TENANT_GONE_MESSAGE

# Why a connection cannot send, most specific first where the state alone is not enough.
NEVER = "never"
CONSENT_REFUSED = "consent_refused"
CHOOSE_TENANT = "choose_tenant"
TOKEN_REFUSED = "token_refused"
TENANT_GONE = "tenant_gone"
MISSING_SCOPE = "missing_scope"
ADDRESSES_CHANGED = "addresses_changed"
DISCONNECTED = "disconnected"


def down_reason(state, last_error, holds_tokens):
    """Why a connection in ``state`` cannot send, from what it recorded when it stopped:
    one of the reasons above, or None when it is connected.

    ``last_error`` embeds Xero's verdict untranslated, so the verdict is found in it
    whatever the user's language. A refused refresh keeps the tokens; a change of Xero
    addresses drops them (``holds_tokens``): that tells the two apart.
    """
    error = last_error or ""
    if state == "connected":
        return None
    if state == "choose_tenant":
        return CHOOSE_TENANT
    if state == "disconnected":
        return DISCONNECTED
    if state == "needs_reauth":
        if TENANT_GONE_MESSAGE in error:
            return TENANT_GONE
        if "insufficient_scope" in error:
            return MISSING_SCOPE
        if not holds_tokens:
            return ADDRESSES_CHANGED
        return TOKEN_REFUSED
    # Not connected yet: the authorisation never completed, or Xero refused it.
    return CONSENT_REFUSED if error else NEVER


def format_seconds(seconds):
    """'45 s', '12 min', '3 h 05 min', '2 d 4 h'."""
    seconds = round(seconds or 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
