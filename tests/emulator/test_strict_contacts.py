"""Contact names, e-mail addresses, merged contacts and item purchase details (§8)."""

import pytest
from emu_helpers import bad_request, contact, control, invoice, messages
from xero_python.accounting import models as m

TAKEN = ("The contact name {} is already assigned to another contact. The contact name must "
         "be unique across all active contacts.")


def records(emulator, sdk, collection):
    return control(emulator, "GET", "/documents/%s?tenant=%s" % (collection, sdk.nz))["records"]


def test_put_refuses_a_name_clash_ignoring_case_and_whitespace(emulator, sdk):
    contact(sdk, "ACME Ltd")
    for clash in ("acme ltd", "  Acme   Ltd ", "ACME\tLTD"):
        err = bad_request(sdk.acct.create_contacts, sdk.nz,
                          m.Contacts(contacts=[m.Contact(name=clash)]))
        assert messages(err) == [TAKEN.format(clash)]
    # Per element with summarizeErrors=false: the clash fails alone, the rest is created.
    out = sdk.acct.create_contacts(sdk.nz, m.Contacts(contacts=[
        m.Contact(name="Acme  ltd"), m.Contact(name="Beta Ltd")]), summarize_errors=False)
    assert [c.status_attribute_string for c in out.contacts] == ["ERROR", "OK"]
    assert out.contacts[0].validation_errors[0].message == TAKEN.format("Acme  ltd")
    assert sorted(r["Name"] for r in records(emulator, sdk, "Contacts")) == \
        ["ACME Ltd", "Beta Ltd"]


def test_post_without_id_overwrites_the_contact_it_matches(emulator, sdk):
    finance = contact(sdk, "ACME Ltd", email_address="ap@acme.example")
    out = sdk.acct.update_or_create_contacts(sdk.nz, m.Contacts(contacts=[
        m.Contact(name="Acme Ltd", email_address="sales@odoo.example")])).contacts[0]
    assert out.contact_id == finance.contact_id
    stored = records(emulator, sdk, "Contacts")
    assert len(stored) == 1
    assert (stored[0]["Name"], stored[0]["EmailAddress"]) == ("Acme Ltd", "sales@odoo.example")
    # By ContactNumber too, whatever the name sent.
    numbered = contact(sdk, "Gamma Co", contact_number="C-9")
    again = sdk.acct.update_or_create_contacts(sdk.nz, m.Contacts(contacts=[
        m.Contact(name="Gamma Company", contact_number="C-9")])).contacts[0]
    assert again.contact_id == numbered.contact_id and again.name == "Gamma Company"


@pytest.mark.parametrize("email", ["a@x.com, b@y.com", "a@x.com;b@y.com", "not an email",
                                   "ap@", "@acme.example", "ap@acme", "a b@acme.example"])
def test_email_must_be_one_valid_address(emulator, sdk, email):
    err = bad_request(sdk.acct.create_contacts, sdk.nz,
                      m.Contacts(contacts=[m.Contact(name="Mail Co", email_address=email)]))
    assert messages(err) == ["Email address must be valid."]
    assert records(emulator, sdk, "Contacts") == []


def test_valid_email_is_accepted_and_bad_one_fails_alone(emulator, sdk):
    out = sdk.acct.create_contacts(sdk.nz, m.Contacts(contacts=[
        m.Contact(name="Good", email_address="first.last+ap@mail.acme.example"),
        m.Contact(name="Bad", email_address="a@x.com, b@y.com")]), summarize_errors=False)
    assert [c.status_attribute_string for c in out.contacts] == ["OK", "ERROR"]


def test_merged_contact_is_archived_and_refuses_new_documents(emulator, sdk):
    old = contact(sdk, "Old Name Ltd")
    new = contact(sdk, "New Name Ltd")
    inv = invoice(sdk, old.contact_id)
    out = control(emulator, "POST", "/merge-contacts", {
        "tenant_id": sdk.nz, "from_contact_id": old.contact_id,
        "into_contact_id": new.contact_id})
    assert out["moved_documents"] == 1
    merged = sdk.acct.get_contact(sdk.nz, old.contact_id).contacts[0]
    assert merged.contact_status == "ARCHIVED"
    assert merged.merged_to_contact_id == new.contact_id
    moved = sdk.acct.get_invoice(sdk.nz, inv.invoice_id).invoices[0]
    assert moved.contact.contact_id == new.contact_id
    err = bad_request(invoice, sdk, old.contact_id)
    assert messages(err) == ["The contact 'Old Name Ltd' is archived and cannot be used on "
                             "new transactions."]
    # Its name is free again among active contacts.
    assert contact(sdk, "Old Name Ltd").contact_id != old.contact_id
    assert invoice(sdk, new.contact_id).status == "AUTHORISED"


def test_is_purchased_false_nulls_purchase_details(emulator, sdk):
    sdk.acct.create_items(sdk.nz, m.Items(items=[m.Item(
        code="SVC-1", name="Service", purchase_description="Bought in",
        purchase_details=m.Purchase(unit_price=4, account_code="429"),
        sales_details=m.Purchase(unit_price=9, account_code="200"))]))
    out = sdk.acct.update_item(sdk.nz, "SVC-1", m.Items(items=[m.Item(
        code="SVC-1", is_purchased=False)])).items[0]
    assert out.is_purchased is False and out.purchase_details is None
    stored = next(r for r in records(emulator, sdk, "Items") if r["Code"] == "SVC-1")
    assert "PurchaseDetails" not in stored and "PurchaseDescription" not in stored
    assert stored["SalesDetails"]["AccountCode"] == "200"


def test_tracked_item_needs_cogs_and_purchasing(emulator, sdk):
    err = bad_request(sdk.acct.create_items, sdk.nz, m.Items(items=[m.Item(
        code="TRK-1", inventory_asset_account_code="630",
        purchase_details=m.Purchase(unit_price=2))]))
    assert messages(err) == ["A COGSAccountCode must be specified in PurchaseDetails for a "
                             "tracked inventory item."]
    err = bad_request(sdk.acct.create_items, sdk.nz, m.Items(items=[m.Item(
        code="TRK-1", inventory_asset_account_code="630", is_purchased=False,
        purchase_details=m.Purchase(unit_price=2, cogs_account_code="310"))]))
    assert "IsPurchased" in messages(err)[0]
    assert records(emulator, sdk, "Items") == []
    sdk.acct.create_items(sdk.nz, m.Items(items=[m.Item(
        code="TRK-1", inventory_asset_account_code="630",
        purchase_details=m.Purchase(unit_price=2, cogs_account_code="310"))]))
    err = bad_request(sdk.acct.update_item, sdk.nz, "TRK-1", m.Items(items=[m.Item(
        code="TRK-1", is_purchased=False)]))
    assert "IsPurchased" in messages(err)[0]
    stored = records(emulator, sdk, "Items")[0]
    assert stored["PurchaseDetails"]["COGSAccountCode"] == "310"
