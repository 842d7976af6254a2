"""Purchasing payloads (purchase orders, supplier bills and credit notes) and their checks,
then sent through the gateway to the emulator as the connector sends them."""

import json
import urllib.request
import uuid
from decimal import Decimal as D

import pytest

from clarus_sync_engine import mapping, scopes
from clarus_sync_engine.client import make_gateway
from clarus_sync_engine.pacing import RatePacer
from clarus_sync_engine.validation import validate_purchase_order
from clarus_xero_emulator.server import start_server

KNOWN = {"currencies": {"NZD", "AUD"}, "account_codes": {"429", "425", "630", "200"},
         "tax_types": {"INPUT2", "OUTPUT2", "NONE"}, "item_codes": {"WIDGET-1"},
         "tracking": {"Region": {"North", "South"}}}


def po_line(qty=2, price="10", **extra):
    base = {"item_code": "WIDGET-1", "description": "Widget", "quantity": qty,
            "price_unit": price, "discount": 0, "account_code": "429", "tax_type": "INPUT2",
            "tax_rate": D("15")}
    base.update(extra)
    return base


def order(lines=None, **extra):
    base = {"number": "P00042", "date": "2026-03-02", "delivery_date": "2026-03-09",
            "currency": "NZD", "contact_id": "sup-1", "reference": "Quote Q-7",
            "delivery_address": "Clarus Warehouse\n12 Dock Road\nPetone 5012",
            "attention_to": "Jo Bloggs", "telephone": "+64 4 555 0100",
            "delivery_instructions": "Dock 3", "status": "AUTHORISED",
            "line_amount_types": "Exclusive",
            "lines": [po_line()] if lines is None else lines}
    base.update(extra)
    return base


def bill(lines=None, **extra):
    base = {"number": "BILL/2026/03/0001", "type": "ACCPAY", "vendor_ref": "SUP-INV-77",
            "origin_ref": "P00042", "date": "2026-03-02", "due_date": "2026-04-01",
            "currency": "NZD", "contact_id": "sup-1", "status": "AUTHORISED",
            "line_amount_types": "Exclusive", "lines": lines or [po_line()]}
    base.update(extra)
    return base


# -- purchase_order_payload ----------------------------------------------------------------
def test_purchase_order_payload_carries_the_order_as_xero_reads_it():
    payload = mapping.purchase_order_payload(order(
        [po_line(3, "12.50", discount="20", tracking=[{"name": "Region", "option": "North"}]),
         po_line(1, "35", item_code="SHIP", description="Freight", account_code="425",
                 shipping=True)],
        rate="0.92", currency="AUD", expected_arrival_date="2026-03-10"))
    assert payload["PurchaseOrderNumber"] == "P00042" and payload["Status"] == "AUTHORISED"
    assert payload["Contact"] == {"ContactID": "sup-1"} and "PurchaseOrderID" not in payload
    assert (payload["Date"], payload["DeliveryDate"], payload["ExpectedArrivalDate"]) == (
        "2026-03-02", "2026-03-09", "2026-03-10")
    assert payload["Reference"] == "Quote Q-7"
    assert payload["DeliveryAddress"] == "Clarus Warehouse\n12 Dock Road\nPetone 5012"
    assert (payload["AttentionTo"], payload["Telephone"]) == ("Jo Bloggs", "+64 4 555 0100")
    assert payload["DeliveryInstructions"] == "Dock 3"
    assert (payload["CurrencyCode"], payload["CurrencyRate"]) == ("AUD", D("0.92"))
    assert payload["LineAmountTypes"] == "Exclusive"
    widget, freight = payload["LineItems"]
    # Xero refuses discounts on purchase orders: 12.50 less 20% goes as 10.00.
    assert widget["UnitAmount"] == D("10.0000") and "DiscountRate" not in widget
    assert (widget["ItemCode"], widget["Quantity"], widget["AccountCode"],
            widget["TaxType"]) == ("WIDGET-1", D("3"), "429", "INPUT2")
    assert widget["Tracking"] == [{"Name": "Region", "Option": "North"}]
    assert "ItemCode" not in freight and freight["AccountCode"] == "425"
    assert freight["Description"] == "Freight"
    json.dumps(payload, default=str)


@pytest.mark.parametrize("status", ["DRAFT", "SUBMITTED", "AUTHORISED", "BILLED"])
def test_purchase_order_status_goes_as_given_and_an_update_names_the_order(status):
    payload = mapping.purchase_order_payload(order(status=status, xero_id="po-guid"))
    assert payload["Status"] == status and payload["PurchaseOrderID"] == "po-guid"
    assert payload["LineItems"]


def test_delivery_address_keeps_its_lines_and_instructions_stop_at_500():
    listed = mapping.purchase_order_payload(order(
        delivery_address=["Clarus  Warehouse", "", "12 Dock Road ", "Petone"],
        delivery_instructions="Ring the bell " * 60))
    assert listed["DeliveryAddress"] == "Clarus Warehouse\n12 Dock Road\nPetone"
    assert 480 <= len(listed["DeliveryInstructions"]) <= 500
    assert listed["DeliveryInstructions"].endswith("\u2026")
    long_address = "\n".join("Line %d of a very long delivery address" % i for i in range(20))
    cut = mapping.purchase_order_payload(order(delivery_address=long_address))
    assert len(cut["DeliveryAddress"]) <= 500
    assert cut["DeliveryAddress"].splitlines()[-1] == "Line 11 of a very long delivery address"
    one_long_line = mapping.purchase_order_payload(order(delivery_address="Unit 4\n" + "x" * 600))
    assert one_long_line["DeliveryAddress"].startswith("Unit 4\nxxx")
    assert len(one_long_line["DeliveryAddress"]) == 500
    assert one_long_line["DeliveryAddress"].endswith("\u2026")
    bare = mapping.purchase_order_payload(order(delivery_address=None, reference=None,
                                                attention_to="", telephone=None,
                                                delivery_instructions=None))
    assert not {"DeliveryAddress", "Reference", "AttentionTo", "Telephone",
                "DeliveryInstructions"} & set(bare)


def test_a_deleted_order_is_sent_as_its_id_and_status_alone():
    payload = mapping.purchase_order_payload(order(status="DELETED", xero_id="po-guid"))
    assert payload == {"PurchaseOrderID": "po-guid", "Status": "DELETED"}
    assert mapping.purchase_order_delete_payload("po-guid") == payload
    assert validate_purchase_order(payload, KNOWN) == []


def test_purchase_order_lands_on_odoo_totals():
    # Three lines of 1.03 at 15%: Odoo rounding globally has 0.46 tax, Xero per line 0.45.
    payload = mapping.purchase_order_payload(order(
        [po_line(1, "1.03", item_code=None) for _ in range(3)],
        amount_untaxed=D("3.09"), amount_tax=D("0.46"), amount_total=D("3.55")))
    assert sum(line["TaxAmount"] for line in payload["LineItems"]) == D("0.46")


# -- Supplier bills and credit notes -------------------------------------------------------
def test_bill_is_numbered_by_the_vendor_reference_without_reference_or_discount():
    payload = mapping.invoice_payload(bill([po_line(4, "25", discount="10")]))
    assert payload["Type"] == "ACCPAY" and payload["InvoiceNumber"] == "SUP-INV-77"
    assert "Reference" not in payload
    line = payload["LineItems"][0]
    assert line["UnitAmount"] == D("22.5000") and "DiscountRate" not in line
    no_vendor_ref = mapping.invoice_payload(bill(vendor_ref=None))
    assert no_vendor_ref["InvoiceNumber"] == "BILL/2026/03/0001"


def test_supplier_credit_note_is_numbered_by_the_vendor_reference_without_reference():
    credit = mapping.credit_note_payload(bill([po_line(1, "50", discount="50")],
                                              number="RBILL/2026/03/0001",
                                              vendor_ref="SUP-CR-3"))
    assert credit["Type"] == "ACCPAYCREDIT" and credit["CreditNoteNumber"] == "SUP-CR-3"
    assert "Reference" not in credit and "DueDate" not in credit
    assert credit["LineItems"][0]["UnitAmount"] == D("25.0000")
    assert "DiscountRate" not in credit["LineItems"][0]
    fallback = mapping.credit_note_payload(bill(number="RBILL/2026/03/0002", vendor_ref=""))
    assert fallback["CreditNoteNumber"] == "RBILL/2026/03/0002"
    customer = mapping.credit_note_payload(bill(type="ACCREC", number="RINV/1",
                                                origin_ref="INV/1"))
    assert customer["Type"] == "ACCRECCREDIT" and customer["Reference"] == "RINV/1 / INV/1"


def test_shipping_line_on_a_bill_has_no_item_code():
    payload = mapping.invoice_payload(bill([po_line(), po_line(1, "12", item_code="SHIP",
                                                               account_code="425",
                                                               shipping=True)]))
    assert payload["LineItems"][0]["ItemCode"] == "WIDGET-1"
    assert "ItemCode" not in payload["LineItems"][1]


# -- validate_purchase_order ---------------------------------------------------------------
def test_a_complete_order_passes():
    assert validate_purchase_order(mapping.purchase_order_payload(order()), KNOWN) == []


def test_order_refusals_say_what_to_fix():
    long_code = "WIDGET-WITH-A-VERY-LONG-CODE-123"
    payload = mapping.purchase_order_payload(order(
        [po_line(description="Blue widget", item_code=long_code)],
        contact_id=None, currency="EUR"))
    payload["DeliveryInstructions"] = "x" * 501
    problems = validate_purchase_order(payload, KNOWN)
    assert problems == [
        "The supplier is not in Xero yet; it must be sent first.",
        "Currency EUR is not enabled in the Xero organisation. Add it in Xero (Settings > "
        "Currencies) or invoice in an enabled currency.",
        "The delivery instructions are 501 characters long; Xero allows at most 500.",
        "Line 1 (Blue widget): the product reference %r is 32 characters long; Xero item "
        "codes allow at most 30. Shorten the internal reference." % long_code]


def test_order_needs_lines_known_codes_and_no_discount():
    assert validate_purchase_order(mapping.purchase_order_payload(order([])), KNOWN) == [
        "The purchase order has no lines; Xero needs at least one."]
    payload = mapping.purchase_order_payload(order([po_line(account_code="999",
                                                            tax_type="INPUT9")]))
    payload["LineItems"][0]["DiscountRate"] = D("5")
    assert validate_purchase_order(payload, KNOWN) == [
        "Line 1 (Widget) uses account code 999, which does not exist or is archived in Xero.",
        "Line 1 (Widget) uses tax rate INPUT9, which does not exist or is not active in Xero.",
        "Line 1 (Widget) has a discount; Xero takes discounts on customer invoices only. "
        "Send the unit price net of the discount."]
    number = mapping.purchase_order_payload(order(number="P" * 256))
    assert validate_purchase_order(number, KNOWN)[0].startswith("The order number 'PPPP")


def test_billed_or_deleted_order_must_already_be_in_xero():
    billed = mapping.purchase_order_payload(order(status="BILLED"))
    assert validate_purchase_order(billed, KNOWN) == [
        "Xero creates no purchase order as BILLED: the order must be sent as AUTHORISED "
        "first."]
    deleted = mapping.purchase_order_payload(order(status="DELETED"))
    assert validate_purchase_order(deleted, KNOWN) == [
        "This purchase order was never sent to Xero: there is nothing to delete there."]


def test_bill_validation_refuses_a_discount_the_mapping_never_sends():
    payload = mapping.invoice_payload(bill())
    assert mapping.validate_invoice(payload, KNOWN) == []
    payload["LineItems"][0]["DiscountRate"] = D("10")
    assert mapping.validate_invoice(payload, KNOWN) == [
        "Line 1 (Widget) has a discount; Xero takes discounts on customer invoices only. "
        "Send the unit price net of the discount."]


# -- Through the gateway to the emulator ---------------------------------------------------
def _post_json(url, data):
    request = urllib.request.Request(url, data=json.dumps(data).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def emulator(emulator_spec_path):
    handle = start_server(port=0, spec_path=emulator_spec_path)
    yield handle
    handle.stop()


@pytest.fixture
def gateway(emulator):
    _post_json(emulator.base_url + "/_emulator/reset", {"seed": True})
    token = _post_json(emulator.base_url + "/_emulator/tokens",
                       {"client_id": "clarus-demo-client", "scope": scopes.DEFAULT_SCOPE})
    return make_gateway("clarus-demo-client", "clarus-demo-secret", lambda: token,
                        lambda new: token.update(new), api_base_url=emulator.base_url,
                        identity_base_url=emulator.base_url, timeout=10, pacer=RatePacer())


@pytest.fixture
def tenant(gateway):
    return next(c["tenantId"] for c in gateway.connections()
                if c["tenantName"] == "Clarus Demo Company (NZ)")


def _send(gateway, kind, tenant, payload):
    result = gateway.send_batch(kind, tenant, [payload], "test-" + uuid.uuid4().hex)
    return result.results[0]


def _supplier(gateway, tenant, name="Widget Supplies Ltd"):
    payload = mapping.contact_payload({"ref": "V" + uuid.uuid4().hex[:6], "name": name})
    return gateway.send_batch("contact", tenant, [payload], None).results[0].xero_id


def _tracked_item(gateway, tenant):
    item = mapping.item_payload({"default_code": "WIDGET-1", "name": "Widget",
                                 "list_price": 30, "standard_price": 10}, True,
                                {"sales_account": "200", "sales_tax_type": "OUTPUT2",
                                 "purchase_tax_type": "INPUT2", "cogs_account": "310",
                                 "inventory_account": "630"})
    assert _send(gateway, "item", tenant, item).ok


def test_order_goes_to_xero_is_billed_and_cannot_then_be_deleted(gateway, tenant):
    supplier = _supplier(gateway, tenant)
    data = order([po_line(4, "12.50", discount="20", item_code=None),
                  po_line(1, "40", item_code="SHIP", description="Freight",
                          account_code="425", shipping=True)], contact_id=supplier)
    sent = _send(gateway, "purchase_order", tenant, mapping.purchase_order_payload(data))
    assert sent.ok and sent.number == "P00042" and sent.status == "AUTHORISED"
    stored = gateway.find_existing("purchase_order", tenant, ["P00042"])["P00042"]
    assert stored["DeliveryAddress"] == "Clarus Warehouse\n12 Dock Road\nPetone 5012"
    assert (stored["AttentionTo"], stored["Telephone"], stored["Reference"]) == (
        "Jo Bloggs", "+64 4 555 0100", "Quote Q-7")
    assert stored["SubTotal"] == D("80.00") and stored["Total"] == D("92.00")
    billed = _send(gateway, "purchase_order", tenant, mapping.purchase_order_payload(
        dict(data, xero_id=sent.xero_id, status="BILLED")))
    assert billed.ok and billed.status == "BILLED"
    refused = _send(gateway, "purchase_order", tenant, mapping.purchase_order_payload(
        dict(data, xero_id=sent.xero_id, status="DELETED")))
    assert not refused.ok
    assert refused.errors == ["Purchase Order not of valid status for modification"]


def test_order_deleted_by_its_delete_payload(gateway, tenant):
    supplier = _supplier(gateway, tenant)
    data = order([po_line(item_code=None)], contact_id=supplier, status="DRAFT",
                 number=None)
    sent = _send(gateway, "purchase_order", tenant, mapping.purchase_order_payload(data))
    assert sent.ok and sent.number == "PO-0001" and sent.status == "DRAFT"
    gone = _send(gateway, "purchase_order", tenant, mapping.purchase_order_payload(
        dict(data, xero_id=sent.xero_id, status="DELETED")))
    assert gone.ok and gone.status == "DELETED"
    assert gateway.find_existing("purchase_order", tenant, ["PO-0001"])["PO-0001"][
        "Status"] == "DELETED"


def test_two_bills_with_one_vendor_number_and_a_credit_move_stock_at_net_cost(gateway,
                                                                               tenant):
    _tracked_item(gateway, tenant)
    supplier = _supplier(gateway, tenant)
    # A tracked item is bought on its inventory asset account (Xero refuses another).
    first = _send(gateway, "invoice", tenant, mapping.invoice_payload(
        bill([po_line(10, "12.50", discount="20", account_code="630")], contact_id=supplier)))
    second = _send(gateway, "invoice", tenant, mapping.invoice_payload(
        bill([po_line(5, "10", account_code="630")], contact_id=supplier,
             number="BILL/2026/03/0002")))
    assert first.ok and second.ok, (first.errors, second.errors)
    assert first.number == second.number == "SUP-INV-77"
    assert first.xero_id != second.xero_id and "Reference" not in first.raw
    credit = _send(gateway, "credit_note", tenant, mapping.credit_note_payload(
        bill([po_line(3, "10", account_code="630")], contact_id=supplier, number="RBILL/1",
             vendor_ref="SUP-CR-3")))
    assert credit.ok and credit.number == "SUP-CR-3" and "Reference" not in credit.raw
    item = gateway.find_existing("item", tenant, ["WIDGET-1"])["WIDGET-1"]
    # 10 at 10.00 net of the discount, 5 at 10.00, less 3 at 10.00 returned.
    assert (item["QuantityOnHand"], item["TotalCostPool"]) == (D("12"), D("120.00"))
