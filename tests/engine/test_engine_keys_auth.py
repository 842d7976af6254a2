"""Idempotency keys, scopes, and the auth failures that stop a connection."""

from decimal import Decimal as D

import urllib3
from xero_python import exceptions as xe
from xero_python.accounting.api.exception_handler import translate_status_exception
from xero_python.rest import RESTResponse

from clarus_sync_engine import scopes, states
from clarus_sync_engine.idempotency import derived_key, idempotency_key
from clarus_sync_engine.retry import classify

INVOICE = {"InvoiceNumber": "INV/1", "LineItems": [{"UnitAmount": D("10.00"), "Quantity": 1}]}


def test_key_is_the_same_for_a_retry_and_new_for_a_changed_payload():
    first = idempotency_key("tenant-1", "invoice", [7, 8], [INVOICE])
    # A retry after a timeout: same jobs, same payload (key order, Decimal spelling aside).
    again = idempotency_key("tenant-1", "invoice", [7, 8], [
        {"LineItems": [{"Quantity": 1, "UnitAmount": D("10")}], "InvoiceNumber": "INV/1"}])
    assert first == again and len(first) <= 128
    changed = dict(INVOICE, LineItems=[{"UnitAmount": D("10.01"), "Quantity": 1}])
    assert idempotency_key("tenant-1", "invoice", [7, 8], [changed]) != first
    assert idempotency_key("tenant-2", "invoice", [7, 8], [INVOICE]) != first
    assert idempotency_key("tenant-1", "invoice", [7, 9], [INVOICE]) != first
    assert idempotency_key("tenant-1", "credit_note", [7, 8], [INVOICE]) != first
    part = derived_key(first, "create_contacts")
    assert part != first and part != derived_key(first, "update_or_create_contacts")
    assert len(part) <= 128


def test_default_scope_is_granular():
    assert scopes.DEFAULT_SCOPE == ("offline_access accounting.contacts accounting.settings "
                                   "accounting.invoices accounting.payments")
    assert "accounting.transactions" not in scopes.DEFAULT_SCOPE
    assert scopes.missing_scopes("offline_access accounting.contacts accounting.settings "
                                "accounting.transactions") == ["accounting.invoices",
                                                               "accounting.payments"]
    assert scopes.missing_scopes(scopes.DEFAULT_SCOPE.split()) == []


def sdk_error(status, headers):
    raw = urllib3.HTTPResponse(body=b"{}", headers=headers, status=status, reason="x",
                               preload_content=True)
    return translate_status_exception(xe.HTTPStatusException(http_resp=RESTResponse(raw)),
                                      None, "get_invoices")


def test_disconnected_tenant_and_missing_scope_stop_the_connection():
    gone = classify(sdk_error(403, {}))
    assert (gone.category, gone.retryable, gone.stop_connection) == (states.AUTH, False, True)
    assert "Reconnect the organisation" in gone.message
    scope = classify(sdk_error(401, {"WWW-Authenticate": 'Bearer error="insufficient_scope", '
                                                         'scope="accounting.invoices"'}))
    assert (scope.category, scope.stop_connection) == (states.AUTH, True)
    assert "missing accounting.invoices" in scope.message and "Re-authorise" in scope.message
    plain = classify(sdk_error(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}))
    assert (plain.category, plain.stop_connection) == (states.AUTH, False)
