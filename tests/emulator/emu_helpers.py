"""Small builders shared by the emulator tests."""

import datetime as dt

import pytest
import requests
from xero_python.accounting import models as m
from xero_python.exceptions import AccountingBadRequestException

TODAY = dt.date(2026, 3, 2)


def raw(emulator, method, path, token=None, tenant=None, **kwargs):
    """A plain HTTP request to the emulator (for things the SDK cannot express)."""
    headers = kwargs.pop("headers", {})
    headers.setdefault("Accept", "application/json")
    if token:
        headers["Authorization"] = "Bearer " + token
    if tenant:
        headers["xero-tenant-id"] = tenant
    return requests.request(method, emulator.base_url + path, headers=headers, timeout=10,
                            **kwargs)


def control(emulator, method, path, body=None):
    resp = requests.request(method, emulator.base_url + "/_emulator" + path, json=body,
                            timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def contact(sdk, name="Acme Ltd", tenant=None, **kwargs):
    out = sdk.acct.create_contacts(tenant or sdk.nz,
                                   m.Contacts(contacts=[m.Contact(name=name, **kwargs)]))
    return out.contacts[0]


def line(**kwargs):
    kwargs.setdefault("description", "Widget")
    kwargs.setdefault("quantity", 1)
    kwargs.setdefault("unit_amount", 100)
    if "item_code" not in kwargs:
        kwargs.setdefault("account_code", "200")
    return m.LineItem(**kwargs)


def invoice(sdk, contact_id, lines=None, tenant=None, status="AUTHORISED", type="ACCREC",
            date=TODAY, **kwargs):
    inv = m.Invoice(type=type, contact=m.Contact(contact_id=contact_id),
                    line_items=lines or [line()], status=status, date=date,
                    due_date=date + dt.timedelta(days=20), **kwargs)
    return sdk.acct.create_invoices(tenant or sdk.nz, m.Invoices(invoices=[inv])).invoices[0]


def bad_request(call, *args, **kwargs):
    """Run an SDK call that must fail with 400; return the parsed error body."""
    with pytest.raises(AccountingBadRequestException) as info:
        call(*args, **kwargs)
    return info.value.error_data


def messages(error_data):
    return [v["Message"] for el in error_data.get("Elements", [])
            for v in el.get("ValidationErrors", [])]
