"""Which Xero tax rate may code which Xero account, and what "no tax" is called.

Xero refuses a line whose tax rate does not apply to its account's class ("The TaxType
code 'X' cannot be used with account code 'Y'"); tax rates say where they apply with
``CanApplyToRevenue``, ``...Expenses``, ``...Assets``, ``...Liabilities`` and
``...Equity``. System accounts (debtors, creditors, GST...) and bank accounts refuse
ordinary line coding. Australian organisations have had no ``NONE`` rate since 2013:
their untaxed lines use ``BASEXCLUDED``, ``EXEMPTOUTPUT``, ``EXEMPTEXPENSES``...
(XERO_API §4, §8). Inputs are the raw dicts of ``GET /TaxRates`` and ``GET /Accounts``.
"""

from .totals import to_decimal

# System accounts a line may still be coded to. None, on the strict reading the emulator
# also takes: whether Xero accepts API lines on its own "Rounding" system account is not
# documented, so rounding lines go to an ordinary account the organisation names.
CODEABLE_SYSTEM_ACCOUNTS = frozenset()
# Account Class -> the tax rate flag that must be true.
CLASS_FLAG = {
    "REVENUE": "CanApplyToRevenue",
    "EXPENSE": "CanApplyToExpenses",
    "ASSET": "CanApplyToAssets",
    "LIABILITY": "CanApplyToLiabilities",
    "EQUITY": "CanApplyToEquity",
}
# Account Type -> Class, for an account dict that carries no Class.
TYPE_CLASS = {
    "REVENUE": "REVENUE", "SALES": "REVENUE", "OTHERINCOME": "REVENUE",
    "EXPENSE": "EXPENSE", "DIRECTCOSTS": "EXPENSE", "OVERHEADS": "EXPENSE",
    "DEPRECIATN": "EXPENSE", "WAGESEXPENSE": "EXPENSE", "SUPERANNUATIONEXPENSE": "EXPENSE",
    "BANK": "ASSET", "CURRENT": "ASSET", "FIXED": "ASSET", "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET", "PREPAYMENT": "ASSET",
    "CURRLIAB": "LIABILITY", "LIABILITY": "LIABILITY", "TERMLIAB": "LIABILITY",
    "PAYGLIABILITY": "LIABILITY", "SUPERANNUATIONLIABILITY": "LIABILITY",
    "EQUITY": "EQUITY",
}
CLASS_WORD = {"REVENUE": "revenue", "EXPENSE": "expense", "ASSET": "asset",
              "LIABILITY": "liability", "EQUITY": "equity"}
# Names Xero gives a zero rate meaning "no tax", in order of preference.
NO_TAX_TYPES = ("NONE", "BASEXCLUDED", "EXEMPTOUTPUT", "EXEMPTEXPENSES", "EXEMPTINPUT")


def account_class(account):
    """The account's Class (REVENUE, EXPENSE, ASSET, LIABILITY, EQUITY), or None."""
    return account.get("Class") or TYPE_CLASS.get(account.get("Type"))


def _rate_label(tax_rate):
    name, code = tax_rate.get("Name"), tax_rate.get("TaxType")
    return "%s (%s)" % (name, code) if name and name != code else str(code)


def _account_label(account):
    return " ".join(str(p) for p in (account.get("Code"), account.get("Name")) if p)


def tax_rate_fits(tax_rate, account):
    """``(ok, reason)``: may ``tax_rate`` code a line on ``account``?

    Meets Xero's rule that a tax rate applies only to the account classes its
    ``CanApplyTo*`` flag allows, that archived or deleted rates and accounts cannot be
    used, and that system and bank accounts take no ordinary line coding. ``reason`` is
    a sentence for a finance user, e.g. "GST on Expenses (INPUT2) cannot be used on
    revenue account 200 Sales."; ``""`` when ok.
    """
    rate, where = _rate_label(tax_rate), _account_label(account)
    if (tax_rate.get("Status") or "ACTIVE") != "ACTIVE":
        return False, "Tax rate %s is %s in Xero." % (rate, tax_rate["Status"].lower())
    if (account.get("Status") or "ACTIVE") != "ACTIVE":
        return False, "Account %s is %s in Xero." % (where, account["Status"].lower())
    if account.get("SystemAccount") and account["SystemAccount"] not in CODEABLE_SYSTEM_ACCOUNTS:
        return False, ("Account %s is a Xero system account (%s); document lines cannot "
                       "be coded to it." % (where, account["SystemAccount"]))
    if account.get("Type") == "BANK":
        return False, "Account %s is a bank account; document lines cannot be coded to it." \
            % where
    klass = account_class(account)
    flag = CLASS_FLAG.get(klass)
    if flag is None:
        return False, "Account %s has no class Xero recognises (%s)." % (where, klass)
    if not tax_rate.get(flag):
        return False, "%s cannot be used on %s account %s." % (rate, CLASS_WORD[klass], where)
    return True, ""


def rates_for_account(tax_rates, account):
    """The tax rates (dicts, in the given order) that ``tax_rate_fits`` the account."""
    return [rate for rate in tax_rates if tax_rate_fits(rate, account)[0]]


def rates_for_class(tax_rates, klass):
    """The active tax rates that apply to an account class or type (``"REVENUE"``,
    ``"SALES"``, ``"EXPENSE"``...): what a mapping screen may offer for it."""
    flag = CLASS_FLAG.get(TYPE_CLASS.get(klass, klass))
    return [rate for rate in tax_rates
            if flag and rate.get(flag) and (rate.get("Status") or "ACTIVE") == "ACTIVE"]


def no_tax_type(tax_rates, klass=None):
    """The organisation's "no tax" TaxType, or None when it has none.

    Xero rule: ``NONE`` exists in NZ/UK/US organisations but not in Australian ones,
    which use ``BASEXCLUDED`` (or ``EXEMPTOUTPUT``/``EXEMPTEXPENSES``). Picks the first
    active zero-rate type of ``NO_TAX_TYPES`` that applies to ``klass`` (an account
    class or type; any when None). The connector stores the answer per organisation
    and passes it to the mapping as ``move["no_tax_type"]``.
    """
    by_type = {r.get("TaxType"): r for r in tax_rates
               if (r.get("Status") or "ACTIVE") == "ACTIVE"}
    flag = CLASS_FLAG.get(TYPE_CLASS.get(klass, klass)) if klass else None
    for code in NO_TAX_TYPES:
        rate = by_type.get(code)
        if rate is None or to_decimal(rate.get("EffectiveRate") or 0) != 0:
            continue
        if flag is None or rate.get(flag):
            return code
    return None
