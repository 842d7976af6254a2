"""Stock operations as zero-total Xero documents: which moves go, and what they carry."""

from datetime import date
from decimal import Decimal

import pytest

from clarus_sync_engine import stock


def data(direction=stock.INCREASE, lines=None, **extra):
    base = {
        "direction": direction, "number": "STK-ADJ-7", "date": date(2026, 3, 4),
        "reference": "Stock adjustment WH/Stock", "contact_id": "c-1", "currency": "NZD",
        "inventory_account": "630", "adjustment_account": "310", "tax_type": "NONE",
        "tracking": [],
        "lines": lines if lines is not None else [
            {"item_code": "BOLT", "product": "Bolt", "quantity": 3, "value": 10.0}],
    }
    base.update(extra)
    return base


KNOWN = {"account_codes": {"630", "310"}}


@pytest.mark.parametrize(("src", "dest", "inventory", "scrap", "expected"), [
    ("inventory", "internal", True, False, (stock.ADJUSTMENT, stock.INCREASE)),
    ("internal", "inventory", True, False, (stock.ADJUSTMENT, stock.DECREASE)),
    ("internal", "inventory", False, True, (stock.SCRAP, stock.DECREASE)),
    ("internal", "supplier", False, False, (stock.SUPPLIER_RETURN, stock.DECREASE)),
    # Bills, invoices and credit notes carry these; transfers change no quantity.
    ("supplier", "internal", False, False, None),
    ("internal", "customer", False, False, None),
    ("customer", "internal", False, False, None),
    ("internal", "internal", False, False, None),
    ("internal", "transit", False, False, None),
])
def test_classify_move(src, dest, inventory, scrap, expected):
    assert stock.classify_move(src, dest, inventory, scrap) == expected


def test_a_return_its_bill_or_refund_carries_is_not_sent():
    assert stock.classify_move("internal", "supplier", billed_by_receipt=True) is None


def test_increase_is_a_zero_total_bill_moving_stock_at_odoo_cost():
    payload, problems = stock.adjustment_payload(data(), KNOWN)
    assert problems == []
    assert payload["Type"] == "ACCPAY"
    assert payload["InvoiceNumber"] == "STK-ADJ-7"
    assert payload["Status"] == "AUTHORISED"
    assert payload["DueDate"] == payload["Date"] == "2026-03-04"
    item, balance = payload["LineItems"]
    assert (item["ItemCode"], item["AccountCode"], item["Quantity"]) == ("BOLT", "630", 3.0)
    assert Decimal(str(item["UnitAmount"])) == Decimal("3.3333")
    # Xero's line amount (3 x 3.3333 = 10.00) is balanced by the adjustment line.
    assert balance["AccountCode"] == "310" and "ItemCode" not in balance
    assert Decimal(str(balance["UnitAmount"])) == Decimal("-10.00")
    total = sum(stock.line_amounts(line["Quantity"], Decimal(str(line["Quantity"]))
                                   * Decimal(str(line["UnitAmount"])))[1]
                for line in payload["LineItems"])
    assert total == 0


def test_decrease_is_a_zero_total_supplier_credit_without_due_date():
    payload, problems = stock.adjustment_payload(data(stock.DECREASE), KNOWN)
    assert problems == []
    assert payload["Type"] == "ACCPAYCREDIT"
    assert payload["CreditNoteNumber"] == "STK-ADJ-7"
    assert "InvoiceNumber" not in payload and "DueDate" not in payload


def test_rounding_stays_within_the_documented_bound():
    quantity, value = Decimal("7"), Decimal("12.34567")
    _unit, amount = stock.line_amounts(quantity, value)
    assert abs(amount - value) <= quantity * Decimal("0.00005") + Decimal("0.005")


def test_product_without_cost_stops_the_whole_document():
    lines = [{"item_code": "BOLT", "product": "Bolt", "quantity": 3, "value": 10.0},
             {"item_code": "NUT", "product": "Nut", "quantity": 2, "value": 0.0}]
    _payload, problems = stock.adjustment_payload(data(lines=lines), KNOWN)
    assert len(problems) == 1
    assert "Nut has no cost in Odoo" in problems[0]


def test_unmapped_or_unknown_adjustment_account():
    _payload, problems = stock.adjustment_payload(data(adjustment_account=None), KNOWN)
    assert any("No inventory adjustment account" in p for p in problems)
    _payload, problems = stock.adjustment_payload(data(adjustment_account="999"), KNOWN)
    assert any("999 is not an active account" in p for p in problems)


def test_a_count_below_zero_is_refused():
    lines = [{"item_code": "BOLT", "product": "Bolt", "quantity": 5, "value": 15.0,
              "on_hand_after": -2}]
    _payload, problems = stock.adjustment_payload(data(stock.DECREASE, lines=lines), KNOWN)
    assert problems and "leaves -2 on hand" in problems[0]


def test_missing_contact_and_empty_operation():
    _payload, problems = stock.adjustment_payload(data(contact_id=None, lines=[]), KNOWN)
    assert any("contact" in p for p in problems)
    assert any("moved no product" in p for p in problems)
