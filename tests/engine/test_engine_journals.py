"""Stock valuation planned into manual journals (Odoo tracks inventory, Xero does not)."""

import datetime as dt
import random
from decimal import Decimal as D

import pytest
import requests
from conftest import issue_token

from clarus_sync_engine import journals as J
from clarus_xero_emulator.oauth import DEFAULT_SCOPE

DAY1, DAY2 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
NORTH, SOUTH = (("Region", "North"),), (("Region", "South"),)
ACCOUNTS = {"630", "310", "312", "429"}


def entry(eid, ref, debit, credit, amount, date=DAY1, tracking=NORTH, **kwargs):
    return J.Entry(id=eid, date=date, reference=ref, debit_account=debit,
                   credit_account=credit, amount=amount, tracking=tracking, **kwargs)


def lines_of(journal):
    """{(code, option or None): amount} of a planned journal."""
    return {(line["AccountCode"], (line.get("Tracking") or [{}])[0].get("Option")):
            line["LineAmount"] for line in journal.lines}


def assert_balanced(journal):
    assert sum((line["LineAmount"] for line in journal.lines), D(0)) == 0
    assert all(line["LineAmount"] == line["LineAmount"].quantize(D("0.01"))
               for line in journal.lines)


DAY_ENTRIES = [
    entry("sv1", "WH/IN/0001", "630", "312", "120.00"),
    entry("sv2", "WH/OUT/0001", "310", "630", "45.50"),
    entry("sv3", "WH/OUT/0002", "310", "630", "30.25", tracking=SOUTH),
    entry("sv4", "WH/OUT/0001", "310", "630", "4.50"),
    entry("sv5", "WH/IN/0002", "630", "312", "10.00", date=DAY2),
]


def test_per_operation_makes_one_balanced_journal_per_operation():
    plan = J.plan(DAY_ENTRIES, J.PER_OPERATION, accounts=ACCOUNTS)
    assert not plan.errors and not plan.empty
    by_ref = {j.references[0]: j for j in plan.journals}
    assert sorted(by_ref) == ["WH/IN/0001", "WH/IN/0002", "WH/OUT/0001", "WH/OUT/0002"]
    out = by_ref["WH/OUT/0001"]
    assert lines_of(out) == {("310", "North"): D("50.00"), ("630", "North"): D("-50.00")}
    assert sorted(out.entry_ids) == ["sv2", "sv4"]
    assert by_ref["WH/IN/0002"].date == DAY2
    for journal in plan.journals:
        assert_balanced(journal)
        payload = journal.payload()
        assert payload["Status"] == "POSTED" and payload["LineAmountTypes"] == "NoTax"
        assert journal.key in payload["Narration"]
        assert payload["Narration"].startswith("Stock valuation " + journal.references[0])


def test_daily_sums_per_account_and_tracking_option():
    plan = J.plan(DAY_ENTRIES, J.DAILY, accounts=ACCOUNTS)
    assert [j.date for j in plan.journals] == [DAY1, DAY2]
    day = plan.journals[0]
    assert lines_of(day) == {("630", "North"): D("70.00"), ("630", "South"): D("-30.25"),
                             ("310", "North"): D("50.00"), ("310", "South"): D("30.25"),
                             ("312", "North"): D("-120.00")}
    assert sorted(day.entry_ids) == ["sv1", "sv2", "sv3", "sv4"]
    assert "(3 operations)" in day.narration
    assert_balanced(day)


def test_rounding_keeps_every_journal_balanced_and_each_line_within_a_cent():
    rng = random.Random(11)
    codes = ["630", "310", "312", "429"]
    entries = []
    for n in range(400):
        debit, credit = rng.sample(codes, 2)
        amount = D(rng.randint(1, 10**7)) / D(10**5)  # five decimals, as Odoo's layers
        tracking = rng.choice([NORTH, SOUTH, ()])
        entries.append(entry("e%d" % n, "OP%d" % (n // 3), debit, credit, amount,
                             date=DAY1 + dt.timedelta(days=n % 4), tracking=tracking))
    for mode in J.MODES:
        plan = J.plan(entries, mode)
        exact = {}
        for e in entries:
            d = J._day(e.date)
            group = (d, e.reference) if mode == J.PER_OPERATION else (d, None)
            for code, sign in ((e.debit_account, 1), (e.credit_account, -1)):
                option = e.tracking[0][1] if e.tracking else None
                key = (group, code, option)
                exact[key] = exact.get(key, D(0)) + sign * e.amount
        seen = set()
        for journal in plan.journals:
            assert_balanced(journal)
            group = (journal.date, journal.references[0] if mode == J.PER_OPERATION else None)
            for (code, option), amount in lines_of(journal).items():
                assert abs(amount - exact[(group, code, option)]) < D("0.01")
                seen.add((group, code, option))
        # Only lines whose exact sum is under half a cent may vanish.
        assert all(abs(v) < D("0.01") for k, v in exact.items() if k not in seen)


def test_balanced_lines_gives_back_the_cents_rounding_left_over():
    sums = {("310", ()): D("0.335"), ("429", ()): D("0.335"), ("630", ()): D("-0.67")}
    lines = J.balanced_lines(sums)
    assert sum(amount for _c, _t, amount in lines) == 0
    assert sorted(amount for _c, _t, amount in lines) == [D("-0.67"), D("0.33"), D("0.34")]


def test_the_same_entries_give_the_same_key_and_a_sent_day_is_never_sent_again():
    first = J.plan(DAY_ENTRIES, J.DAILY)
    again = J.plan(list(reversed(DAY_ENTRIES)), J.DAILY)
    assert [j.key for j in first.journals] == [j.key for j in again.journals]
    sent = {i for j in first.journals for i in j.entry_ids}
    late = entry("sv6", "WH/OUT/0003", "310", "630", "7.00")
    later = J.plan(DAY_ENTRIES + [late], J.DAILY, journalled=sent)
    assert [j.entry_ids for j in later.journals] == [["sv6"]]
    assert later.journals[0].key not in {j.key for j in first.journals}
    assert later.journals[0].date == DAY1
    assert J.plan(DAY_ENTRIES, J.DAILY, journalled=sent).journals == []


def test_a_bad_entry_holds_its_whole_operation_and_nothing_else():
    entries = DAY_ENTRIES + [
        entry("bad1", "WH/OUT/0009", "310", "630", "5.00"),
        entry("bad2", "WH/OUT/0009", "310", None, "1.00"),
        entry("bad3", "WH/INT/0001", "630", "999", "2.00"),
        entry("bad4", "WH/SCRAP/1", "429", "630", "nonsense"),
        entry("bad5", "WH/SCRAP/2", "429", "630", "1", tracking=NORTH + SOUTH + NORTH),
    ]
    plan = J.plan(entries, J.DAILY, accounts=ACCOUNTS)
    assert plan.errors == {
        "bad1": "WH/OUT/0009: no Xero account is mapped for the credit side",
        "bad2": "WH/OUT/0009: no Xero account is mapped for the credit side",
        "bad3": "WH/INT/0001: the credit account 999 is not an active Xero account",
        "bad4": "WH/SCRAP/1: the amount 'nonsense' is not a number",
        "bad5": "WH/SCRAP/2: at most two tracking categories per line, 3 given",
    }
    sent = {i for j in plan.journals for i in j.entry_ids}
    assert sent == {"sv1", "sv2", "sv3", "sv4", "sv5"}
    assert lines_of(plan.journals[0])[("310", "North")] == D("50.00"), "no part of OUT/0009"


def test_transfers_move_value_between_options_and_a_same_option_move_sends_nothing():
    move = entry("t1", "WH/INT/0001", "630", "630", "80.00",
                 debit_tracking=SOUTH, credit_tracking=NORTH)
    plan = J.plan([move], J.PER_OPERATION)
    assert lines_of(plan.journals[0]) == {("630", "South"): D("80.00"),
                                          ("630", "North"): D("-80.00")}
    same = entry("t2", "WH/INT/0002", "630", "630", "80.00")
    plan = J.plan([same], J.PER_OPERATION)
    assert plan.journals == [] and plan.empty == ["t2"]


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of"):
        J.plan(DAY_ENTRIES, "weekly")


def test_planned_journals_are_accepted_by_the_emulator_and_found_by_key(emulator):
    token = issue_token(emulator.base_url,
                        scope=DEFAULT_SCOPE + " accounting.manualjournals")["access_token"]
    tenants = requests.get(emulator.base_url + "/connections", timeout=10,
                           headers={"Authorization": "Bearer " + token}).json()
    tenant = next(t["tenantId"] for t in tenants if "NZ" in t["tenantName"])
    headers = {"Authorization": "Bearer " + token, "xero-tenant-id": tenant,
               "Accept": "application/json"}
    url = emulator.base_url + "/api.xro/2.0/ManualJournals"
    plan = J.plan(DAY_ENTRIES, J.DAILY, accounts=ACCOUNTS)
    body = {"ManualJournals": [j.payload() for j in plan.journals]}
    resp = requests.put(url, json=_jsonable(body), headers=headers, timeout=10,
                        params={"summarizeErrors": "false"})
    assert resp.status_code == 200, resp.text
    assert [j["StatusAttributeString"] for j in resp.json()["ManualJournals"]] == ["OK", "OK"]
    found = requests.get(url, headers=headers, timeout=10,
                         params={"where": J.find_where(plan.journals[0].key)}).json()
    assert [j["Narration"] for j in found["ManualJournals"]] == [plan.journals[0].narration]


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return float(value) if isinstance(value, D) else value
