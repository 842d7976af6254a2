"""Matching Xero contacts and items to Odoo records for the one-time import, and the
reads that feed it (against the emulator, over HTTP with the real SDK)."""

import pytest
from conftest import issue_token
from xero_python.accounting import models as m

from clarus_sync_engine import imports, matching, scopes
from clarus_sync_engine.client import make_gateway
from clarus_sync_engine.matching import CHOOSE, CREATE, LINK, SKIP, UPDATE, Bound


def contact(cid, name, email=None, tax=None, status="ACTIVE", **extra):
    return dict({"ContactID": cid, "Name": name, "EmailAddress": email, "TaxNumber": tax,
                 "ContactStatus": status}, **extra)


PARTNERS = [
    {"id": 1, "name": "Acme Ltd", "email": "ap@acme.example", "vat": None},
    {"id": 2, "name": "Bolt Traders", "email": None, "vat": "GB 123 456 789"},
    {"id": 3, "name": "Cobalt Co", "email": "shared@group.example", "vat": None},
    {"id": 4, "name": "Cobalt Holdings", "email": "shared@group.example", "vat": None},
    {"id": 5, "name": "Delta Supplies", "email": None, "vat": None},
]


def by_id(proposals):
    return {p.xero_id: p for p in proposals}


# ----------------------------------------------------------------------- contacts

def test_contacts_match_by_email_tax_number_and_name_and_say_why():
    out = by_id(matching.match_contacts([
        contact("c-email", "ACME Limited", email="AP@acme.example "),
        contact("c-tax", "Bolt Trading Co", tax="gb123-456-789"),
        contact("c-name", "  delta   SUPPLIES "),
        contact("c-new", "Echo Ltd", email="echo@example.com"),
    ], PARTNERS))
    assert (out["c-email"].action, out["c-email"].record_id, out["c-email"].reasons) == (
        LINK, 1, ("email",))
    assert (out["c-tax"].action, out["c-tax"].record_id, out["c-tax"].reasons) == (
        LINK, 2, ("tax_number",))
    assert (out["c-name"].action, out["c-name"].record_id, out["c-name"].reasons) == (
        LINK, 5, ("name",))
    assert (out["c-new"].action, out["c-new"].record_id) == (CREATE, None)
    assert matching.reasons_text(out["c-email"].reasons) == "e-mail"


def test_every_kind_of_evidence_the_chosen_partner_meets_is_listed():
    out = matching.match_contacts([contact("c1", "acme ltd", email="ap@acme.example")],
                                  PARTNERS)
    assert out[0].reasons == ("email", "name")
    assert matching.reasons_text(out[0].reasons) == "e-mail, name"


def test_a_shared_email_is_left_for_a_person_to_choose():
    out = matching.match_contacts([contact("c1", "Cobalt", email="shared@group.example")],
                                  PARTNERS)
    assert out[0].action == CHOOSE and out[0].record_id is None
    assert out[0].candidate_ids == (3, 4)
    assert "2 records have the same e-mail" in out[0].note


def test_stronger_evidence_wins_over_a_name_that_points_elsewhere():
    # The e-mail says Acme; the name says Delta: the e-mail decides.
    out = matching.match_contacts(
        [contact("c1", "Delta Supplies", email="ap@acme.example")], PARTNERS)
    assert (out[0].action, out[0].record_id, out[0].reasons) == (LINK, 1, ("email",))


def test_one_partner_matched_by_two_contacts_is_bound_to_neither():
    out = matching.match_contacts([contact("c1", "Acme Ltd"),
                                   contact("c2", "Other", email="ap@acme.example")], PARTNERS)
    assert [p.action for p in out] == [CHOOSE, CHOOSE]
    assert all(p.candidate_ids == (1,) for p in out)
    assert "Other" in out[0].note and "Acme Ltd" in out[1].note


def test_bound_contacts_update_what_the_import_created_and_keep_odoo_records():
    bound = {"C-CREATED": Bound(7, True), "c-linked": Bound(1, False)}
    out = by_id(matching.match_contacts([
        contact("c-created", "Foxtrot"), contact("c-linked", "Acme Ltd"),
        # Partner 1 is bound already: it is no candidate for another contact.
        contact("c-other", "Acme Ltd (branch)", email="ap@acme.example"),
    ], PARTNERS, bound))
    assert (out["c-created"].action, out["c-created"].record_id) == (UPDATE, 7)
    assert (out["c-linked"].action, out["c-linked"].record_id) == (SKIP, 1)
    assert out["c-other"].action == CREATE


def test_archived_contacts_are_not_proposed():
    out = matching.match_contacts([contact("c1", "Acme Ltd", status="ARCHIVED"),
                                   contact("c2", "Delta Supplies")], PARTNERS)
    assert [p.xero_id for p in out] == ["c2"]


# -------------------------------------------------------------------------- items

PRODUCTS = [
    {"id": 10, "name": "Widget", "default_code": "WID-1"},
    {"id": 11, "name": "Gadget", "default_code": None},
    {"id": 12, "name": "Sprocket", "default_code": "SP"},
    {"id": 13, "name": "Sprocket", "default_code": "SP2"},
]


def test_items_match_by_code_then_name():
    out = by_id(matching.match_items([
        {"ItemID": "i1", "Code": "WID-1 ", "Name": "Blue widget"},
        {"ItemID": "i2", "Code": "GAD", "Name": "gadget"},
        {"ItemID": "i3", "Code": "SPR", "Name": "Sprocket"},
        {"ItemID": "i4", "Code": "NEW", "Name": "New thing"},
    ], PRODUCTS))
    assert (out["i1"].action, out["i1"].record_id, out["i1"].reasons) == (LINK, 10, ("code",))
    assert (out["i2"].action, out["i2"].record_id, out["i2"].reasons) == (LINK, 11, ("name",))
    assert out["i4"].action == CREATE
    assert out["i1"].label == "WID-1  Blue widget"
    # Both Sprockets have a code Xero does not know: neither is the item SPR.
    assert out["i3"].action == CREATE


def test_item_codes_compare_exactly_since_documents_carry_them():
    out = by_id(matching.match_items([
        {"ItemID": "i1", "Code": "wid-1", "Name": "Widget"},
        {"ItemID": "i2", "Code": "SP", "Name": "Sprocket"},
        {"ItemID": "i3", "Code": "SPX", "Name": "Gadget"},
    ], PRODUCTS + [{"id": 14, "name": "Gadget", "default_code": None}]))
    # "wid-1" is not Odoo's "WID-1"; the name finds it, but its code differs: a new item.
    assert out["i1"].action == CREATE
    assert (out["i2"].action, out["i2"].record_id, out["i2"].reasons) == (
        LINK, 12, ("code", "name"))
    # Two products named Gadget, neither coded: the person chooses.
    assert (out["i3"].action, out["i3"].candidate_ids) == (CHOOSE, (11, 14))


# -------------------------------------------------------------------------- values

def test_contact_becomes_partner_values_customer_and_supplier_told_apart():
    values = imports.partner_values(contact(
        "c1", " Acme  Ltd ", email="ap@acme.example", tax="123", IsCustomer=True,
        IsSupplier=False,
        Phones=[{"PhoneType": "DEFAULT", "PhoneCountryCode": "64", "PhoneAreaCode": "9",
                 "PhoneNumber": "555 1234"}],
        Addresses=[{"AddressType": "POBOX", "AddressLine1": "PO Box 1", "City": "Auckland"},
                   {"AddressType": "STREET", "AddressLine1": "1 Queen St",
                    "City": "Wellington", "PostalCode": "6011", "Country": "NZ"}]))
    assert values == {"name": "Acme Ltd", "email": "ap@acme.example", "vat": "123",
                      "phone": "64 9 555 1234", "street": "1 Queen St", "street2": None,
                      "city": "Wellington", "zip": "6011", "country_code": "NZ",
                      "is_customer": True, "is_supplier": False}


def test_item_becomes_product_values():
    values = imports.product_values({
        "Code": "WID-1", "Name": "Widget", "Description": "A widget",
        "SalesDetails": {"UnitPrice": 12.5}, "PurchaseDetails": {"UnitPrice": 7.25},
        "IsSold": True, "IsPurchased": False, "IsTrackedAsInventory": True})
    assert values["list_price"] == 12.5 and values["standard_price"] == 7.25
    assert values["default_code"] == "WID-1" and values["purchase_ok"] is False
    assert values["is_storable"] is True
    assert imports.product_values({"Code": "X"})["list_price"] is None


# ----------------------------------------------------------------- reads (emulator)

@pytest.fixture
def gateway(emulator):
    token = issue_token(emulator.base_url, scope=scopes.DEFAULT_SCOPE)
    return make_gateway("clarus-demo-client", "clarus-demo-secret", lambda: token,
                        token.update, api_base_url=emulator.base_url,
                        identity_base_url=emulator.base_url, timeout=10)


def test_read_contacts_reads_every_page_at_the_largest_size_and_only_active(
        emulator, sdk, gateway):
    for start in (0, 500, 1000):
        sdk.acct.create_contacts(sdk.nz, m.Contacts(contacts=[
            m.Contact(name="Customer %04d" % i) for i in range(start, min(start + 500, 1001))]))
    archived = sdk.acct.create_contacts(sdk.nz, m.Contacts(contacts=[
        m.Contact(name="Old Co")])).contacts[0]
    sdk.acct.update_contact(sdk.nz, archived.contact_id, m.Contacts(contacts=[
        m.Contact(contact_id=archived.contact_id, contact_status="ARCHIVED")]))
    emulator.state.log.clear()
    contacts = imports.read_contacts(gateway, sdk.nz)
    assert len(contacts) == 1001 and "Old Co" not in {c["Name"] for c in contacts}
    pages = [r for r in emulator.state.log if r["path"].endswith("/Contacts")]
    assert len(pages) == 2 and all("pageSize=1000" in r["query"] for r in pages)


def test_read_items_and_branding_themes(sdk, gateway):
    sdk.acct.create_items(sdk.nz, m.Items(items=[m.Item(code="WID-1", name="Widget")]))
    assert [i["Code"] for i in imports.read_items(gateway, sdk.nz)] == ["WID-1"]
    themes = imports.read_branding_themes(gateway, sdk.nz)
    assert [t["Name"] for t in themes] == ["Standard", "Special Projects"]
