"""The optional OpenAPI contract check."""

import pytest
from emu_helpers import TODAY, contact, control, invoice, line, raw
from xero_python.accounting import models as m


@pytest.fixture
def spec_emulator(emulator, emulator_spec_path):
    if not emulator_spec_path:
        pytest.skip("accounting OpenAPI spec not available (set XERO_OPENAPI_SPEC)")
    assert emulator.state.spec_path == emulator_spec_path
    return emulator


def test_contract_rejects_invalid_enum_and_records_it(spec_emulator, sdk):
    c = contact(sdk)
    body = {"Invoices": [{"Type": "BOGUS", "Contact": {"ContactID": c.contact_id},
                          "LineItems": [{"Description": "x", "Quantity": 1,
                                         "UnitAmount": 1, "AccountCode": "200"}]}]}
    resp = raw(spec_emulator, "PUT", "/api.xro/2.0/Invoices", sdk.token["access_token"],
               sdk.nz, json=body)
    assert resp.status_code == 400
    assert resp.json()["Type"] == "ContractViolation"
    assert "BOGUS" in resp.json()["Message"]
    violations = control(spec_emulator, "GET", "/contract-violations")["violations"]
    assert len(violations) == 1 and violations[0]["endpoint"] == "PUT /Invoices"
    assert control(spec_emulator, "GET", "/documents/Invoices?tenant=" + sdk.nz)["records"] \
        == []
    wrong_type = raw(spec_emulator, "GET", "/api.xro/2.0/Invoices", sdk.token["access_token"],
                     sdk.nz, params={"page": "first"})
    assert wrong_type.status_code == 400 and wrong_type.json()["Type"] == "ContractViolation"


def test_contract_accepts_the_sdks_own_payloads(spec_emulator, sdk):
    c = contact(sdk, "Contract Co", email_address="x@y.example")
    sdk.acct.create_items(sdk.nz, m.Items(items=[m.Item(
        code="C-1", inventory_asset_account_code="630",
        purchase_details=m.Purchase(unit_price=2, cogs_account_code="310"),
        sales_details=m.Purchase(unit_price=5, account_code="200"))]))
    inv = invoice(sdk, c.contact_id, [line(tracking=[m.LineItemTracking(
        name="Region", option="North")])])
    sdk.acct.create_payments(sdk.nz, m.Payments(payments=[m.Payment(
        invoice=m.Invoice(invoice_id=inv.invoice_id), account=m.Account(code="090"),
        amount=10, date=TODAY)]), summarize_errors=False)
    sdk.acct.create_payment(sdk.nz, m.Payment(invoice=m.Invoice(invoice_id=inv.invoice_id),
                                              account=m.Account(code="090"), amount=1,
                                              date=TODAY))
    sdk.acct.create_invoice_history(sdk.nz, inv.invoice_id, m.HistoryRecords(
        history_records=[m.HistoryRecord(details="note")]))
    sdk.acct.update_invoice(sdk.nz, inv.invoice_id, m.Invoices(invoices=[
        m.Invoice(reference="ref")]))
    sdk.acct.get_invoices(sdk.nz, where='Type=="ACCREC"', page=1, statuses=["AUTHORISED"],
                          if_modified_since=__import__("datetime").datetime(2020, 1, 1))
    sdk.acct.create_purchase_orders(sdk.nz, m.PurchaseOrders(purchase_orders=[
        m.PurchaseOrder(contact=m.Contact(contact_id=c.contact_id), date=TODAY,
                        line_items=[line()])]), summarize_errors=False)
    assert control(spec_emulator, "GET", "/contract-violations")["violations"] == []
