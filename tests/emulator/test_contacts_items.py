"""Contacts and Items: creation, upserts, uniqueness and archiving."""

from decimal import Decimal

from emu_helpers import bad_request, contact, invoice, line, messages, raw
from xero_python.accounting import models as m


def test_contact_round_trip_and_lookup(sdk):
    c = contact(sdk, "Acme Ltd", email_address="ap@acme.example", contact_number="C-001")
    assert c.contact_status == "ACTIVE" and c.updated_date_utc is not None
    assert sdk.acct.get_contact(sdk.nz, c.contact_id).contacts[0].name == "Acme Ltd"
    by_number = sdk.acct.get_contact_by_contact_number(sdk.nz, "C-001").contacts[0]
    assert by_number.contact_id == c.contact_id
    assert sdk.acct.get_contacts(sdk.au).contacts == []


def test_contact_name_unique_put_fails_post_upserts(sdk):
    c = contact(sdk, "Acme Ltd", contact_number="C-001")
    err = bad_request(sdk.acct.create_contacts, sdk.nz,
                      m.Contacts(contacts=[m.Contact(name="Acme Ltd")]))
    assert messages(err) == [
        "The contact name Acme Ltd is already assigned to another contact. The contact name "
        "must be unique across all active contacts."]
    err = bad_request(sdk.acct.create_contacts, sdk.nz,
                      m.Contacts(contacts=[m.Contact(name="Other", contact_number="C-001")]))
    assert "C-001" in messages(err)[0]
    out = sdk.acct.update_or_create_contacts(sdk.nz, m.Contacts(contacts=[
        m.Contact(name="Acme Ltd", email_address="new@acme.example")])).contacts[0]
    assert out.contact_id == c.contact_id and out.email_address == "new@acme.example"
    upd = sdk.acct.update_contact(sdk.nz, c.contact_id, m.Contacts(contacts=[
        m.Contact(first_name="Ann")])).contacts[0]
    assert upd.first_name == "Ann" and upd.name == "Acme Ltd"


def test_archived_contacts_hidden_and_unusable(sdk):
    c = contact(sdk, "Old Co")
    sdk.acct.update_contact(sdk.nz, c.contact_id, m.Contacts(contacts=[
        m.Contact(contact_id=c.contact_id, contact_status="ARCHIVED")]))
    names = [x.name for x in sdk.acct.get_contacts(sdk.nz).contacts]
    assert "Old Co" not in names
    names = [x.name for x in sdk.acct.get_contacts(sdk.nz, include_archived=True).contacts]
    assert "Old Co" in names
    err = bad_request(invoice, sdk, c.contact_id)
    assert "archived" in messages(err)[0]
    # The name is free again for a new active contact.
    assert contact(sdk, "Old Co").contact_id != c.contact_id


def test_contact_filters_and_paging(sdk):
    for i in range(5):
        contact(sdk, "Customer %d" % i, email_address="c%d@x.example" % i,
                contact_number="N%d" % i)
    assert [c.name for c in sdk.acct.get_contacts(
        sdk.nz, where='Name.Contains("tomer 3")').contacts] == ["Customer 3"]
    assert len(sdk.acct.get_contacts(sdk.nz, where='Name.StartsWith("cust")').contacts) == 5
    assert [c.name for c in sdk.acct.get_contacts(
        sdk.nz, where='EmailAddress=="c1@x.example"').contacts] == ["Customer 1"]
    assert [c.name for c in sdk.acct.get_contacts(
        sdk.nz, where='ContactNumber=="N4" OR ContactNumber=="N2"',
        order="Name DESC").contacts] == ["Customer 4", "Customer 2"]
    page = sdk.acct.get_contacts(sdk.nz, page=2, page_size=2, order="Name")
    assert [c.name for c in page.contacts] == ["Customer 2", "Customer 3"]
    assert (page.pagination.page, page.pagination.page_size, page.pagination.page_count,
            page.pagination.item_count) == (2, 2, 3, 5)
    first = sdk.acct.get_contacts(sdk.nz).contacts[0]
    ids = sdk.acct.get_contacts(sdk.nz, i_ds=[first.contact_id]).contacts
    assert [c.contact_id for c in ids] == [first.contact_id]


def test_items_tracked_and_untracked(sdk):
    items = m.Items(items=[
        m.Item(code="WID-1", name="Widget", sales_details=m.Purchase(
            unit_price=25, account_code="200", tax_type="OUTPUT2")),
        m.Item(code="STK-1", name="Stocked", inventory_asset_account_code="630",
               purchase_details=m.Purchase(unit_price=10, cogs_account_code="310"),
               sales_details=m.Purchase(unit_price=30, account_code="200")),
    ])
    out = sdk.acct.create_items(sdk.nz, items).items
    assert not out[0].is_tracked_as_inventory and out[1].is_tracked_as_inventory
    assert out[1].quantity_on_hand == 0
    assert sdk.acct.get_item(sdk.nz, out[0].item_id).items[0].code == "WID-1"
    assert [i.code for i in sdk.acct.get_items(sdk.nz, where='Code=="STK-1"').items] == ["STK-1"]
    upd = sdk.acct.update_item(sdk.nz, out[0].item_id, m.Items(items=[
        m.Item(code="WID-1", name="Widget v2")])).items[0]
    assert upd.name == "Widget v2"
    ups = sdk.acct.update_or_create_items(sdk.nz, m.Items(items=[
        m.Item(code="WID-1", description="Blue")])).items[0]
    assert ups.item_id == out[0].item_id and ups.description == "Blue"


def test_item_validation(sdk, emulator):
    sdk.acct.create_items(sdk.nz, m.Items(items=[m.Item(code="ABC")]))
    err = bad_request(sdk.acct.create_items, sdk.nz, m.Items(items=[m.Item(code="ABC")]))
    assert messages(err) == ["Price List Item with Code 'ABC' already exists"]
    # The SDK refuses long codes itself, so send this one raw.
    resp = raw(emulator, "PUT", "/api.xro/2.0/Items", sdk.token["access_token"], sdk.nz,
               json={"Items": [{"Code": "X" * 31}]})
    assert resp.status_code == 400
    if emulator.state.spec_path:  # the contract check catches it first (maxLength 30)
        assert resp.json()["Type"] == "ContractViolation"
    else:
        assert "30 characters" in messages(resp.json())[0]
    err = bad_request(sdk.acct.create_items, sdk.nz, m.Items(items=[m.Item(
        code="BAD", sales_details=m.Purchase(account_code="999"))]))
    assert messages(err) == ["Account code '999' has been removed as it does not match a "
                             "recognised account."]
    err = bad_request(sdk.acct.create_items, sdk.nz, m.Items(items=[m.Item(
        code="BAD", inventory_asset_account_code="200",
        purchase_details=m.Purchase(cogs_account_code="310"))]))
    assert "INVENTORY" in messages(err)[0]


def test_unitdp_on_items(sdk):
    out = sdk.acct.create_items(sdk.nz, m.Items(items=[m.Item(
        code="P4", sales_details=m.Purchase(unit_price=1.23456))]), unitdp=4).items[0]
    assert out.sales_details.unit_price == Decimal("1.2346")
    plain = sdk.acct.get_item(sdk.nz, out.item_id).items[0]
    assert plain.sales_details.unit_price == Decimal("1.23")
    assert sdk.acct.get_item(sdk.nz, out.item_id, unitdp=4).items[0].sales_details.unit_price \
        == Decimal("1.2346")


def test_invoice_line_with_item_uses_item_defaults(sdk):
    sdk.acct.create_items(sdk.nz, m.Items(items=[m.Item(
        code="WID-1", description="Widget", sales_details=m.Purchase(
            unit_price=25, account_code="260", tax_type="OUTPUT2"))]))
    c = contact(sdk)
    inv = invoice(sdk, c.contact_id, [m.LineItem(item_code="WID-1", quantity=2)])
    ln = inv.line_items[0]
    assert (ln.unit_amount, ln.account_code, ln.tax_type, ln.line_amount) == (
        25, "260", "OUTPUT2", 50)
    assert inv.total == Decimal("57.5")
    err = bad_request(invoice, sdk, c.contact_id, [line(item_code="NOPE", account_code="200")])
    assert "Item code 'NOPE'" in messages(err)[0]
