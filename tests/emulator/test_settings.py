"""Organisation, Accounts, TaxRates, Currencies and TrackingCategories through the SDK."""

from conftest import AU_NAME, NZ_NAME
from emu_helpers import bad_request, messages
from xero_python.accounting import models as m


def test_organisations_are_separate(sdk):
    nz = sdk.acct.get_organisations(sdk.nz).organisations[0]
    au = sdk.acct.get_organisations(sdk.au).organisations[0]
    assert (nz.name, nz.base_currency.value, nz.country_code.value) == (NZ_NAME, "NZD", "NZ")
    assert (au.name, au.base_currency.value, au.country_code.value) == (AU_NAME, "AUD", "AU")
    assert nz.created_date_utc is not None
    nz_ids = {a.account_id for a in sdk.acct.get_accounts(sdk.nz).accounts}
    au_ids = {a.account_id for a in sdk.acct.get_accounts(sdk.au).accounts}
    assert nz_ids and au_ids and not nz_ids & au_ids


def test_seeded_chart_of_accounts(sdk):
    accounts = {a.code: a for a in sdk.acct.get_accounts(sdk.nz).accounts}
    expected = {"200": "REVENUE", "260": "REVENUE", "310": "DIRECTCOSTS", "400": "EXPENSE",
                "429": "EXPENSE", "630": "INVENTORY", "610": "CURRENT", "800": "CURRLIAB",
                "820": "CURRLIAB", "090": "BANK", "091": "BANK"}
    for code, acc_type in expected.items():
        assert accounts[code].type.value == acc_type
    assert accounts["200"].name == "Sales" and accounts["200"].tax_type == "OUTPUT2"
    banks = sdk.acct.get_accounts(sdk.nz, where='Type=="BANK"').accounts
    assert sorted(a.code for a in banks) == ["090", "091"]
    one = sdk.acct.get_account(sdk.nz, accounts["630"].account_id).accounts[0]
    assert one.code == "630"


def test_create_account_and_duplicate_code(sdk):
    created = sdk.acct.create_account(sdk.nz, m.Account(code="455", name="Freight Out",
                                                        type=m.AccountType.EXPENSE,
                                                        tax_type="INPUT2")).accounts[0]
    assert created.account_id and created.status == "ACTIVE" and created.updated_date_utc
    err = bad_request(sdk.acct.create_account, sdk.nz,
                      m.Account(code="455", name="Other", type=m.AccountType.EXPENSE))
    assert err["Type"] == "ValidationException"
    assert "Please enter a unique Code." in messages(err)
    err = bad_request(sdk.acct.create_account, sdk.nz,
                      m.Account(code="456", name="X", type=m.AccountType.EXPENSE,
                                tax_type="NOPE"))
    assert "The TaxType code 'NOPE'" in messages(err)[0]


def test_tax_rates_seed_and_create(sdk):
    rates = {t.tax_type: t for t in sdk.acct.get_tax_rates(sdk.nz).tax_rates}
    assert set(rates) >= {"OUTPUT2", "INPUT2", "NONE", "EXEMPTOUTPUT", "ZERORATEDOUTPUT"}
    assert rates["OUTPUT2"].effective_rate == 15 and rates["OUTPUT2"].can_apply_to_revenue
    assert not rates["OUTPUT2"].can_apply_to_expenses
    assert rates["INPUT2"].tax_components[0].rate == 15
    assert rates["INPUT2"].can_apply_to_expenses and not rates["INPUT2"].can_apply_to_revenue
    au = {t.tax_type for t in sdk.acct.get_tax_rates(sdk.au).tax_rates}
    # Australia has no NONE rate since 2013 (S29).
    assert {"OUTPUT", "INPUT", "BASEXCLUDED", "EXEMPTOUTPUT", "EXEMPTEXPENSES"} <= au
    assert "NONE" not in au and "OUTPUT2" not in au
    new = sdk.acct.create_tax_rates(sdk.nz, m.TaxRates(tax_rates=[m.TaxRate(
        name="Special 9%", tax_components=[m.TaxComponent(name="GST", rate=9)])])).tax_rates[0]
    assert new.tax_type == "TAX001" and new.effective_rate == 9
    upd = sdk.acct.update_tax_rate(sdk.nz, m.TaxRates(tax_rates=[m.TaxRate(
        name="Special 9%", tax_components=[m.TaxComponent(name="GST", rate=8)])])).tax_rates[0]
    assert upd.tax_type == "TAX001" and upd.effective_rate == 8


def test_currencies(sdk):
    codes = [c.code.value for c in sdk.acct.get_currencies(sdk.nz).currencies]
    assert codes == ["NZD", "AUD"]
    out = sdk.acct.create_currency(sdk.nz, m.Currency(code=m.CurrencyCode.EUR,
                                                      description="Euro"))
    assert out.currencies[0].code.value == "EUR"
    codes = [c.code.value for c in sdk.acct.get_currencies(sdk.nz).currencies]
    assert "EUR" in codes


def test_tracking_categories_and_options(sdk):
    cats = sdk.acct.get_tracking_categories(sdk.nz).tracking_categories
    assert [c.name for c in cats] == ["Region"]
    assert [o.name for o in cats[0].options] == ["North", "South", "Warehouse WH"]
    region = cats[0].tracking_category_id
    out = sdk.acct.create_tracking_options(sdk.nz, region, m.TrackingOption(name="East"))
    assert out.options[0].name == "East" and out.options[0].tracking_option_id
    one = sdk.acct.get_tracking_category(sdk.nz, region).tracking_categories[0]
    assert [o.name for o in one.options][-1] == "East"
    err = bad_request(sdk.acct.create_tracking_options, sdk.nz, region,
                      m.TrackingOption(name="East"))
    assert "already exists" in messages(err)[0]
    new = sdk.acct.create_tracking_category(sdk.nz, m.TrackingCategory(name="Channel"))
    assert new.tracking_categories[0].status == "ACTIVE"
    err = bad_request(sdk.acct.create_tracking_category, sdk.nz,
                      m.TrackingCategory(name="Third"))
    assert "2 active tracking categories" in messages(err)[0]
