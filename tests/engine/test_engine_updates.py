"""Updates of records Xero holds: digests, the three-way merge of contacts, clearing."""

import pytest

from clarus_sync_engine import mapping, updates

PARTNER = {"name": "Acme Ltd", "ref": "C-1", "email": "ops@acme.test", "vat": "12-345",
           "phone": "+64 9 555 0100", "street": "1 Queen St", "street2": None,
           "city": "Auckland", "zip": "1010", "country_code": "NZ"}


def contact(**changes):
    return mapping.contact_payload(dict(PARTNER, **changes))


def test_contact_values_read_what_both_sides_keep():
    values = updates.contact_values(contact())
    assert values == {
        "number": "C-1", "name": "Acme Ltd", "email": "ops@acme.test", "phone": "+64 9 555 0100",
        "address": {"street": "1 Queen St", "street2": "", "city": "Auckland", "zip": "1010",
                    "country": "NZ"},
        "vat": "12-345",
    }


def test_xero_phone_parts_and_postal_address_read_as_odoo_keeps_them():
    element = {"Name": "Acme", "Phones": [
        {"PhoneType": "MOBILE", "PhoneNumber": "021 000"},
        {"PhoneType": "DEFAULT", "PhoneCountryCode": "64", "PhoneAreaCode": "9",
         "PhoneNumber": "555 0100"}],
        "Addresses": [{"AddressType": "POBOX", "AddressLine1": "PO Box 1"},
                      {"AddressType": "STREET", "AddressLine1": "1 Queen St", "City": "Auckland"}]}
    values = updates.contact_values(element)
    assert values["phone"] == "64 9 555 0100"
    assert values["address"]["street"] == "1 Queen St"


def test_digest_ignores_the_id_and_changes_with_what_xero_holds():
    sent = contact()
    with_id = dict(sent, ContactID="11111111-1111-1111-1111-111111111111")
    assert updates.digest("contact", sent) == updates.digest("contact", with_id)
    assert updates.digest("contact", sent) != updates.digest("contact", contact(phone="1"))
    # Spacing Xero would not keep is not a change.
    assert updates.digest("contact", sent) == updates.digest(
        "contact", contact(name="  Acme   Ltd "))


def test_email_case_is_no_change_but_a_name_case_is():
    sent = contact(email="Ops@Acme.test")
    assert updates.contact_values(sent)["email"] == "Ops@Acme.test", "kept as written"
    assert updates.digest("contact", sent) == updates.digest("contact", contact())
    assert updates.digest("contact", contact(name="ACME Ltd")) != updates.digest(
        "contact", contact())
    base = updates.contact_values(contact())
    xero = updates.contact_values(contact(email="OPS@acme.test", name="ACME Ltd"))
    decisions = updates.merge(base, base, xero, ("email", "name"))
    assert decisions["email"][0] == updates.UNCHANGED
    assert decisions["name"] == (updates.TAKE_XERO, "ACME Ltd")


def test_item_digest_ignores_item_id_but_not_prices():
    item = mapping.item_payload({"default_code": "W-1", "name": "Widget", "list_price": 10,
                                 "standard_price": 4}, False, {"sales_account": "200"})
    same = dict(item, ItemID="22222222-2222-2222-2222-222222222222")
    dearer = mapping.item_payload({"default_code": "W-1", "name": "Widget", "list_price": 12,
                                   "standard_price": 4}, False, {"sales_account": "200"})
    assert updates.digest("item", item) == updates.digest("item", same)
    assert updates.digest("item", item) != updates.digest("item", dearer)


def test_merge_takes_what_only_xero_changed_and_keeps_what_only_odoo_changed():
    base = updates.contact_values(contact())
    odoo = updates.contact_values(contact(email="new@acme.test"))
    xero = updates.contact_values(contact(phone="+64 9 555 0199"))
    decisions = updates.merge(base, odoo, xero, ("email", "phone", "address"))
    assert decisions["phone"] == (updates.TAKE_XERO, "+64 9 555 0199")
    # Odoo's edit stands: Xero did not touch the e-mail.
    assert decisions["email"][0] == updates.UNCHANGED
    assert decisions["address"][0] == updates.UNCHANGED


def test_merge_reports_a_field_changed_differently_on_both_sides():
    base = updates.contact_values(contact())
    odoo = updates.contact_values(contact(phone="111", city="Wellington"))
    xero = updates.contact_values(contact(phone="222", city="Wellington"))
    decisions = updates.merge(base, odoo, xero, ("phone", "address"))
    assert decisions["phone"] == (updates.CONFLICT, "222")
    # Both sides made the same change: nothing to decide.
    assert decisions["address"][0] == updates.UNCHANGED


def test_merge_leaves_fields_not_chosen_alone():
    base = updates.contact_values(contact())
    xero = updates.contact_values(contact(name="Acme Holdings", vat="99"))
    decisions = updates.merge(base, base, xero, ("email",))
    assert set(decisions) == {"email"}


def test_merge_without_a_snapshot_takes_xero_changes():
    odoo = updates.contact_values(contact())
    xero = updates.contact_values(contact(email="billing@acme.test"))
    assert updates.merge(None, odoo, xero, ("email",))["email"] == (
        updates.TAKE_XERO, "billing@acme.test")


def test_clearing_update_sends_empty_fields_so_xero_clears_them():
    element = updates.clearing_update(contact(email=None, phone=None, vat=None, street=None,
                                              city=None, zip=None, country_code=None))
    assert element["EmailAddress"] == "" and element["TaxNumber"] == ""
    assert element["Phones"] == [{"PhoneType": "DEFAULT", "PhoneNumber": ""}]
    assert element["Addresses"][0]["AddressLine1"] == "" and element["Addresses"][0]["City"] == ""
    kept = updates.clearing_update(contact())
    assert kept["EmailAddress"] == "ops@acme.test" and kept["Phones"][0]["PhoneNumber"]


def test_set_contact_value_round_trips_through_contact_values():
    element = contact()
    address = {"street": "9 Lambton Quay", "street2": "Level 2", "city": "Wellington",
               "zip": "6011", "country": "NZ"}
    updates.set_contact_value(element, "address", address)
    updates.set_contact_value(element, "phone", "04 000 000")
    values = updates.contact_values(element)
    assert values["address"] == address and values["phone"] == "04 000 000"
    with pytest.raises(ValueError):
        updates.set_contact_value(element, "website", "x")


def test_display_writes_an_address_on_one_line():
    assert updates.display("address", {"street": "1 Queen St", "city": "Auckland",
                                       "country": "NZ"}) == "1 Queen St, Auckland, NZ"
    assert updates.display("phone", "  09  555 ") == "09 555"
