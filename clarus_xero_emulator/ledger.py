"""The general ledger as account balances, and GET /Reports/TrialBalance over it.

Balances are in the organisation's base currency, debits positive. What posts (the double
entry Xero makes for each):
- AUTHORISED or PAID invoices and credit notes: each line's net amount on its account, the
  tax on the GST system account, the total on Accounts Receivable (ACCREC, ACCRECCREDIT) or
  Accounts Payable (ACCPAY, ACCPAYCREDIT). A tracked item sold or returned by a customer
  also moves its cost between the item's inventory asset account and its COGS account, at
  the cost the stock actually moved (S20); bought items are already coded to the inventory
  asset account (chosen: when a supplier credit note takes the last units out for less
  than the pool held, the pool is emptied but the remainder stays on that account).
- AUTHORISED payments: the bank account against Receivable or Payable.
- AUTHORISED bank transactions (the money of overpayments and prepayments): the bank
  account against the lines.
- POSTED manual journals: each line, its tax on the GST account.
Foreign amounts are converted at the document's CurrencyRate, each line rounded to the
cent, and the difference left on the control account so every entry balances.

Each posting keeps the tracking options of the line it comes from (a tracked item's cost
of sales takes its invoice line's), so a balance can be read for one option, as Xero's
Balance Sheet does with ``trackingOptionID1``/``trackingOptionID2``. Tax, control and bank
postings carry no tracking (chosen: the emulator has no Tracking Transfers account).
"""

import datetime as dt
from decimal import Decimal

from .common import PROVIDER_NAME, ApiError
from .manual_journals import gross
from .msjson import dec, ms_date, ms_to_ts, parse_date, q
from .state import new_id

CONTROL = {"ACCREC": "DEBTORS", "ACCRECCREDIT": "DEBTORS", "ACCPAY": "CREDITORS",
           "ACCPAYCREDIT": "CREDITORS"}
# The sign of a document's lines: a sale credits revenue, a bill debits its accounts.
LINE_SIGN = {"ACCREC": -1, "ACCPAYCREDIT": -1, "ACCPAY": 1, "ACCRECCREDIT": 1}
# Payments that bring money into the bank (spec Payment.PaymentType).
MONEY_IN = {"ACCRECPAYMENT", "APCREDITPAYMENT", "APOVERPAYMENTPAYMENT", "APPREPAYMENTPAYMENT"}
SECTIONS = (("REVENUE", "Revenue"), ("EXPENSE", "Expenses"), ("ASSET", "Assets"),
            ("LIABILITY", "Liabilities"), ("EQUITY", "Equity"))


class _Book:
    """Account balances being built: code -> Decimal (debit positive)."""

    def __init__(self, ctx, options=()):
        self.ctx = ctx
        self.options = {str(o).lower() for o in options if o}
        self.balances = {}
        accounts = ctx.data["Accounts"].values()
        self.by_id = {a["AccountID"]: a for a in accounts}
        self.system = {a.get("SystemAccount"): a["Code"] for a in accounts
                       if a.get("SystemAccount")}

    def post(self, lines, control_code):
        """Post (code, amount[, tracking]) lines, rounded; the control account takes the
        balance. With options asked for, only postings carrying all of them count."""
        total = Decimal(0)
        for code, amount, *tracking in lines:
            amount = q(amount)
            if code and amount:
                self._add(code, amount, tracking[0] if tracking else None)
                total += amount
        if total and control_code:
            self._add(control_code, -total, None)

    def _add(self, code, amount, tracking):
        if self.options:
            carried = {str(t.get("TrackingOptionID") or "").lower() for t in tracking or []}
            if not self.options <= carried:
                return
        self.balances[code] = self.balances.get(code, Decimal(0)) + amount


def _rate(rec):
    return dec(rec.get("CurrencyRate"), "1") or Decimal(1)


def _on_or_before(rec, until):
    when = ms_to_ts(rec.get("Date"))
    return until is None or when is None or when <= until


def _documents(book, until):
    ctx = book.ctx
    for coll in ("Invoices", "CreditNotes"):
        for rec in ctx.data[coll].values():
            if rec.get("Status") not in ("AUTHORISED", "PAID") or not _on_or_before(rec, until):
                continue
            sign, rate = LINE_SIGN[rec["Type"]], _rate(rec)
            lines = []
            for line in rec.get("LineItems") or []:
                net = dec(line.get("LineAmount"))
                if rec.get("LineAmountTypes") == "Inclusive":
                    net -= dec(line.get("TaxAmount"))
                lines.append((line.get("AccountCode"), sign * net / rate, line.get("Tracking")))
                lines.append((book.system.get("GST"), sign * dec(line.get("TaxAmount")) / rate))
            book.post(lines, book.system.get(CONTROL[rec["Type"]]))
            _cost_of_sales(book, rec)


def _cost_of_sales(book, rec):
    """A sale or customer return of tracked items moves their cost (stored as moved),
    under the tracking of the document's first line for that item."""
    if rec["Type"] not in ("ACCREC", "ACCRECCREDIT"):
        return
    tracking = {}
    for line in rec.get("LineItems") or []:
        tracking.setdefault((line.get("Item") or {}).get("ItemID"), line.get("Tracking"))
    for item_id, _qty, cost in rec.get("_stock") or []:
        item = book.ctx.data["Items"].get(item_id)
        if item is None:
            continue
        cogs = (item.get("PurchaseDetails") or {}).get("COGSAccountCode")
        options = tracking.get(item_id)
        book.post([(item.get("InventoryAssetAccountCode"), Decimal(cost), options),
                   (cogs, -Decimal(cost), options)], None)


def _payments(book, until):
    for pay in book.ctx.data["Payments"].values():
        if pay.get("Status") != "AUTHORISED" or not _on_or_before(pay, until):
            continue
        kind = pay.get("PaymentType") or ""
        control = book.system.get("DEBTORS" if kind.startswith("AR") or kind == "ACCRECPAYMENT"
                                  else "CREDITORS")
        amount = dec(pay.get("Amount")) / _rate(pay)
        sign = 1 if kind in MONEY_IN else -1
        book.post([((pay.get("Account") or {}).get("Code"), sign * amount)], control)


def _bank_transactions(book, until):
    for txn in book.ctx.data["BankTransactions"].values():
        if txn.get("Status") != "AUTHORISED" or not _on_or_before(txn, until):
            continue
        sign = -1 if str(txn.get("Type")).startswith("RECEIVE") else 1
        rate = _rate(txn)
        lines = [(line.get("AccountCode"), sign * dec(line.get("LineAmount")) / rate)
                 for line in txn.get("LineItems") or []]
        book.post(lines, (txn.get("BankAccount") or {}).get("Code"))


def _journals(book, until):
    for journal in book.ctx.data["ManualJournals"].values():
        if journal.get("Status") != "POSTED" or not _on_or_before(journal, until):
            continue
        amount_types = journal.get("LineAmountTypes") or "NoTax"
        lines = []
        for line in journal.get("JournalLines") or []:
            tax = dec(line.get("TaxAmount"))
            total = gross(line, amount_types)
            lines.append((line.get("AccountCode"), total - tax, line.get("Tracking")))
            lines.append((book.system.get("GST"), tax))
        book.post(lines, None)


def account_balances(ctx, until=None, options=()):
    """{account code: balance (Decimal, debit positive)} of everything dated on or before
    ``until`` (epoch seconds; None = everything), limited to postings that carry every
    TrackingOptionID in ``options``."""
    book = _Book(ctx, options)
    _documents(book, until)
    _payments(book, until)
    _bank_transactions(book, until)
    _journals(book, until)
    return {code: amount for code, amount in book.balances.items() if amount}


# -- GET /Reports/TrialBalance -----------------------------------------------------------------
def _cell(value, account_id):
    return {"Value": value, "Attributes": [{"Value": account_id, "Id": "account"}]}


def _money(amount):
    return "%.2f" % amount if amount else ""


def get_trial_balance(ctx):
    """Spec ReportWithRows: one section per account class, one row per account with a
    balance: "Name (Code)", Debit, Credit, YTD Debit, YTD Credit.

    Chosen: Debit/Credit and YTD Debit/YTD Credit both show the balance at the report date
    (the emulator keeps no financial-year close). ``paymentsOnly`` is not supported: 400."""
    day, end = _report_day(ctx)
    balances = account_balances(ctx, end)
    accounts = {a["Code"]: a for a in ctx.data["Accounts"].values()}
    rows = [{"RowType": "Header", "Cells": [{"Value": v} for v in (
        "Account", "Debit", "Credit", "YTD Debit", "YTD Credit")]}]
    debit_total = credit_total = Decimal(0)
    for cls, title in SECTIONS:
        section = []
        for code in sorted(c for c in balances if accounts.get(c, {}).get("Class") == cls):
            acc, amount = accounts[code], balances[code]
            debit, credit = (amount, Decimal(0)) if amount > 0 else (Decimal(0), -amount)
            debit_total += debit
            credit_total += credit
            cells = ["%s (%s)" % (acc["Name"], code), _money(debit), _money(credit),
                     _money(debit), _money(credit)]
            section.append({"RowType": "Row",
                            "Cells": [_cell(v, acc["AccountID"]) for v in cells]})
        if section:
            rows.append({"RowType": "Section", "Title": title, "Rows": section})
    totals = ["Total", "%.2f" % debit_total, "%.2f" % credit_total, "%.2f" % debit_total,
              "%.2f" % credit_total]
    rows.append({"RowType": "Section", "Title": "", "Rows": [
        {"RowType": "SummaryRow", "Cells": [{"Value": v} for v in totals]}]})
    return _report(ctx, "TrialBalance", "Trial Balance", day, rows)


def _bad(message):
    return ApiError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                          "Message": message})


def _report_day(ctx):
    """-> (the report's day, the last second of it) from ``date`` (default: today)."""
    if str(ctx.param("paymentsOnly", "")).lower() == "true":
        raise _bad("paymentsOnly is not supported by this emulator")
    day = dt.datetime.fromtimestamp(ctx.now, dt.UTC).date()
    if ctx.param("date"):
        try:
            day = dt.datetime.fromtimestamp(parse_date(ctx.param("date")), dt.UTC).date()
        except (TypeError, ValueError):
            raise _bad("'%s' is not a valid date" % ctx.param("date"))
    return day, dt.datetime.combine(day, dt.time(23, 59, 59), dt.UTC).timestamp()


def _report(ctx, report_type, name, day, rows, titles=()):
    when = "%d %s" % (day.day, day.strftime("%B %Y"))
    report = {"ReportID": report_type, "ReportName": name, "ReportType": report_type,
              "ReportTitles": [name, ctx.org.name, "As at " + when, *titles],
              "ReportDate": when, "UpdatedDateUTC": ms_date(ctx.now), "Fields": [],
              "Rows": rows}
    return 200, {"Id": new_id(), "Status": "OK", "ProviderName": PROVIDER_NAME,
                 "DateTimeUTC": ms_date(ctx.now), "Reports": [report]}


# -- GET /Reports/BalanceSheet -----------------------------------------------------------------
BALANCE_SHEET_SECTIONS = (("ASSET", "Assets", 1), ("LIABILITY", "Liabilities", -1),
                          ("EQUITY", "Equity", -1))


def _tracking_options(ctx):
    """The TrackingOptionIDs asked for (trackingOptionID1/2), each checked to exist."""
    wanted = [ctx.param(name) for name in ("trackingOptionID1", "trackingOptionID2")]
    names = []
    for option_id in [w for w in wanted if w]:
        found = next((("%s: %s" % (cat["Name"], opt["Name"]))
                      for cat in ctx.data["TrackingCategories"].values()
                      for opt in cat.get("Options") or []
                      if str(opt["TrackingOptionID"]).lower() == str(option_id).lower()),
                     None)
        if found is None:
            raise _bad("The tracking option '%s' does not exist" % option_id)
        names.append(found)
    return [w for w in wanted if w], names


def get_balance_sheet(ctx):
    """Spec /Reports/BalanceSheet, one period: a section per class (Assets, Liabilities,
    Equity) with a row per account ("Name", amount: assets as debits, liabilities and
    equity as credits) and a total; Equity ends with "Current Year Earnings" (revenue
    less expenses). ``trackingOptionID1``/``2`` limit every figure to postings carrying
    those options (an unknown option: 400). ``periods``/``timeframe`` are not supported:
    400 (chosen)."""
    if ctx.param("periods") not in (None, "", "1") or ctx.param("timeframe"):
        raise _bad("periods and timeframe are not supported by this emulator")
    options, option_names = _tracking_options(ctx)
    day, end = _report_day(ctx)
    balances = account_balances(ctx, end, options)
    accounts = {a["Code"]: a for a in ctx.data["Accounts"].values()}
    header = {"RowType": "Header", "Cells": [{"Value": ""},
                                             {"Value": day.strftime("%d %b %Y")}]}
    rows = [header]
    earnings = -sum((amount for code, amount in balances.items()
                     if accounts.get(code, {}).get("Class") in ("REVENUE", "EXPENSE")),
                    Decimal(0))
    for cls, title, sign in BALANCE_SHEET_SECTIONS:
        section, total = [], Decimal(0)
        for code in sorted(c for c in balances if accounts.get(c, {}).get("Class") == cls):
            acc, amount = accounts[code], sign * balances[code]
            total += amount
            section.append({"RowType": "Row", "Cells": [
                _cell(acc["Name"], acc["AccountID"]), _cell("%.2f" % amount, acc["AccountID"])]})
        if cls == "EQUITY" and earnings:
            total += earnings
            section.append({"RowType": "Row", "Cells": [
                {"Value": "Current Year Earnings"}, {"Value": "%.2f" % earnings}]})
        section.append({"RowType": "SummaryRow", "Cells": [
            {"Value": "Total " + title}, {"Value": "%.2f" % total}]})
        rows.append({"RowType": "Section", "Title": title, "Rows": section})
    return _report(ctx, "BalanceSheet", "Balance Sheet", day, rows, option_names)
