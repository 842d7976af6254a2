"""What a failure means (``classify``) and when to try again (``backoff``).

``classify`` takes what the client raised (xero-python, urllib3, requests or socket
exceptions, or the engine's own ``InvalidGrant``) or an HTTP response-like object, and
returns ``Classification(category, retryable, message, retry_after)``; the categories
and their user advice are in ``states``.

The one distinction that needs care is *when* a network failure happened: if the
connection could not even be opened, nothing reached Xero and a resend is safe
(TRANSIENT); if the request was sent and the answer was lost, Xero may have saved the
document (UNKNOWN_OUTCOME): look it up before sending again.
"""

import random
import re
import socket
from collections import namedtuple

import requests
from urllib3 import exceptions as u3
from xero_python import exceptions as xe

from .pacing import PacingStop, retry_after_from
from .scopes import DEFAULT_SCOPE
from .states import AUTH, RATE_LIMIT, TRANSIENT, UNKNOWN_OUTCOME, VALIDATION
from .urls import UrlTooLong

# ``stop_connection``: the failure is the connection's, not the job's (tenant
# disconnected, scope missing): stop sending for the whole organisation and tell an
# administrator; retrying the jobs cannot help until they act.
Classification = namedtuple("Classification", "category retryable message retry_after "
                            "stop_connection", defaults=(False,))

TENANT_GONE_MESSAGE = (
    "Xero refused access to this organisation (HTTP 403): the organisation was "
    "disconnected from the app, or the user who connected it lost access. Reconnect the "
    "organisation in the Xero settings, then retry the failed jobs.")
MISSING_SCOPE_MESSAGE = (
    "Xero refused the call because the connection lacks a permission (HTTP 401, "
    "insufficient_scope%s). Re-authorise the organisation so it grants the scopes "
    + DEFAULT_SCOPE + ", then retry the failed jobs.")


class InvalidGrant(Exception):
    """The refresh token was refused (expired, revoked or already used)."""


class LookupNotFound(Exception):
    """A GET look-up answered 404.

    Not proof that the record is gone: Xero also answers 404 to a URL that is too long
    and, briefly, for a record it has just saved (XERO_API §8). ``classify`` makes it
    TRANSIENT (retried with back-off), never a final validation failure of the batch.
    """

    def __init__(self, method, cause):
        super().__init__("Xero answered 404 to the look-up %s." % method)
        self.method = method
        self.cause = cause
        self.http_resp = getattr(cause, "http_resp", None)


def _headers_of(source):
    http_resp = getattr(source, "http_resp", None)
    raw = getattr(http_resp, "urllib3_response", None)
    for candidate in (raw, http_resp, source):
        headers = getattr(candidate, "headers", None)
        if headers is not None and not callable(headers):
            return headers
    return {}


def _error_data(exc):
    try:
        return exc.error_data
    except (ValueError, TypeError, AttributeError):
        return None


def validation_messages(error_data):
    """Every ``ValidationErrors[].Message`` in a Xero 400 body, in order, deduplicated."""
    messages = []
    if not isinstance(error_data, dict):
        return messages
    sources = list(error_data.get("Elements") or []) + [error_data]
    for element in sources:
        if not isinstance(element, dict):
            continue
        for error in element.get("ValidationErrors") or []:
            message = (error or {}).get("Message")
            if message and message not in messages:
                messages.append(message)
    return messages


def _classify_bad_request(exc):
    data = _error_data(exc)
    if isinstance(data, dict) and data.get("error") == "invalid_grant":
        return Classification(AUTH, False, "Xero refused the saved authorisation "
                              "(invalid_grant): reconnect the organisation.", None)
    messages = validation_messages(data)
    if not messages and isinstance(data, dict):
        messages = [str(data.get("Message") or data.get("Detail") or data.get("error") or "")]
    text = "; ".join(m for m in messages if m) or "Xero rejected the request as invalid."
    return Classification(VALIDATION, False, text, None)


def _classify_status(status, exc_or_resp, headers):
    if status == 429:
        problem = (_header_value(headers, "X-Rate-Limit-Problem") or "unknown")
        return Classification(RATE_LIMIT, True, "Xero rate limit reached (%s)." % problem,
                              retry_after_from(headers))
    if status in (401, 403):
        return classify_auth(status, _header_value(headers, "WWW-Authenticate") or "")
    if status == 404:
        return Classification(VALIDATION, False, "The record was not found in Xero; it may "
                              "have been deleted there.", None)
    if status == 504:
        # A gateway timeout means Xero received the request but did not answer in time.
        return Classification(UNKNOWN_OUTCOME, True, "Xero timed out after receiving the "
                              "request (HTTP 504).", retry_after_from(headers))
    if status is not None and 500 <= status <= 599:
        return Classification(TRANSIENT, True, "Xero had a temporary error (HTTP %s)."
                              % status, retry_after_from(headers))
    if status == 400:
        return _classify_bad_request(exc_or_resp)
    return Classification(TRANSIENT, True, "Unexpected HTTP status %s from Xero." % status,
                          retry_after_from(headers))


def missing_scope(www_authenticate):
    """The scope named in a ``WWW-Authenticate`` header with ``insufficient_scope``.

    Returns ``""`` when the header says insufficient_scope without naming one, None when
    it does not say insufficient_scope at all.
    """
    text = www_authenticate or ""
    if "insufficient_scope" not in text:
        return None
    match = re.search(r'scope="([^"]*)"', text)
    return match.group(1) if match else ""


def classify_auth(status, www_authenticate=""):
    """Classification of a 401 or 403 from the Accounting API.

    Xero rules (XERO_API §1, §8): 403 means the tenant is disconnected from the app (or
    the call had no ``xero-tenant-id``); 401 with ``insufficient_scope`` in
    ``WWW-Authenticate`` means the token lacks a scope. Both are the connection's
    problem: AUTH with ``stop_connection=True`` and a message saying what the
    administrator must do. Any other 401 (a token Xero no longer accepts) is AUTH
    without the flag: the next token refresh may cure it.
    """
    if status == 403:
        return Classification(AUTH, False, TENANT_GONE_MESSAGE, None, True)
    scope = missing_scope(www_authenticate)
    if scope is not None:
        detail = ", missing %s" % scope if scope else ""
        return Classification(AUTH, False, MISSING_SCOPE_MESSAGE % detail, None, True)
    message = ("Xero refused access (HTTP %s). %s" % (status, www_authenticate)).strip()
    return Classification(AUTH, False, message, None)


def _header_value(headers, name):
    for key, value in (headers.items() if hasattr(headers, "items") else headers or ()):
        if str(key).lower() == name.lower():
            return value
    return None


# Failures before any byte reached Xero: resending is safe.
_NOT_SENT = (u3.ConnectTimeoutError, u3.NewConnectionError, requests.exceptions.ConnectTimeout,
             ConnectionRefusedError, socket.gaierror)
# Failures after the request may have been received: look before resending.
_MAYBE_SENT = (u3.ReadTimeoutError, u3.ProtocolError, requests.exceptions.ReadTimeout,
               requests.exceptions.ConnectionError, TimeoutError, ConnectionError)


def _unwrap(exc):
    """The innermost cause of urllib3/requests wrappers (MaxRetryError, ConnectionError)."""
    for _ in range(5):
        if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
            exc = exc.reason
        elif (isinstance(exc, requests.exceptions.ConnectionError)
              and not isinstance(exc, requests.exceptions.Timeout)
              and exc.args and isinstance(exc.args[0], BaseException)):
            exc = exc.args[0]
        else:
            break
    return exc


def _classify_network(exc):
    inner = _unwrap(exc)
    if isinstance(inner, (xe.ApiSSLException, u3.SSLError)):
        return Classification(TRANSIENT, True, "Secure connection to Xero failed: %s" % inner,
                              None)
    if isinstance(inner, _NOT_SENT):
        return Classification(TRANSIENT, True, "Could not connect to Xero (%s)."
                              % type(inner).__name__, None)
    if isinstance(inner, _MAYBE_SENT):
        return Classification(UNKNOWN_OUTCOME, True, "The request was sent but no answer came "
                              "back (%s)." % type(inner).__name__, None)
    return None


def classify(exc_or_response):
    """Classify an exception or HTTP response; see the module docstring."""
    item = exc_or_response
    if isinstance(item, LookupNotFound):
        return Classification(TRANSIENT, True, "Xero answered 404 (not found) to a look-up "
                              "(%s). That is not proof the record is gone (Xero also says 404 "
                              "for an over-long URL): the job is tried again later."
                              % item.method, None)
    if isinstance(item, PacingStop):
        # Raised before a look-up or a send: nothing reached Xero.
        return Classification(RATE_LIMIT, True, "Paused to stay within Xero's call limits: "
                              "%s" % item.decision.reason, item.decision.wait)
    if isinstance(item, UrlTooLong):
        return Classification(VALIDATION, False, str(item), None)
    if isinstance(item, (InvalidGrant, xe.OAuth2InvalidGrantError)):
        return Classification(AUTH, False, "Xero refused the saved authorisation "
                              "(invalid_grant): reconnect the organisation.", None)
    if isinstance(item, (xe.AccessTokenExpiredError, xe.OAuth2TokenGetterError)):
        return Classification(AUTH, False, "No valid Xero access token: %s" % item, None)
    if isinstance(item, xe.ApiSSLException):
        return Classification(TRANSIENT, True, "Secure connection to Xero failed: %s"
                              % item.reason, None)
    if isinstance(item, xe.ApiException) or hasattr(item, "status"):
        status = getattr(item, "status", None)
        if isinstance(item, xe.AccountingBadRequestException):
            status = 400  # its .status property is unreliable (reads a dict attribute)
        return _classify_status(_as_int(status), item, _headers_of(item))
    network = _classify_network(item) if isinstance(item, BaseException) else None
    if network:
        return network
    return Classification(UNKNOWN_OUTCOME, True, "Unexpected error while talking to Xero: "
                          "%s: %s" % (type(item).__name__, item), None)


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def element_errors(result):
    """Classification for one failed element of a ``summarizeErrors=false`` batch."""
    errors = result.get("errors") if isinstance(result, dict) else getattr(result, "errors", ())
    text = "; ".join(errors or ()) or "Xero marked this record as an error."
    return Classification(VALIDATION, False, text, None)


def backoff(attempt, base=30, cap=3600, retry_after=None, rand=random.random):
    """Seconds before retry ``attempt`` (1 = first retry): full jitter, >= Retry-After.

    ``min(cap, base * 2**(attempt-1)) * rand()``, as in AWS "full jitter", so workers
    that failed together do not retry together; never less than the server's request.
    """
    attempt = max(1, int(attempt))
    ceiling = min(float(cap), float(base) * (2 ** min(attempt - 1, 32)))
    delay = ceiling * rand()
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return delay
