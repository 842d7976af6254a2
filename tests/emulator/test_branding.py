"""Branding themes: two per organisation, readable through the SDK, and a document that
names a theme the organisation does not have is refused."""

import pytest
from emu_helpers import TODAY, bad_request, contact, invoice, line, messages
from xero_python.accounting import models as m
from xero_python.exceptions import NotFoundException


def themes(sdk, tenant):
    return sdk.acct.get_branding_themes(tenant).branding_themes


def test_each_organisation_has_its_own_two_themes(sdk):
    nz, au = themes(sdk, sdk.nz), themes(sdk, sdk.au)
    assert [(t.name, t.sort_order) for t in nz] == [("Standard", 0), ("Special Projects", 1)]
    assert [t.name for t in au] == ["Standard", "Special Projects"]
    assert not {t.branding_theme_id for t in nz} & {t.branding_theme_id for t in au}
    one = sdk.acct.get_branding_theme(sdk.nz, nz[1].branding_theme_id).branding_themes[0]
    assert one.name == "Special Projects" and one.type == "INVOICE"


def test_an_unknown_theme_is_not_found(sdk):
    with pytest.raises(NotFoundException):
        sdk.acct.get_branding_theme(sdk.nz, themes(sdk, sdk.au)[0].branding_theme_id)


def test_invoice_keeps_its_theme(sdk):
    special = themes(sdk, sdk.nz)[1].branding_theme_id
    customer = contact(sdk, "Acme Ltd")
    out = invoice(sdk, customer.contact_id, branding_theme_id=special)
    stored = sdk.acct.get_invoice(sdk.nz, out.invoice_id).invoices[0]
    assert stored.branding_theme_id == special


def test_theme_of_another_organisation_is_refused(sdk):
    foreign = themes(sdk, sdk.au)[0].branding_theme_id
    customer = contact(sdk, "Acme Ltd")
    err = bad_request(invoice, sdk, customer.contact_id, branding_theme_id=foreign)
    assert messages(err) == [
        "The BrandingThemeID %s is not valid for this organisation." % foreign]
    assert sdk.acct.get_invoices(sdk.nz).invoices == []


def test_credit_note_with_unknown_theme_fails_alone_in_its_batch(sdk):
    customer = contact(sdk, "Acme Ltd")
    standard = themes(sdk, sdk.nz)[0].branding_theme_id
    unknown = "00000000-0000-4000-8000-000000000001"

    def note(theme):
        return m.CreditNote(type="ACCRECCREDIT", contact=m.Contact(contact_id=customer.contact_id),
                            line_items=[line()], status="AUTHORISED", date=TODAY,
                            branding_theme_id=theme)

    out = sdk.acct.update_or_create_credit_notes(
        sdk.nz, m.CreditNotes(credit_notes=[note(standard), note(unknown)]),
        summarize_errors=False).credit_notes
    assert [bool(c.has_errors) for c in out] == [False, True]
    assert "not valid" in out[1].validation_errors[0].message
    saved = sdk.acct.get_credit_notes(sdk.nz).credit_notes
    assert [c.branding_theme_id for c in saved] == [standard]
