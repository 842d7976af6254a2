from decimal import Decimal as D

from clarus_sync_engine.mapping import invoice_payload, validate_invoice, validate_item

KNOWN = {"currencies": {"NZD"}, "account_codes": {"200"}, "tax_types": {"OUTPUT2"},
         "tax_rates": {"OUTPUT2": D("15")}, "tracking": {"Region": {"North"}}}


def payload(**line_extra):
    line = {"description": "Blue widget", "quantity": 1, "price_unit": 10,
            "account_code": "200", "tax_type": "OUTPUT2"}
    line.update(line_extra)
    return invoice_payload({"number": "INV/1", "date": "2026-01-01", "currency": "NZD",
                            "contact_id": "c-1", "lines": [line]})


def test_a_good_invoice_has_no_problems():
    assert validate_invoice(payload(), KNOWN, expected_total=D("11.50")) == []


def test_missing_mappings_are_reported_in_plain_words():
    problems = validate_invoice(payload(account_code=None, tax_type=None), KNOWN)
    assert any("Line 1 (Blue widget) has no Xero account" in p for p in problems)
    assert any("has no Xero tax rate" in p for p in problems)


def test_unknown_codes_currency_long_item_code_and_tracking():
    bad = payload(account_code="999", tax_type="INPUT9", item_code="X" * 31,
                  tracking=[{"name": "Region", "option": "West"}])
    bad["CurrencyCode"] = "EUR"
    text = "\n".join(validate_invoice(bad, KNOWN))
    assert "account code 999" in text and "tax rate INPUT9" in text
    assert "31 characters" in text and "Currency EUR is not enabled" in text
    assert "'West' is not an option" in text
    assert "Traceback" not in text


def test_no_lines_no_contact_and_total_mismatch():
    empty = invoice_payload({"number": "INV/2", "date": "2026-01-01", "lines": []})
    problems = validate_invoice(empty, KNOWN)
    assert any("no lines" in p for p in problems)
    assert any("not in Xero yet" in p for p in problems)
    assert any("instead of 11.49" in p for p in validate_invoice(payload(), KNOWN, D("11.49")))


def test_validate_item():
    problems = validate_item({"Code": "C" * 40, "SalesDetails": {"AccountCode": "404"}}, KNOWN)
    assert any("40 characters" in p and "Shorten the product's internal reference" in p
               for p in problems)
    assert any("account code 404" in p for p in problems)
    assert validate_item({"Code": "OK", "SalesDetails": {"AccountCode": "200"}}, KNOWN) == []


def test_tax_rate_that_does_not_fit_the_account_and_a_locked_date_are_refused():
    known = dict(KNOWN, accounts={"200": {"Code": "200", "Name": "Sales", "Type": "REVENUE",
                                          "Class": "REVENUE", "Status": "ACTIVE"}},
                 tax_rate_records={"OUTPUT2": {"TaxType": "OUTPUT2", "Name": "GST on Income",
                                               "CanApplyToRevenue": True, "Status": "ACTIVE"},
                                   "INPUT2": {"TaxType": "INPUT2", "Name": "GST on Expenses",
                                              "CanApplyToExpenses": True,
                                              "Status": "ACTIVE"}},
                 tax_types={"OUTPUT2", "INPUT2"},
                 organisation={"PeriodLockDate": "/Date(1767139200000+0000)/"})  # 2025-12-31
    assert validate_invoice(payload(), known) == []
    problems = validate_invoice(payload(tax_type="INPUT2"), known)
    assert problems == ["Line 1 (Blue widget): GST on Expenses (INPUT2) cannot be used on "
                        "revenue account 200 Sales. Map the tax or the account to a pair Xero "
                        "accepts."]
    locked = payload()
    locked["Date"] = "2025-12-31"
    problems = validate_invoice(locked, known)
    assert len(problems) == 1 and "on or before Xero's period lock date (2025-12-31)" in \
        problems[0]
