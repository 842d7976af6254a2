import pytest

from clarus_sync_engine import dashboard
from clarus_sync_engine.retry import MISSING_SCOPE_MESSAGE, TENANT_GONE_MESSAGE, classify_auth

REFUSED = "Xero refused the stored authorisation (%s). Click 'Connect to Xero' to authorise again."


@pytest.mark.parametrize("state,last_error,holds_tokens,reason", [
    ("connected", "The last push stopped on an unexpected error", True, None),
    ("draft", False, False, dashboard.NEVER),
    ("draft", "Xero refused the authorisation: access_denied", False,
     dashboard.CONSENT_REFUSED),
    ("choose_tenant", False, True, dashboard.CHOOSE_TENANT),
    ("needs_reauth", REFUSED % "invalid_grant", True, dashboard.TOKEN_REFUSED),
    ("needs_reauth", REFUSED % TENANT_GONE_MESSAGE, True, dashboard.TENANT_GONE),
    ("needs_reauth", REFUSED % (MISSING_SCOPE_MESSAGE % ", missing accounting.invoices"),
     True, dashboard.MISSING_SCOPE),
    ("needs_reauth", "The Xero addresses of this connection changed", False,
     dashboard.ADDRESSES_CHANGED),
    ("disconnected", False, False, dashboard.DISCONNECTED),
])
def test_why_a_connection_cannot_send(state, last_error, holds_tokens, reason):
    assert dashboard.down_reason(state, last_error, holds_tokens) == reason


def test_the_reason_follows_the_verdicts_xero_gives():
    """The messages the push records for a 403 and a missing scope are recognised."""
    gone = classify_auth(403)
    scope = classify_auth(401, 'Bearer error="insufficient_scope", scope="accounting.invoices"')
    assert dashboard.down_reason("needs_reauth", REFUSED % gone.message, True) == \
        dashboard.TENANT_GONE
    assert dashboard.down_reason("needs_reauth", REFUSED % scope.message, True) == \
        dashboard.MISSING_SCOPE
    # Any other 401: a token Xero no longer accepts.
    other = classify_auth(401, 'Bearer error="invalid_token"')
    assert dashboard.down_reason("needs_reauth", REFUSED % other.message, True) == \
        dashboard.TOKEN_REFUSED


@pytest.mark.parametrize("seconds,text", [
    (0, "0 s"), (None, "0 s"), (59.4, "59 s"), (60, "1 min"), (3599, "59 min"),
    (3600, "1 h 00 min"), (3 * 3600 + 5 * 60 + 30, "3 h 05 min"),
    (47 * 3600 + 59 * 60, "47 h 59 min"), (2 * 86400 + 4 * 3600 + 10, "2 d 4 h"),
])
def test_durations_read_at_a_glance(seconds, text):
    assert dashboard.format_seconds(seconds) == text
