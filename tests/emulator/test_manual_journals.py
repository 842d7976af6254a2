"""Manual journals in the emulator, and the trial balance they (and documents) post to."""

import datetime as dt
from decimal import Decimal as D

import pytest
from conftest import XeroSdk, issue_token
from emu_helpers import TODAY, bad_request, contact, control, invoice, messages, raw
from test_inbound import KEY, Receiver, hooks
from xero_python.accounting import models as m
from xero_python.exceptions import HTTPStatusException

from clarus_xero_emulator.oauth import DEFAULT_SCOPE

SCOPE = DEFAULT_SCOPE + (" accounting.manualjournals accounting.reports.trialbalance.read"
                         " accounting.reports.balancesheet.read")


@pytest.fixture
def books(emulator, token_urls):
    """An SDK client that may also write manual journals and read the trial balance."""
    return XeroSdk(emulator.base_url, issue_token(emulator.base_url, scope=SCOPE))


def jline(amount, code, **kwargs):
    return m.ManualJournalLine(line_amount=amount, account_code=code, **kwargs)


def journal(sdk, lines, narration="Stock valuation", status="POSTED", date=TODAY, **kwargs):
    return m.ManualJournal(narration=narration, journal_lines=lines, status=status, date=date,
                           **kwargs)


def create(sdk, *journals, **kwargs):
    return sdk.acct.create_manual_journals(
        sdk.nz, m.ManualJournals(manual_journals=list(journals)), **kwargs).manual_journals


def trial_balance(sdk, date=None):
    """{code: (debit, credit)} and the total row of GET /Reports/TrialBalance."""
    kwargs = {"date": date} if date else {}
    report = sdk.acct.get_report_trial_balance(sdk.nz, **kwargs).reports[0]
    out, total = {}, None
    for section in report.rows[1:]:
        for row in section.rows:
            values = [c.value for c in row.cells]
            if row.row_type.value == "SummaryRow":
                total = (D(values[1]), D(values[2]))
                continue
            code = values[0].rsplit("(", 1)[1].rstrip(")")
            out[code] = (D(values[1] or "0"), D(values[2] or "0"))
    return out, total


def test_a_posted_journal_moves_the_trial_balance_with_its_tracking(books):
    [made] = create(books, journal(books, [
        jline(120, "630", description="Receipt WH/IN/0001",
              tracking=[m.TrackingCategory(name="Region", option="North")]),
        jline(-120, "312", description="Stock received not billed")]))
    assert made.status == "POSTED" and made.line_amount_types.value == "NoTax"
    assert made.journal_lines[0].tracking[0].option == "North"
    assert made.journal_lines[0].account_id and made.journal_lines[1].tax_amount == 0
    create(books, journal(books, [jline(D("45.50"), "310", description="COGS WH/OUT/0001"),
                                  jline(D("-45.50"), "630")]))
    balances, total = trial_balance(books)
    assert balances["630"] == (D("74.50"), 0)
    assert balances["310"] == (D("45.50"), 0)
    assert balances["312"] == (0, D("120.00"))
    assert total == (D("120.00"), D("120.00"))
    # A draft posts nothing.
    create(books, journal(books, [jline(10, "630"), jline(-10, "312")], status="DRAFT"))
    assert trial_balance(books)[0]["630"] == (D("74.50"), 0)


def test_unbalanced_short_and_unnamed_journals_fail_alone(books):
    out = create(books,
                 journal(books, [jline(100, "630"), jline(-10, "312")]),
                 journal(books, [jline(100, "630")]),
                 journal(books, [jline(5, "630"), jline(-5, "312")], narration=""),
                 journal(books, [jline(5, "630"), jline(-5, "312")]),
                 summarize_errors=False)
    assert [j.status_attribute_string for j in out] == ["ERROR", "ERROR", "ERROR", "OK"]
    assert [v.message for v in out[0].validation_errors] == [
        "The total debits (100.00) must equal total credits (-10.00)"]
    assert [v.message for v in out[1].validation_errors] == [
        "A manual journal must have at least two journal lines",
        "The total debits (100.00) must equal total credits (0.00)"]
    assert [v.message for v in out[2].validation_errors] == ["Narration is required"]
    assert len(books.acct.get_manual_journals(books.nz).manual_journals) == 1
    # summarizeErrors=true: 400, the failing journal named, the good one still made.
    err = bad_request(create, books, journal(books, [jline(1, "630"), jline(-2, "312")]),
                      journal(books, [jline(2, "630"), jline(-2, "312")]))
    assert messages(err) == ["The total debits (1.00) must equal total credits (-2.00)"]
    assert len(books.acct.get_manual_journals(books.nz).manual_journals) == 2


def test_accounts_tax_and_tracking_are_checked(books):
    books.acct.create_items(books.nz, m.Items(items=[m.Item(
        code="STK-1", name="Tracked", inventory_asset_account_code="630",
        purchase_details=m.Purchase(cogs_account_code="310"))]))
    cases = [
        ([jline(5, "999"), jline(-5, "312")],
         "Account code '999' has been removed as it does not match a recognised account."),
        ([jline(5, "090"), jline(-5, "312")],
         "Account code '090' is not a valid code for this document."),
        ([jline(5, "610"), jline(-5, "312")],
         "Account code '610' is not a valid code for this document."),
        ([jline(5, "630"), jline(-5, "312")],
         "You cannot save this transaction using an inventory account type"),
        ([jline(5, "200", tax_type="INPUT2"), jline(-5, "312")],
         "The TaxType code 'INPUT2' cannot be used with account code '200'."),
        ([jline(5, "310", tracking=[m.TrackingCategory(name="Region", option="East")]),
          jline(-5, "312")],
         "The tracking option 'East' does not exist in tracking category 'Region'"),
        ([jline(0, "310"), jline(0, "312")],
         "Journal line 1: a non-zero LineAmount must be specified"),
    ]
    for lines, message in cases:
        [out] = create(books, journal(books, lines), summarize_errors=False)
        assert out.status_attribute_string == "ERROR"
        assert out.validation_errors[0].message == message, message
    assert books.acct.get_manual_journals(books.nz).manual_journals == []


def test_tax_on_journal_lines_goes_to_gst_and_balances_gross(books):
    [made] = create(books, journal(books, [jline(100, "429", tax_type="INPUT2"),
                                           jline(-115, "312")],
                                   line_amount_types=m.LineAmountTypes.EXCLUSIVE))
    assert made.journal_lines[0].tax_amount == 15
    balances, _total = trial_balance(books)
    assert balances["429"] == (D("100.00"), 0) and balances["820"] == (D("15.00"), 0)
    err = bad_request(create, books, journal(
        books, [jline(100, "429", tax_type="INPUT2"), jline(-100, "312")],
        line_amount_types=m.LineAmountTypes.EXCLUSIVE))
    assert messages(err) == ["The total debits (115.00) must equal total credits (-100.00)"]


def test_statuses_move_only_forward_and_a_void_leaves_the_books(books):
    [draft] = create(books, journal(books, [jline(30, "630"), jline(-30, "312")],
                                    status="DRAFT"))
    assert draft.status == "DRAFT"

    def update(journal_id, **fields):
        return books.acct.update_manual_journal(books.nz, journal_id, m.ManualJournals(
            manual_journals=[m.ManualJournal(**fields)])).manual_journals[0]

    # A journal whose lines are fixed is posted; an edit may change lines and narration.
    posted = update(draft.manual_journal_id, narration="Stock valuation 2 March",
                    status="POSTED", journal_lines=[jline(40, "630"), jline(-40, "312")])
    assert posted.status == "POSTED" and posted.narration == "Stock valuation 2 March"
    assert trial_balance(books)[0]["630"] == (D("40.00"), 0)
    err = bad_request(update, draft.manual_journal_id, narration="x", status="DRAFT")
    assert messages(err) == ["Manual Journal not of valid status for modification"]
    err = bad_request(update, draft.manual_journal_id, narration="x", status="DELETED")
    assert messages(err) == ["Manual Journal not of valid status for modification"]
    voided = update(draft.manual_journal_id, narration="Stock valuation 2 March",
                    status="VOIDED")
    assert voided.status == "VOIDED" and "630" not in trial_balance(books)[0]
    err = bad_request(update, draft.manual_journal_id, narration="again", status="POSTED")
    assert messages(err) == ["Manual Journal not of valid status for modification"]
    [other] = create(books, journal(books, [jline(1, "630"), jline(-1, "312")],
                                    status="DRAFT"))
    assert update(other.manual_journal_id, narration="drop", status="DELETED").status == \
        "DELETED"
    err = bad_request(create, books, journal(books, [jline(1, "630"), jline(-1, "312")],
                                             status="VOIDED"))
    assert messages(err) == ["Manual Journal not of valid status for creation"]


def test_journals_are_read_by_id_by_page_and_by_change_date(books, emulator):
    made = create(books, *[journal(books, [jline(i, "630"), jline(-i, "312")],
                                   narration="Day %d" % i) for i in range(1, 6)])
    one = books.acct.get_manual_journal(books.nz, made[2].manual_journal_id).manual_journals
    assert [j.narration for j in one] == ["Day 3"]
    page = raw(emulator, "GET", "/api.xro/2.0/ManualJournals?page=2&pageSize=2",
               token=books.token["access_token"], tenant=books.nz).json()
    assert page["pagination"] == {"page": 2, "pageSize": 2, "pageCount": 3, "itemCount": 5}
    assert [j["Narration"] for j in page["ManualJournals"]] == ["Day 3", "Day 4"]
    control(emulator, "POST", "/clock", {"advance_seconds": 600})
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    books.acct.update_manual_journal(books.nz, made[0].manual_journal_id, m.ManualJournals(
        manual_journals=[m.ManualJournal(narration="Day 1, corrected")]))
    changed = books.acct.get_manual_journals(books.nz, if_modified_since=later).manual_journals
    assert [j.narration for j in changed] == ["Day 1, corrected"]
    posted = books.acct.get_manual_journals(books.nz, where='Status=="POSTED"').manual_journals
    assert len(posted) == 5


def test_lock_dates_refuse_journals_in_a_closed_period(books, emulator):
    control(emulator, "POST", "/lock-dates", {"tenant_id": books.nz,
                                              "period_lock_date": "2026-02-28"})
    err = bad_request(create, books, journal(books, [jline(1, "630"), jline(-1, "312")],
                                             date=dt.date(2026, 2, 27)))
    assert messages(err) == ["The document date cannot be before the period lock date, "
                             "currently set at 28-Feb-2026"]


def test_trial_balance_includes_documents_and_payments_and_balances(books):
    books.acct.create_items(books.nz, m.Items(items=[m.Item(
        code="STK-1", name="Tracked", inventory_asset_account_code="630",
        purchase_details=m.Purchase(unit_price=10, cogs_account_code="310", tax_type="INPUT2"),
        sales_details=m.Purchase(unit_price=30, account_code="200", tax_type="OUTPUT2"))]))
    supplier, customer = contact(books, "Supplier"), contact(books, "Customer")
    invoice(books, supplier.contact_id, [m.LineItem(item_code="STK-1", quantity=10,
                                                    unit_amount=12)], type="ACCPAY")
    sale = invoice(books, customer.contact_id, [m.LineItem(item_code="STK-1", quantity=4,
                                                           unit_amount=30)])
    books.acct.create_payments(books.nz, m.Payments(payments=[m.Payment(
        invoice=m.Invoice(invoice_id=sale.invoice_id), account=m.Account(code="090"),
        amount=50, date=TODAY)]))
    balances, total = trial_balance(books)
    assert balances["630"] == (D("72.00"), 0), "120 bought, 48 sold at cost"
    assert balances["310"] == (D("48.00"), 0)
    assert balances["200"] == (0, D("120.00"))
    assert balances["800"] == (0, D("138.00"))
    assert balances["610"] == (D("88.00"), 0), "138 invoiced, 50 received"
    assert balances["090"] == (D("50.00"), 0)
    assert "820" not in balances, "GST: 18.00 paid on the bill, 18.00 charged on the sale"
    assert total[0] == total[1]
    before, _ = trial_balance(books, date=(TODAY - dt.timedelta(days=1)).isoformat())
    assert before == {}


def test_journals_and_reports_need_their_scopes(sdk):
    with pytest.raises(HTTPStatusException) as info:
        sdk.acct.get_manual_journals(sdk.nz)
    assert info.value.status == 401
    with pytest.raises(HTTPStatusException) as info:
        sdk.acct.get_report_trial_balance(sdk.nz)
    assert info.value.status == 401


def balance_sheet(sdk, *option_ids):
    """{row name: amount} of GET /Reports/BalanceSheet (one period)."""
    kwargs = dict(zip(("tracking_option_id1", "tracking_option_id2"), option_ids,
                      strict=False))
    report = sdk.acct.get_report_balance_sheet(sdk.nz, **kwargs).reports[0]
    return {row.cells[0].value: D(row.cells[1].value)
            for section in report.rows[1:] for row in section.rows}


def test_balance_sheet_reads_the_inventory_account_per_tracking_option(books, emulator):
    [region] = books.acct.get_tracking_categories(books.nz).tracking_categories
    option = {o.name: o.tracking_option_id for o in region.options}

    def region_line(amount, code, name):
        return jline(amount, code, tracking=[m.TrackingCategory(name="Region", option=name)])

    create(books,
           journal(books, [region_line(100, "630", "North"), region_line(-100, "312", "North")]),
           journal(books, [region_line(40, "630", "South"), region_line(-40, "312", "South")]),
           journal(books, [region_line(25, "630", "South"), region_line(-25, "630", "North")],
                   narration="Transfer WH/INT/0001"))
    books.acct.create_items(books.nz, m.Items(items=[m.Item(
        code="STK-1", name="Tracked", inventory_asset_account_code="630",
        purchase_details=m.Purchase(unit_price=10, cogs_account_code="310", tax_type="INPUT2"),
        sales_details=m.Purchase(unit_price=30, account_code="200", tax_type="OUTPUT2"))]))
    supplier, customer = contact(books, "Supplier"), contact(books, "Customer")
    invoice(books, supplier.contact_id, [m.LineItem(item_code="STK-1", quantity=4,
                                                    unit_amount=10)], type="ACCPAY")
    invoice(books, customer.contact_id, [m.LineItem(
        item_code="STK-1", quantity=1, unit_amount=30,
        tracking=[m.LineItemTracking(name="Region", option="South")])])
    whole = balance_sheet(books)
    assert whole["Inventory"] == D("170.00"), "140 journalled, 40 bought, 10 sold"
    assert whole["Total Assets"] == whole["Total Liabilities"] + whole["Total Equity"]
    north = balance_sheet(books, option["North"])
    assert north["Inventory"] == D("75.00")
    south = balance_sheet(books, option["South"])
    assert south["Inventory"] == D("55.00"), "40 + 25 moved in, 10 sold from the South"
    # South's profit: the sale's 30.00 less its 10.00 cost, and the 40.00 credited to the
    # adjustment account by the South's stock journal.
    assert south["Current Year Earnings"] == D("60.00")
    resp = raw(emulator, "GET", "/api.xro/2.0/Reports/BalanceSheet?trackingOptionID1=nope",
               token=books.token["access_token"], tenant=books.nz)
    assert resp.status_code == 400 and "nope" in resp.json()["Message"]


def test_manual_journals_send_no_webhooks(books, emulator):
    """Xero has no webhook category for manual journals (XERO_API §5): they are polled."""
    receiver = Receiver()
    try:
        assert hooks(emulator, "POST", body={"url": receiver.url, "key": KEY})["status"] == "OK"
        create(books, journal(books, [jline(5, "630"), jline(-5, "312")]))
        assert hooks(emulator)["pending"] == 0
        contact(books, "Someone new")
        assert hooks(emulator)["pending"] == 1, "the same app does get contact events"
    finally:
        receiver.close()
