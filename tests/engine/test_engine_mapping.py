import json
from decimal import Decimal as D

from clarus_sync_engine import mapping
from clarus_sync_engine.totals import distribute_tax, totals_match, xero_totals

RATES = {"OUTPUT2": D("15"), "NONE": D("0")}


def line(qty, price, **extra):
    return {"description": "Widget", "quantity": qty, "price_unit": price, "discount": 0,
            "account_code": "200", "tax_type": "OUTPUT2", "tax_rate": D("15"), **extra}


def move(lines, **extra):
    base = {"number": "INV/2026/0001", "sale_order_ref": "S00042", "date": "2026-03-01",
            "due_date": "2026-03-31", "currency": "NZD", "contact_id": "c-1",
            "line_amount_types": "Exclusive", "rounding": "round_per_line", "lines": lines}
    base.update(extra)
    return base


def test_invoice_payload_shape_reference_and_unit_precision():
    payload = mapping.invoice_payload(move([line("3", "19.99995", discount="10",
                                                 tracking=[{"name": "Region", "option": "N"}])]))
    assert payload["Type"] == "ACCREC" and payload["Status"] == "AUTHORISED"
    assert payload["InvoiceNumber"] == "INV/2026/0001"
    assert payload["Reference"] == "INV/2026/0001 / S00042"
    assert payload["Contact"] == {"ContactID": "c-1"}
    item = payload["LineItems"][0]
    assert item["UnitAmount"] == D("20.0000") and item["DiscountRate"] == D("10")
    assert item["Tracking"] == [{"Name": "Region", "Option": "N"}]
    assert "TaxAmount" not in item
    json.dumps(payload, default=str)  # JSON-ready apart from Decimals


def test_bill_uses_supplier_number_and_no_reference():
    payload = mapping.invoice_payload(move([line(1, 10)], type="ACCPAY", vendor_ref="SUP-9"))
    assert payload["InvoiceNumber"] == "SUP-9" and "Reference" not in payload


def test_round_per_line_needs_no_override_and_matches_odoo():
    # Odoo "round per line": tax 0.15 per 0.99 line x 3 = 0.45 (not 0.4455 -> 0.45 globally too)
    lines = [line(1, "0.99") for _ in range(3)]
    payload = mapping.invoice_payload(move(lines, amount_tax=D("0.45"), amount_total=D("3.42")))
    assert all("TaxAmount" not in item for item in payload["LineItems"])
    assert totals_match(D("3.42"), xero_totals(payload, RATES)["total"])


def test_round_globally_distributes_odoo_tax_so_totals_match_to_the_cent():
    # Three lines of 1.03 at 15%: exact tax 0.1545 each. Xero per line: 0.15 x 3 = 0.45.
    # Odoo globally: round(0.4635) = 0.46. Without overrides Xero would be one cent short.
    lines = [line(1, "1.03") for _ in range(3)]
    naive = mapping.invoice_payload(move(lines))
    assert xero_totals(naive, RATES)["total"] == D("3.54")
    payload = mapping.invoice_payload(move(lines, rounding="round_globally",
                                           amount_tax=D("0.46"), amount_total=D("3.55")))
    taxes = [item["TaxAmount"] for item in payload["LineItems"]]
    assert sum(taxes) == D("0.46") and all(abs(t - D("0.1545")) < D("0.01") for t in taxes)
    assert totals_match(D("3.55"), xero_totals(payload, RATES)["total"])


def test_round_globally_inclusive_prices():
    # Inclusive 15%: 10.00 -> exact tax 1.304347..., x3 = 3.913 -> Odoo 3.91; Xero per line 1.30x3
    lines = [line(1, "10.00") for _ in range(3)]
    payload = mapping.invoice_payload(move(lines, line_amount_types="Inclusive",
                                           rounding="round_globally", amount_tax=D("3.91"),
                                           amount_total=D("30.00")))
    totals = xero_totals(payload, RATES)
    assert totals == {"sub_total": D("26.09"), "total_tax": D("3.91"), "total": D("30.00")}


def test_rounding_line_added_when_line_amounts_cannot_match():
    # Odoo priced at 6 decimals: 1000 x 0.123456 = 123.46; Xero sees 1000 x 0.1235 = 123.50
    lines = [line(1000, "0.123456", tax_type="NONE", tax_rate=0)]
    problems = []
    without = mapping.invoice_payload(move(lines, amount_total=D("123.46")), problems)
    assert len(without["LineItems"]) == 1
    assert problems and "123.50 instead of Odoo's 123.46" in problems[0]
    # A rounding account alone is not enough: "no tax" is the organisation's, never NONE.
    problems = []
    mapping.invoice_payload(move(lines, amount_total=D("123.46"),
                                 rounding_account_code="860"), problems)
    assert problems and "no-tax rate" in problems[0]
    problems = []
    payload = mapping.invoice_payload(move(lines, amount_total=D("123.46"),
                                           rounding_account_code="860",
                                           no_tax_type="BASEXCLUDED"), problems)
    rounding = payload["LineItems"][-1]
    assert not problems
    assert rounding["AccountCode"] == "860" and rounding["UnitAmount"] == D("-0.04")
    assert rounding["TaxType"] == "BASEXCLUDED" and rounding["Description"] == "Rounding"
    assert xero_totals(payload, RATES)["total"] == D("123.46")


def test_xero_totals_discount_half_up_and_no_tax():
    payload = {"LineAmountTypes": "Exclusive", "LineItems": [
        {"Quantity": D("1"), "UnitAmount": D("0.125"), "TaxType": "NONE"},
        {"Quantity": D("2"), "UnitAmount": D("10"), "DiscountRate": D("12.5"),
         "TaxType": "OUTPUT2"}]}
    assert xero_totals(payload, RATES) == {"sub_total": D("17.63"), "total_tax": D("2.63"),
                                           "total": D("20.26")}
    payload["LineAmountTypes"] = "NoTax"
    assert xero_totals(payload, RATES)["total_tax"] == 0
    assert not totals_match("20.26", "20.27") and totals_match(20.26, "20.260")


def test_distribute_tax_handles_negative_credit_lines():
    taxes = distribute_tax([D("-0.1545")] * 3, D("-0.46"))
    assert sum(taxes) == D("-0.46")


def test_credit_note_allocation_payment_and_purchase_order():
    note = mapping.credit_note_payload(move([line(1, 5)], number="RINV/1", origin_ref="INV/1"))
    assert note["Type"] == "ACCRECCREDIT" and note["CreditNoteNumber"] == "RINV/1"
    assert note["Reference"] == "RINV/1 / INV/1" and "DueDate" not in note
    alloc = mapping.allocation_payload("cn-1", "inv-1", "5.004", "2026-03-02")
    assert alloc == {"CreditNote": {"CreditNoteID": "cn-1"}, "Invoice": {"InvoiceID": "inv-1"},
                     "Amount": D("5.00"), "Date": "2026-03-02"}
    pay = mapping.payment_payload({"invoice_id": "inv-1", "account_code": "090",
                                   "date": "2026-03-03", "amount": 10, "reference": "BNK1"})
    assert pay["Invoice"] == {"InvoiceID": "inv-1"} and pay["Account"] == {"Code": "090"}
    po = mapping.purchase_order_payload({"number": "P00001", "contact_id": "s-1",
                                         "date": "2026-03-01", "lines": [line(2, 3)],
                                         "delivery_instructions": "x " * 400})
    assert po["PurchaseOrderNumber"] == "P00001" and len(po["DeliveryInstructions"]) <= 500


def test_contact_and_item_payloads():
    contact = mapping.contact_payload({"ref": "C00042", "name": "Acme  Ltd", "email": " a@b.c ",
                                       "phone": "123", "city": "Wellington"})
    assert contact["Name"] == "Acme Ltd" and contact["ContactNumber"] == "C00042"
    assert contact["EmailAddress"] == "a@b.c" and contact["Addresses"][0]["City"] == "Wellington"
    accounts = {"sales_account": "200", "sales_tax_type": "OUTPUT2", "purchase_account": "300",
                "purchase_tax_type": "INPUT2", "cogs_account": "310", "inventory_account": "630"}
    tracked = mapping.item_payload({"default_code": "W1", "name": "W" * 80, "list_price": 9.5,
                                    "standard_price": 4}, True, accounts)
    assert tracked["InventoryAssetAccountCode"] == "630"
    assert tracked["PurchaseDetails"]["COGSAccountCode"] == "310"
    assert len(tracked["Name"]) <= 50
    plain = mapping.item_payload({"default_code": "W2", "name": "W"}, False, accounts)
    assert plain["PurchaseDetails"]["AccountCode"] == "300"
    assert "InventoryAssetAccountCode" not in plain


def test_history_note_is_short_readable_and_keeps_the_tracking_number():
    note = mapping.history_note("UPS", "1Z999AA10123456784", "WH/OUT/00012")
    assert note == "Shipped WH/OUT/00012 via UPS, tracking 1Z999AA10123456784"
    long_note = mapping.history_note("Carrier " * 60, "TRACK-123", "WH/OUT/" + "9" * 50)
    assert len(long_note) <= 250 and long_note.endswith(", tracking TRACK-123")
    assert "\u2026" in long_note
    assert len(mapping.history_note("UPS", "X" * 400, "P")) <= 250
