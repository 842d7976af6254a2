"""Stock in Odoo beside stock in Xero: the comparison and the correction it proposes."""

from decimal import Decimal

from clarus_sync_engine import stock
from clarus_sync_engine import stock_reconciliation as recon


def item(code, qty, pool, tracked=True):
    return {"Code": code, "IsTrackedAsInventory": tracked, "QuantityOnHand": qty,
            "TotalCostPool": pool}


def test_equal_stock_shows_no_difference():
    found = recon.compare_items({"BOLT": (8, 20.0)}, [item("BOLT", 8.0, 20.0)])
    assert found["BOLT"]["differs"] is False
    assert found["BOLT"]["qty_difference"] == 0


def test_quantities_are_compared_exactly():
    found = recon.compare_items({"BOLT": (8.0001, 20.0)}, [item("BOLT", 8, 20.0)])
    assert found["BOLT"]["quantity_differs"]
    assert found["BOLT"]["qty_difference"] == Decimal("0.0001")


def test_values_agree_within_a_cent_per_operation():
    # Three operations: up to three cents apart still agree; four cents do not.
    assert not recon.compare_items({"BOLT": (8, 20.03)}, [item("BOLT", 8, 20.0)],
                                   {"BOLT": 3})["BOLT"]["differs"]
    found = recon.compare_items({"BOLT": (8, 20.04)}, [item("BOLT", 8, 20.0)], {"BOLT": 3})
    assert found["BOLT"]["value_differs"] and not found["BOLT"]["quantity_differs"]
    # With no operation counted the tolerance is still one cent, never zero.
    assert not recon.compare_line(1, 1.01, 1, 1.0)["differs"]
    assert recon.compare_line(1, 1.02, 1, 1.0)["differs"]


def test_products_missing_on_either_side_are_compared_with_zero():
    found = recon.compare_items({"NUT": (5, 1.75)},
                                [item("BOLT", 2, 5.0), item("SERVICE", 0, 0, tracked=False)])
    assert found["NUT"]["in_xero"] is False
    assert found["NUT"]["qty_difference"] == 5
    assert found["BOLT"]["qty_difference"] == -2
    assert found["BOLT"]["value_difference"] == Decimal("-5.00")
    assert "SERVICE" not in found, "an untracked item holds no stock to compare"


def test_correction_goes_the_way_of_the_difference():
    assert recon.correction(Decimal(3), Decimal("7.50"))[:3] == (
        stock.INCREASE, Decimal(3), Decimal("7.50"))
    assert recon.correction(Decimal(-2), Decimal("-5"))[:3] == (
        stock.DECREASE, Decimal(2), Decimal(5))
    assert recon.correction(Decimal(-2), Decimal("-5"))[3] is None


def test_a_difference_one_document_cannot_correct_is_refused_with_a_reason():
    direction, _q, _v, problem = recon.correction(Decimal(0), Decimal("4"))
    assert direction is None and "Only the value differs" in problem
    direction, _q, _v, problem = recon.correction(Decimal(3), Decimal("-1"))
    assert direction is None and "by hand" in problem


def trial_balance(rows):
    return {"Reports": [{"Rows": [
        {"RowType": "Header", "Cells": [{"Value": v} for v in
                                        ("Account", "Debit", "Credit", "YTD Debit",
                                         "YTD Credit")]},
        {"RowType": "Section", "Title": "Assets", "Rows": [
            {"RowType": "Row", "Cells": [{"Value": v} for v in row]} for row in rows]},
    ]}]}


def test_balance_of_an_account_in_a_trial_balance():
    report = trial_balance([("Inventory (630)", "120.50", "", "120.50", ""),
                            ("Sales (200)", "", "80.00", "", "80.00")])
    assert recon.balance_of(report, "630") == Decimal("120.50")
    assert recon.balance_of(report, "200") == Decimal("-80.00")
    assert recon.balance_of(report, "999") is None


def test_balance_of_an_account_in_a_balance_sheet_row():
    report = {"Reports": [{"Rows": [{"RowType": "Section", "Rows": [
        {"RowType": "Row", "Cells": [{"Value": "Inventory (630)"}, {"Value": "42.00"}]}]}]}]}
    assert recon.balance_of(report, "630") == Decimal("42.00")
