"""Updates of records Xero already holds: what Xero holds, and who changed what.

Plain data in, plain data out (no Odoo):

- ``contact_values`` reads the fields that both sides keep from a Xero Contact, sent by
  us (``mapping.contact_payload``) or read back from Xero: name, e-mail, phone, street
  address, tax number and contact code, normalised so that equal means equal.
- ``digest`` fingerprints an element as Xero would hold it. The digest of what was last
  sent (or applied from Xero) is stored on the binding: an edit whose element has the
  same digest changes nothing Xero holds and is not sent.
- ``merge`` is the three-way merge of a contact edited in Xero: for each chosen field,
  the value last synced, Odoo's now and Xero's now decide between nothing to do, taking
  Xero's value, and a conflict for a person to decide.
- ``set_contact_value`` writes one field's value into an element (a conflict not decided
  yet keeps Xero's value in what Odoo sends).
"""

import hashlib
import json

# The fields of a contact that can flow back from Xero, in the order they are shown.
CONTACT_FIELDS = ("name", "email", "phone", "address", "vat")
ADDRESS_KEYS = ("street", "street2", "city", "zip", "country")
# Element keys that name the record rather than describe it.
IDENTITY_KEYS = frozenset({"ContactID", "ItemID"})
# What a merge decides for one field.
UNCHANGED, TAKE_XERO, CONFLICT = "unchanged", "take_xero", "conflict"


def _text(value):
    return " ".join(str(value or "").split())


def _street_address(element):
    addresses = element.get("Addresses") or []
    street = next((a for a in addresses if (a.get("AddressType") or "") == "STREET"), None)
    street = street or {}
    return {
        "street": _text(street.get("AddressLine1")),
        "street2": _text(street.get("AddressLine2")),
        "city": _text(street.get("City")),
        "zip": _text(street.get("PostalCode")),
        "country": _text(street.get("Country")),
    }


def _default_phone(element):
    phones = element.get("Phones") or []
    phone = next((p for p in phones if (p.get("PhoneType") or "") == "DEFAULT"), None) or {}
    # Xero's screen keeps the country and area codes apart; Odoo keeps one number.
    parts = (phone.get("PhoneCountryCode"), phone.get("PhoneAreaCode"), phone.get("PhoneNumber"))
    return _text(" ".join(_text(part) for part in parts if _text(part)))


def contact_values(element):
    """``{field: value}`` for ``CONTACT_FIELDS`` plus ``number`` (the contact code), from
    a Xero Contact dict. Missing and empty are the same ("")."""
    return {
        "number": _text(element.get("ContactNumber")),
        "name": _text(element.get("Name")),
        "email": _text(element.get("EmailAddress")),
        "phone": _default_phone(element),
        "address": _street_address(element),
        "vat": _text(element.get("TaxNumber")),
    }


def _fingerprint(data):
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def digest(kind, element):
    """A fingerprint of what Xero holds once ``element`` is saved: a contact by the fields
    ``contact_values`` reads, an item by its whole element. The record's own ID is left
    out: the first send (without it) and the updates (with it) hold the same values."""
    if kind == "contact":
        values = contact_values(element)
        # Xero compares e-mail addresses without regard to case, and so does this.
        values["email"] = values["email"].casefold()
        return _fingerprint(values)
    return _fingerprint({key: value for key, value in element.items()
                         if key not in IDENTITY_KEYS})


def same_value(left, right, field=None):
    """Two values of one field (as ``contact_values`` reads them) hold the same text:
    spaces aside, nothing is ignored (a corrected capital is a change), except in an
    e-mail address, where case means nothing."""
    if isinstance(left, dict) or isinstance(right, dict):
        left, right = left or {}, right or {}
        return all(_text(left.get(k)) == _text(right.get(k)) for k in ADDRESS_KEYS)
    if field == "email":
        return _text(left).casefold() == _text(right).casefold()
    return _text(left) == _text(right)


def merge(base, odoo, xero, fields):
    """Decide, for each of ``fields``, what a contact edited in Xero does in Odoo.

    ``base``: the values last synced (sent to Xero or taken from it), or None when
    unknown (a binding made before snapshots were kept): Odoo's values then stand for
    it. ``odoo`` and ``xero``: the values now (``contact_values``).

    Returns ``{field: (decision, value)}`` for every field in ``fields``:
    - ``UNCHANGED``: Xero did not change it, or already agrees with Odoo;
    - ``TAKE_XERO``: only Xero changed it: Odoo takes ``value`` (Xero's);
    - ``CONFLICT``: both changed it since the last sync and disagree: nobody's value is
      overwritten, a person decides; ``value`` is Xero's.
    """
    base = base if base is not None else odoo
    decisions = {}
    for field in fields:
        was, ours, theirs = base.get(field), odoo.get(field), xero.get(field)
        if same_value(theirs, was, field) or same_value(theirs, ours, field):
            decisions[field] = (UNCHANGED, theirs)
        elif same_value(ours, was, field):
            decisions[field] = (TAKE_XERO, theirs)
        else:
            decisions[field] = (CONFLICT, theirs)
    return decisions


def display(field, value):
    """One line for a person: an address reads as it is written on an envelope."""
    if field == "address":
        value = value or {}
        return ", ".join(_text(value.get(k)) for k in ADDRESS_KEYS if _text(value.get(k)))
    return _text(value)


def set_contact_value(element, field, value):
    """Write ``value`` (as ``contact_values`` reads it) for ``field`` into a contact
    element about to be sent; an empty value is sent empty, so Xero clears it."""
    if field == "name":
        element["Name"] = value or element.get("Name")
    elif field == "email":
        element["EmailAddress"] = value or ""
    elif field == "vat":
        element["TaxNumber"] = value or ""
    elif field == "phone":
        element["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": value or ""}]
    elif field == "address":
        value = value or {}
        element["Addresses"] = [{
            "AddressType": "STREET",
            "AddressLine1": value.get("street") or "",
            "AddressLine2": value.get("street2") or "",
            "City": value.get("city") or "",
            "PostalCode": value.get("zip") or "",
            "Country": value.get("country") or "",
        }]
    else:
        raise ValueError("Unknown contact field: %s" % field)
    return element


def clearing_update(element):
    """An update of a contact Xero holds: the fields Odoo left empty are sent empty, so
    that Xero clears them instead of keeping its old value (Xero leaves a field that is
    not sent as it was)."""
    values = contact_values(element)
    for field in ("email", "vat", "phone"):
        if not values[field]:
            set_contact_value(element, field, "")
    if not any(values["address"].values()):
        set_contact_value(element, "address", {})
    return element
