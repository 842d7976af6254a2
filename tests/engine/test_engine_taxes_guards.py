"""Tax rate vs account, "no tax" per organisation, allocation caps and lock dates."""

import datetime
from decimal import Decimal as D

from clarus_sync_engine import guards, mapping, taxes, validation

FLAGS = ("CanApplyToRevenue", "CanApplyToExpenses", "CanApplyToAssets",
         "CanApplyToLiabilities", "CanApplyToEquity")


def rate(code, name, pct, *applies, status="ACTIVE"):
    return {"TaxType": code, "Name": name, "EffectiveRate": pct, "Status": status,
            **{flag: flag in applies for flag in FLAGS}}


NZ_RATES = [
    rate("OUTPUT2", "GST on Income", 15, "CanApplyToRevenue", "CanApplyToAssets",
         "CanApplyToLiabilities", "CanApplyToEquity"),
    rate("INPUT2", "GST on Expenses", 15, "CanApplyToExpenses", "CanApplyToAssets",
         "CanApplyToLiabilities", "CanApplyToEquity"),
    rate("NONE", "No GST", 0, *FLAGS),
    rate("OLD", "Retired", 15, *FLAGS, status="ARCHIVED"),
]
AU_RATES = [
    rate("OUTPUT", "GST on Income", 10, "CanApplyToRevenue"),
    rate("INPUT", "GST on Expenses", 10, "CanApplyToExpenses"),
    rate("EXEMPTOUTPUT", "GST Free Income", 0, "CanApplyToRevenue"),
    rate("BASEXCLUDED", "BAS Excluded", 0, *FLAGS),
]
SALES = {"Code": "200", "Name": "Sales", "Type": "REVENUE", "Class": "REVENUE",
         "Status": "ACTIVE"}
COGS = {"Code": "310", "Name": "Cost of Goods Sold", "Type": "DIRECTCOSTS", "Status": "ACTIVE"}


def test_tax_rate_fits_account_class_with_a_readable_reason():
    assert taxes.tax_rate_fits(NZ_RATES[0], SALES) == (True, "")
    ok, reason = taxes.tax_rate_fits(NZ_RATES[1], SALES)
    assert not ok
    assert reason == "GST on Expenses (INPUT2) cannot be used on revenue account 200 Sales."
    assert taxes.tax_rate_fits(NZ_RATES[1], COGS)[0]  # class derived from the Type
    assert "archived" in taxes.tax_rate_fits(NZ_RATES[3], SALES)[1]
    debtors = {"Code": "610", "Name": "Accounts Receivable", "Type": "CURRENT",
               "SystemAccount": "DEBTORS", "Status": "ACTIVE"}
    assert "system account" in taxes.tax_rate_fits(NZ_RATES[2], debtors)[1]
    bank = {"Code": "090", "Name": "Business Bank", "Type": "BANK", "Status": "ACTIVE"}
    assert "bank account" in taxes.tax_rate_fits(NZ_RATES[2], bank)[1]
    archived = dict(SALES, Status="ARCHIVED")
    assert "Account 200 Sales is archived" in taxes.tax_rate_fits(NZ_RATES[0], archived)[1]


def test_rates_for_account_and_for_class():
    codes = [r["TaxType"] for r in taxes.rates_for_account(NZ_RATES, SALES)]
    assert codes == ["OUTPUT2", "NONE"]
    assert [r["TaxType"] for r in taxes.rates_for_class(AU_RATES, "DIRECTCOSTS")] == \
        ["INPUT", "BASEXCLUDED"]
    assert [r["TaxType"] for r in taxes.rates_for_class(AU_RATES, "SALES")] == \
        ["OUTPUT", "EXEMPTOUTPUT", "BASEXCLUDED"]


def test_no_tax_type_is_per_organisation():
    assert taxes.no_tax_type(NZ_RATES) == "NONE"
    assert taxes.no_tax_type(AU_RATES) == "BASEXCLUDED"  # Australia has no NONE
    only_exempt = [r for r in AU_RATES if r["TaxType"] != "BASEXCLUDED"]
    assert taxes.no_tax_type(only_exempt, "REVENUE") == "EXEMPTOUTPUT"
    assert taxes.no_tax_type(only_exempt, "EXPENSE") is None
    assert taxes.no_tax_type([rate("NONE", "Not zero", 5, *FLAGS)]) is None


def test_tracked_item_is_always_purchasable_and_needs_cogs():
    accounts = {"sales_account": "200", "cogs_account": "310", "inventory_account": "630"}
    item = mapping.item_payload({"default_code": "W1", "name": "Widget", "purchase_ok": False},
                                True, accounts)
    assert item["IsPurchased"] is True
    assert item["PurchaseDetails"]["COGSAccountCode"] == "310"
    assert validation.validate_item(item, {}) == []
    missing = mapping.item_payload({"default_code": "W1", "name": "Widget"}, True,
                                   dict(accounts, cogs_account=None))
    problems = validation.validate_item(missing, {})
    assert any("cost of goods sold account" in p for p in problems)
    plain = mapping.item_payload({"default_code": "W2", "name": "W", "purchase_ok": False},
                                 False, accounts)
    assert plain["IsPurchased"] is False and "PurchaseDetails" not in plain


def test_allocation_is_capped_by_what_xero_still_has_open():
    invoice = {"AmountDue": D("40.00")}
    note = {"RemainingCredit": D("100.00")}
    assert guards.cap_allocation(D("25"), invoice, note) == (D("25.00"), "")
    capped = guards.cap_allocation(D("60"), invoice, note)
    assert capped.amount == D("40.00") and "60.00 to 40.00" in capped.note
    capped = guards.cap_allocation(D("60"), {"AmountDue": 500}, {"RemainingCredit": "12.5"})
    assert capped.amount == D("12.50") and "remaining credit" in capped.note
    paid = guards.cap_allocation(D("60"), {"AmountDue": 0, "Status": "PAID"}, note)
    assert paid.amount == 0 and "already paid in Xero" in paid.note
    used = guards.cap_allocation(D("60"), invoice, {"RemainingCredit": 0})
    assert used.amount == 0 and "fully used" in used.note


def test_xero_dates_in_both_forms():
    assert guards.parse_xero_date("/Date(1743379200000+0000)/") == datetime.date(2025, 3, 31)
    # 2025-03-30T23:00Z, stated in +1300: the organisation's day is the 31st.
    assert guards.parse_xero_date("/Date(1743375600000+1300)/") == datetime.date(2025, 3, 31)
    assert guards.parse_xero_date("2025-03-31T00:00:00") == datetime.date(2025, 3, 31)
    assert guards.parse_xero_date(None) is None


def test_lock_dates_refuse_documents_on_or_before_the_later_lock():
    org = {"PeriodLockDate": "/Date(1743379200000+0000)/",  # 2025-03-31
           "EndOfYearLockDate": "2024-03-31T00:00:00"}
    on = guards.lock_date_check(org, "2025-03-31")
    assert on.locked and on.lock_date == datetime.date(2025, 3, 31)
    assert "2025-03-31" in on.message and "period lock date" in on.message
    assert guards.lock_date_check(org, datetime.date(2025, 2, 1)).locked
    assert not guards.lock_date_check(org, "2025-04-01").locked
    assert not guards.lock_date_check({}, "2020-01-01").locked
    year_end = guards.lock_date_check({"EndOfYearLockDate": "2025-06-30"}, "2025-06-30")
    assert year_end.locked and "end-of-year lock date" in year_end.message


def test_no_line_goes_to_xeros_rounding_system_account():
    # Same strict reading as the emulator: a rounding line needs an ordinary account.
    rounding = {"Code": "860", "Name": "Rounding", "Type": "CURRLIAB", "Class": "LIABILITY",
                "SystemAccount": "ROUNDING", "Status": "ACTIVE"}
    rate = {"TaxType": "NONE", "Name": "No GST", "Status": "ACTIVE",
            "CanApplyToLiabilities": True, "CanApplyToRevenue": True}
    ok, reason = taxes.tax_rate_fits(rate, rounding)
    assert not ok and "system account" in reason
