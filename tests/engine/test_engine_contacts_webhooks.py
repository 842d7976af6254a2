import base64
import hashlib
import hmac
import json

import pytest

from clarus_sync_engine import contacts, mapping
from clarus_sync_engine.contacts import disambiguate_name, match_contact
from clarus_sync_engine.webhooks import parse_events, verify_signature

XERO = [
    {"ContactID": "1", "Name": "Acme Ltd", "EmailAddress": "ops@acme.test"},
    {"ContactID": "2", "Name": "Beta", "ContactNumber": "C00042", "EmailAddress": "x@y.z"},
    {"ContactID": "3", "Name": "Gamma", "EmailAddress": "Shared@Co.test"},
    {"ContactID": "4", "Name": "Delta", "EmailAddress": "shared@co.test"},
    {"ContactID": "5", "Name": "Old", "ContactNumber": "C00099", "ContactStatus": "ARCHIVED"},
]


def test_match_order_number_then_unique_email_then_name():
    assert match_contact({"ref": "C00042", "name": "Acme Ltd"}, XERO)["ContactID"] == "2"
    assert match_contact({"email": "OPS@acme.test", "name": "Zed"}, XERO)["ContactID"] == "1"
    assert match_contact({"email": "shared@co.test", "name": "Delta"}, XERO)["ContactID"] == "4"
    assert match_contact({"email": "shared@co.test", "name": "Nobody"}, XERO) is None
    assert match_contact({"ref": "C00099", "name": "Old"}, XERO) is None  # archived
    # Names compare as Xero compares them: case and spacing ignored.
    assert match_contact({"name": " ACME  ltd "}, XERO)["ContactID"] == "1"


def test_disambiguate_name():
    taken = ["Acme Ltd", "acme ltd (C00042)"]
    assert disambiguate_name("New Co", taken, "C1") == "New Co"
    assert disambiguate_name("Acme Ltd", ["Acme Ltd"], "C00042") == "Acme Ltd (C00042)"
    assert disambiguate_name("Acme Ltd", taken, "C00042") == "Acme Ltd (C00042-2)"
    assert disambiguate_name("Acme Ltd", ["Acme Ltd", "Acme Ltd (2)"], None) == "Acme Ltd (3)"
    long = disambiguate_name("N" * 300, ["N" * 255], "REF")
    assert len(long) == 255 and long.endswith(" (REF)")
    assert disambiguate_name("Acme Ltd", taken, "C00042") == \
        disambiguate_name("Acme Ltd", list(reversed(taken)), "C00042")


BODY = json.dumps({"events": [{
    "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/abc", "resourceId": "abc",
    "eventDateUtc": "2026-01-01T00:00:00.000", "eventType": "UPDATE",
    "eventCategory": "INVOICE", "tenantId": "t-1", "tenantType": "ORGANISATION"}],
    "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "X"}).encode()
KEY = "webhook-key"


def sign(body, key=KEY):
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def test_signature_accepts_only_the_exact_body_and_key():
    assert verify_signature(BODY, sign(BODY), KEY)
    assert not verify_signature(BODY + b" ", sign(BODY), KEY)
    assert not verify_signature(BODY.replace(b"abc", b"abd"), sign(BODY), KEY)
    assert not verify_signature(BODY, sign(BODY, "other"), KEY)
    assert not verify_signature(BODY, "", KEY)
    assert not verify_signature(BODY, "not base64 at all \u00e9", KEY)


def test_parse_events_and_intent_to_receive():
    (event,) = parse_events(BODY)
    assert (event.tenant_id, event.category, event.event_type, event.resource_id) == \
        ("t-1", "INVOICE", "UPDATE", "abc")
    assert parse_events(b'{"events":[],"firstEventSequence":0,"lastEventSequence":0}') == []
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_events(b"<html>")


@pytest.mark.parametrize("missing", ["tenantId", "eventCategory", "resourceId", "eventDateUtc"])
def test_an_event_without_what_is_stored_is_refused_whole(missing):
    good = {"tenantId": "t-1", "eventCategory": "INVOICE", "eventType": "UPDATE",
            "resourceId": "abc", "eventDateUtc": "2026-11-23T10:00:00"}
    bad = dict(good)
    bad[missing] = None
    body = json.dumps({"events": [good, bad]}).encode()
    with pytest.raises(ValueError, match=missing):
        parse_events(body)


def _element(name, number, email=None):
    element = {"Name": name, "ContactNumber": number}
    if email:
        element["EmailAddress"] = email
    return element


def test_resolve_contacts_binds_ours_and_renames_on_a_clash():
    ours = {"ContactID": "c1", "Name": "Acme", "ContactNumber": "C1"}
    stranger = {"ContactID": "c9", "Name": "Globex", "ContactNumber": "OTHER",
                "EmailAddress": "x@globex.test"}
    elements = [_element("Acme", "C1"), _element("Globex", "C2", "buyer@globex.test")]
    found = contacts.resolve_contacts(elements, {"C1": ours}, {}, {"Globex": stranger})
    assert found == {"C1": ours}
    assert elements[1]["Name"] == "Globex (C2)"


def test_resolve_contacts_same_name_without_code_is_ours():
    plain = {"ContactID": "c3", "Name": "Initech"}
    elements = [_element("Initech", "C3")]
    assert contacts.resolve_contacts(elements, {}, {}, {"Initech": plain}) == {"C3": plain}
    assert elements[0]["Name"] == "Initech"


def test_resolve_contacts_reports_an_archived_contact_with_our_code():
    archived = {"ContactID": "c4", "Name": "Old", "ContactNumber": "C4",
                "ContactStatus": "ARCHIVED"}
    found = contacts.resolve_contacts([_element("New", "C4")], {"C4": archived}, {}, {})
    assert found["C4"]["ContactStatus"] == "ARCHIVED"


def test_batch_members_whose_names_clash_as_xero_compares_them_are_made_distinct():
    elements = [_element("Acme Ltd", "C1"), _element(" ACME  ltd ", "C2"),
                _element("acme ltd", "C3")]
    assert contacts.resolve_contacts(elements, {}, {}, {}) == {}
    names = [e["Name"] for e in elements]
    assert names == ["Acme Ltd", "ACME ltd (C2)", "acme ltd (C3)"]
    assert len({contacts.name_key(n) for n in names}) == 3


def test_a_new_contact_is_renamed_away_from_a_bound_or_foreign_name_in_any_case():
    stranger = {"ContactID": "c9", "Name": "Globex", "ContactNumber": "OTHER"}
    elements = [_element("GLOBEX", "C2", "buyer@globex.test")]
    assert contacts.resolve_contacts(elements, {}, {}, {"globex": stranger}) == {}
    assert elements[0]["Name"] == "GLOBEX (C2)"


def test_email_to_send_is_one_valid_address_or_none_with_a_reason():
    assert contacts.email_to_send(" Ops@Acme.test ") == ("Ops@Acme.test", "")
    assert contacts.email_to_send("Ops Team <ops@acme.test>") == ("ops@acme.test", "")
    assert contacts.email_to_send(None) == (None, "")
    address, reason = contacts.email_to_send("a@acme.test, b@acme.test")
    assert address is None and "several addresses" in reason
    address, reason = contacts.email_to_send("call Bob")
    assert address is None and "not a valid e-mail" in reason
    notes = []
    payload = mapping.contact_payload({"ref": "C1", "name": "Acme",
                                       "email": "a@acme.test; b@acme.test"}, notes)
    assert "EmailAddress" not in payload and notes and "several addresses" in notes[0]


def test_resolve_contacts_finds_an_email_match_whatever_its_case():
    theirs = {"ContactID": "c5", "Name": "Acme Trading", "EmailAddress": "Buyer@Acme.test"}
    elements = [_element("Acme", "C5", "buyer@acme.test")]
    found = contacts.resolve_contacts(elements, {}, {"Buyer@Acme.test": theirs}, {})
    assert found == {"C5": theirs}
