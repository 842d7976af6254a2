"""Seed data: a demo NZ organisation and a smaller AU organisation."""

from .branding import seed_themes
from .msjson import ms_date
from .state import new_id

CLASS_BY_TYPE = {
    "BANK": "ASSET", "CURRENT": "ASSET", "INVENTORY": "ASSET", "FIXED": "ASSET",
    "NONCURRENT": "ASSET", "PREPAYMENT": "ASSET", "CURRLIAB": "LIABILITY",
    "LIABILITY": "LIABILITY", "TERMLIAB": "LIABILITY", "EQUITY": "EQUITY",
    "REVENUE": "REVENUE", "SALES": "REVENUE", "OTHERINCOME": "REVENUE",
    "DIRECTCOSTS": "EXPENSE", "EXPENSE": "EXPENSE", "OVERHEADS": "EXPENSE",
    "DEPRECIATN": "EXPENSE", "PAYG": "LIABILITY",
}

NZ_ACCOUNTS = [
    # code, name, type, tax type, extra
    ("090", "Business Bank Account", "BANK", "NONE", {"BankAccountNumber": "0212345678901000"}),
    ("091", "Business Savings Account", "BANK", "NONE", {"BankAccountNumber": "0212345678902000"}),
    ("200", "Sales", "REVENUE", "OUTPUT2", {}),
    ("260", "Other Revenue", "REVENUE", "OUTPUT2", {}),
    ("270", "Interest Income", "REVENUE", "NONE", {}),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT2", {}),
    # Where stock adjustments, stocktakes and scrap are coded against (S20: the negative
    # line of a zero-total adjustment bill); no tax, as an adjustment is no purchase.
    ("312", "Inventory Adjustments", "DIRECTCOSTS", "NONE", {}),
    ("400", "Advertising", "EXPENSE", "INPUT2", {}),
    ("404", "Bank Fees", "EXPENSE", "NONE", {}),
    ("425", "Freight & Courier", "EXPENSE", "INPUT2", {}),
    ("429", "General Expenses", "EXPENSE", "INPUT2", {}),
    ("449", "Motor Vehicle Expenses", "EXPENSE", "INPUT2", {}),
    ("461", "Printing & Stationery", "EXPENSE", "INPUT2", {}),
    ("489", "Telephone & Internet", "EXPENSE", "INPUT2", {}),
    ("610", "Accounts Receivable", "CURRENT", "NONE", {"SystemAccount": "DEBTORS"}),
    ("620", "Prepayments", "CURRENT", "NONE", {}),
    ("630", "Inventory", "INVENTORY", "NONE", {}),
    ("710", "Office Equipment", "FIXED", "INPUT2", {}),
    ("800", "Accounts Payable", "CURRLIAB", "NONE", {"SystemAccount": "CREDITORS"}),
    ("820", "GST", "CURRLIAB", "NONE", {"SystemAccount": "GST"}),
    ("840", "Historical Adjustment", "CURRLIAB", "NONE", {"SystemAccount": "HISTORICAL"}),
    ("860", "Rounding", "CURRLIAB", "NONE", {"SystemAccount": "ROUNDING"}),
    ("960", "Retained Earnings", "EQUITY", "NONE", {"SystemAccount": "RETAINEDEARNINGS"}),
    ("970", "Owner A Funds Introduced", "EQUITY", "NONE", {"EnablePaymentsToAccount": True}),
]

AU_ACCOUNTS = [
    ("090", "Business Cheque Account", "BANK", "BASEXCLUDED",
     {"BankAccountNumber": "06200012345678"}),
    ("200", "Sales", "REVENUE", "OUTPUT", {}),
    ("260", "Other Revenue", "REVENUE", "OUTPUT", {}),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT", {}),
    ("312", "Inventory Adjustments", "DIRECTCOSTS", "BASEXCLUDED", {}),
    ("425", "Freight & Courier", "EXPENSE", "INPUT", {}),
    ("429", "General Expenses", "EXPENSE", "INPUT", {}),
    ("610", "Accounts Receivable", "CURRENT", "BASEXCLUDED", {"SystemAccount": "DEBTORS"}),
    ("630", "Inventory", "INVENTORY", "BASEXCLUDED", {}),
    ("800", "Accounts Payable", "CURRLIAB", "BASEXCLUDED", {"SystemAccount": "CREDITORS"}),
    ("820", "GST", "CURRLIAB", "BASEXCLUDED", {"SystemAccount": "GST"}),
    ("960", "Retained Earnings", "EQUITY", "BASEXCLUDED", {"SystemAccount": "RETAINEDEARNINGS"}),
]

FLAGS = ("CanApplyToAssets", "CanApplyToEquity", "CanApplyToExpenses", "CanApplyToLiabilities",
         "CanApplyToRevenue")

# The CanApplyTo* flags decide which account classes a rate may code (S28): GST on
# Expenses never codes a revenue account, GST on Income never an expense account.
NZ_TAX = [
    # name, type, report type, component name, rate, applies to (A, E, X, L, R)
    ("15% GST on Income", "OUTPUT2", "OUTPUT", "GST", 15, (1, 1, 0, 1, 1)),
    ("15% GST on Expenses", "INPUT2", "INPUT", "GST", 15, (1, 1, 1, 1, 0)),
    ("No GST", "NONE", "NONE", "GST", 0, (1, 1, 1, 1, 1)),
    ("Exempt Income", "EXEMPTOUTPUT", "EXEMPTOUTPUT", "GST", 0, (0, 0, 0, 0, 1)),
    ("Zero Rated", "ZERORATEDOUTPUT", "EXEMPTEXPORT", "GST", 0, (0, 0, 0, 0, 1)),
]

# Australian organisations have had no NONE rate since 2013: untaxed lines use BASEXCLUDED,
# EXEMPTOUTPUT or EXEMPTEXPENSES (S29, developer.xero.com/changes-to-tax-codes-in-australia).
AU_TAX = [
    ("GST on Income", "OUTPUT", "OUTPUT", "GST", 10, (1, 1, 0, 1, 1)),
    ("GST on Expenses", "INPUT", "INPUT", "GST", 10, (1, 1, 1, 1, 0)),
    ("BAS Excluded", "BASEXCLUDED", "BASEXCLUDED", "BAS", 0, (1, 1, 1, 1, 1)),
    ("GST Free Income", "EXEMPTOUTPUT", "EXEMPTOUTPUT", "GST", 0, (0, 0, 0, 0, 1)),
    ("GST Free Expenses", "EXEMPTEXPENSES", "EXEMPTEXPENSES", "GST", 0, (1, 0, 1, 0, 0)),
]

CURRENCY_NAMES = {"NZD": "New Zealand Dollar", "AUD": "Australian Dollar",
                  "USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound"}


def make_account(ts, code, name, acc_type, tax_type, extra=None):
    rec = {
        "AccountID": new_id(), "Code": code, "Name": name, "Status": "ACTIVE", "Type": acc_type,
        "TaxType": tax_type, "Description": "", "Class": CLASS_BY_TYPE.get(acc_type, "ASSET"),
        "EnablePaymentsToAccount": False, "ShowInExpenseClaims": False,
        "BankAccountType": "BANK" if acc_type == "BANK" else "", "ReportingCode": "",
        "ReportingCodeName": "", "HasAttachments": False, "AddToWatchlist": False,
        "UpdatedDateUTC": ms_date(ts),
    }
    if acc_type == "BANK":
        rec["CurrencyCode"] = extra.pop("CurrencyCode", None) if extra else None
        rec = {k: v for k, v in rec.items() if v is not None}
    rec.update(extra or {})
    return rec


def make_tax_rate(name, tax_type, report, comp, rate, flags, status="ACTIVE"):
    rec = {"Name": name, "TaxType": tax_type, "ReportTaxType": report, "Status": status,
           "TaxComponents": [{"Name": comp, "Rate": float(rate), "IsCompound": False,
                              "IsNonRecoverable": False}],
           "DisplayTaxRate": float(rate), "EffectiveRate": float(rate)}
    rec.update({flag: bool(v) for flag, v in zip(FLAGS, flags, strict=True)})
    return rec


def seed_org(store, name, base, country, accounts, taxes, currencies, tracking, short_code):
    ts = store.clock.now()
    org = store.add_org(name, base, country)
    org.organisation = {
        "OrganisationID": org.tenant_id, "APIKey": "", "Name": name, "LegalName": name,
        "PaysTax": True, "Version": country, "OrganisationType": "COMPANY",
        "BaseCurrency": base, "CountryCode": country, "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE", "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3 if country == "NZ" else 6, "SalesTaxBasis": "INVOICE",
        "SalesTaxPeriod": "TWOMONTHS" if country == "NZ" else "QUARTERLY",
        "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": ms_date(ts),
        "Timezone": "NEWZEALANDSTANDARDTIME" if country == "NZ" else "AUSEASTERNSTANDARDTIME",
        "OrganisationEntityType": "COMPANY", "ShortCode": short_code, "Class": "STANDARD",
        "Edition": "BUSINESS", "LineOfBusiness": "Wholesale", "Addresses": [], "Phones": [],
        "ExternalLinks": [], "PaymentTerms": {},
    }
    for code, acc_name, acc_type, tax_type, extra in accounts:
        rec = make_account(ts, code, acc_name, acc_type, tax_type, dict(extra))
        org.data["Accounts"][rec["AccountID"]] = rec
    for row in taxes:
        rec = make_tax_rate(*row)
        org.data["TaxRates"][rec["TaxType"]] = rec
    for code in currencies:
        org.data["Currencies"][code] = {"Code": code, "Description": CURRENCY_NAMES[code]}
    for cat_name, options in tracking:
        cat_id = new_id()
        org.data["TrackingCategories"][cat_id] = {
            "TrackingCategoryID": cat_id, "Name": cat_name, "Status": "ACTIVE",
            "Options": [{"TrackingOptionID": new_id(), "Name": o, "Status": "ACTIVE"}
                        for o in options],
        }
    seed_themes(org, ts)
    return org


def seed_store(store):
    seed_org(store, "Clarus Demo Company (NZ)", "NZD", "NZ", NZ_ACCOUNTS, NZ_TAX, ["NZD", "AUD"],
             [("Region", ["North", "South", "Warehouse WH"])], "!cDemo")
    seed_org(store, "Clarus Test Org (AU)", "AUD", "AU", AU_ACCOUNTS, AU_TAX, ["AUD"], [],
             "!cTest")
