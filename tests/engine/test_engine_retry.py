import json
import socket

import pytest
import requests
import urllib3
from urllib3 import exceptions as u3
from xero_python import exceptions as xe
from xero_python.accounting.api.exception_handler import translate_status_exception
from xero_python.rest import RESTResponse

from clarus_sync_engine import states
from clarus_sync_engine.retry import InvalidGrant, backoff, classify


def sdk_error(status, body=b"", headers=None, reason="Error"):
    """The exception the AccountingApi raises, built exactly as rest.py and the handler do."""
    raw = urllib3.HTTPResponse(body=body, headers=headers or {}, status=status, reason=reason,
                               preload_content=True)
    return translate_status_exception(xe.HTTPStatusException(http_resp=RESTResponse(raw)),
                                      None, "create_invoices")


VALIDATION_BODY = json.dumps({
    "ErrorNumber": 10, "Type": "ValidationException",
    "Message": "A validation exception occurred",
    "Elements": [{"InvoiceNumber": "INV/1", "ValidationErrors": [
        {"Message": "Invoice # must be unique."},
        {"Message": "Account code '476' has been removed as it does not match a recognised "
                    "account."}]}],
}).encode()


def test_validation_400_is_final_and_carries_every_xero_message():
    exc = sdk_error(400, VALIDATION_BODY)
    assert isinstance(exc, xe.AccountingBadRequestException)
    result = classify(exc)
    assert result.category == states.VALIDATION and result.retryable is False
    assert "Invoice # must be unique." in result.message
    assert "Account code '476'" in result.message


def test_invalid_grant_inside_an_accounting_call_is_auth():
    exc = sdk_error(400, b'{"error":"invalid_grant"}')
    result = classify(exc)
    assert (result.category, result.retryable) == (states.AUTH, False)


def test_identity_invalid_grant_and_our_own_invalid_grant_are_auth():
    raw = urllib3.HTTPResponse(body=b'{"error":"invalid_grant"}', status=400,
                               preload_content=True)
    assert classify(xe.OAuth2InvalidGrantError(http_resp=RESTResponse(raw))).category == states.AUTH
    assert classify(InvalidGrant("expired")).category == states.AUTH


def test_rate_limit_reads_problem_and_retry_after():
    exc = sdk_error(429, b"", {"Retry-After": "42", "X-Rate-Limit-Problem": "minute"})
    assert isinstance(exc, xe.RateLimitException) and exc.rate_limit == "minute"
    result = classify(exc)
    assert result == (states.RATE_LIMIT, True, "Xero rate limit reached (minute).", 42.0, False)


@pytest.mark.parametrize("status,category,retryable", [
    (401, states.AUTH, False),
    (403, states.AUTH, False),
    (404, states.VALIDATION, False),
    (500, states.TRANSIENT, True),
    (503, states.TRANSIENT, True),
    (504, states.UNKNOWN_OUTCOME, True),
])
def test_http_statuses(status, category, retryable):
    result = classify(sdk_error(status, b"{}"))
    assert (result.category, result.retryable) == (category, retryable)


def test_timeout_after_sending_is_unknown_outcome_but_connect_failure_is_transient():
    pool = urllib3.HTTPConnectionPool("127.0.0.1", 9)
    read_timeout = u3.ReadTimeoutError(pool, "/Invoices", "Read timed out.")
    assert classify(read_timeout).category == states.UNKNOWN_OUTCOME
    assert classify(u3.MaxRetryError(pool, "/Invoices", read_timeout)).category \
        == states.UNKNOWN_OUTCOME
    assert classify(u3.ProtocolError("Connection aborted.", ConnectionResetError())).category \
        == states.UNKNOWN_OUTCOME
    assert classify(TimeoutError("timed out")).category == states.UNKNOWN_OUTCOME
    refused = u3.NewConnectionError(None, "Connection refused")
    result = classify(u3.MaxRetryError(pool, "/Invoices", refused))
    assert (result.category, result.retryable) == (states.TRANSIENT, True)
    assert classify(u3.ConnectTimeoutError(pool, "connect timed out")).category \
        == states.TRANSIENT


def test_requests_errors_from_the_token_refresh():
    assert classify(requests.exceptions.ConnectTimeout()).category == states.TRANSIENT
    assert classify(requests.exceptions.ReadTimeout()).category == states.UNKNOWN_OUTCOME
    pool = urllib3.HTTPConnectionPool("127.0.0.1", 9)
    wrapped = requests.exceptions.ConnectionError(
        u3.MaxRetryError(pool, "/connect/token", u3.NewConnectionError(None, "refused")))
    assert classify(wrapped).category == states.TRANSIENT


def test_real_refused_connection_through_the_sdk_is_transient():
    from xero_python.accounting import AccountingApi
    from xero_python.api_client import ApiClient, Configuration
    from xero_python.api_client.oauth2 import OAuth2Token

    token = {"access_token": "a", "token_type": "Bearer", "expires_in": 1800, "scope": []}
    configuration = Configuration()
    configuration.oauth2_token = OAuth2Token()
    client = ApiClient(configuration, pool_threads=1,
                       oauth2_token_getter=lambda: token)
    client.rest_client.pool_manager.connection_pool_kw["retries"] = urllib3.Retry(total=0)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = AccountingApi(client, base_url="http://127.0.0.1:%d/api.xro/2.0" % port)
    with pytest.raises(Exception) as info:
        api.get_invoices("tenant")
    assert classify(info.value).category == states.TRANSIENT


def test_backoff_is_bounded_jittered_and_respects_retry_after():
    assert backoff(1, rand=lambda: 1.0) == 30
    assert backoff(3, rand=lambda: 1.0) == 120
    assert backoff(30, rand=lambda: 1.0) == 3600
    assert backoff(2, rand=lambda: 0.0) == 0
    assert backoff(2, rand=lambda: 0.0, retry_after=90) == 90
    assert backoff(1, rand=lambda: 1.0, retry_after=5) == 30
    for attempt in range(1, 20):
        assert 0 <= backoff(attempt) <= min(3600, 30 * 2 ** (attempt - 1))


def test_a_pacing_stop_during_a_look_up_is_a_rate_limit_pause_not_an_unknown_outcome():
    from clarus_sync_engine.client import PacingStop
    from clarus_sync_engine.pacing import Decision

    result = classify(PacingStop(Decision(120.0, True, "day limit nearly used")))
    assert (result.category, result.retryable, result.retry_after) == \
        (states.RATE_LIMIT, True, 120.0)
    assert "day limit nearly used" in result.message
