"""Find the Xero contact for an Odoo partner, and make contact names unique.

``partner`` is ``{ref, name, email}``; Xero contacts are the raw Xero JSON dicts
(``ContactID``, ``ContactNumber``, ``EmailAddress``, ``Name``, ``ContactStatus``).
"""

import re

NAME_MAX = 255
EMAIL_MAX = 255
# One address: local part, "@", a domain with at least one dot; no spaces, no commas.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_ANGLE = re.compile(r"^[^<>]*<([^<>]+)>$")


def _active(contacts):
    # Archived contacts cannot be used on new documents, so never bind to one.
    return [c for c in contacts if (c.get("ContactStatus") or "ACTIVE") == "ACTIVE"]


def name_key(text):
    """A contact name as Xero compares it: case ignored, spaces trimmed and collapsed.

    Xero keeps names unique among active contacts without regard to case (XERO_API §8),
    so ``" ACME  ltd "`` and ``"Acme Ltd"`` are the same name to it.
    """
    return " ".join(str(text or "").split()).casefold()


_norm = name_key


def match_contact(partner, xero_contacts):
    """The Xero contact for ``partner``, or None.

    Tried in order: ``ContactNumber`` equal to the partner reference (set by us, so it
    is proof); then email, case-insensitive, only when exactly one contact has it (a
    shared ``accounts@`` address proves nothing); then the name as Xero compares it
    (``name_key``: case and spacing ignored; Xero keeps active names unique).
    """
    contacts = sorted(_active(xero_contacts), key=lambda c: str(c.get("ContactID") or ""))
    ref = (partner.get("ref") or "").strip()
    if ref:
        for contact in contacts:
            if (contact.get("ContactNumber") or "").strip() == ref:
                return contact
    email = _norm(partner.get("email"))
    if email:
        same_email = [c for c in contacts if _norm(c.get("EmailAddress")) == email]
        if len(same_email) == 1:
            return same_email[0]
    name = name_key(partner.get("name"))
    if name:
        for contact in contacts:
            if name_key(contact.get("Name")) == name:
                return contact
    return None


def _with_suffix(name, suffix):
    room = NAME_MAX - len(suffix)
    return name[:room].rstrip() + suffix


def disambiguate_name(name, taken_names, partner_ref):
    """``name`` if free, else ``"Name (REF)"``, ``"Name (REF-2)"``... within 255 characters.

    Comparison ignores case and repeated spaces, as Xero's uniqueness check does for
    practical purposes. Without a reference the suffixes are ``(2)``, ``(3)``...
    """
    name = " ".join(str(name or "").split())[:NAME_MAX]
    taken = {_norm(n) for n in taken_names}
    if _norm(name) not in taken:
        return name
    ref = " ".join(str(partner_ref or "").split())
    counter = 1
    while True:
        if ref:
            suffix = " (%s)" % ref if counter == 1 else " (%s-%d)" % (ref, counter)
        else:
            suffix = " (%d)" % (counter + 1)
        candidate = _with_suffix(name, suffix[:NAME_MAX])
        if _norm(candidate) not in taken:
            return candidate
        counter += 1


def _is_someone_else(contact, partner):
    """A name-only match that carries another contact code or another email."""
    if _norm(contact.get("ContactNumber")) == _norm(partner["ref"]):
        return False
    if partner.get("email") and _norm(contact.get("EmailAddress")) == _norm(partner["email"]):
        return False
    return bool(contact.get("ContactNumber") or contact.get("EmailAddress"))


def _by_name_key(by_name):
    return {name_key(name): contact for name, contact in (by_name or {}).items()}


def resolve_contacts(elements, by_number, by_email, by_name):
    """Decide, for contact payloads about to be sent, which are already in Xero.

    ``elements`` are ``mapping.contact_payload`` dicts; ``by_*`` map a ContactNumber,
    an email or a name to the raw Xero contact found for it (archived ones included);
    names and emails are compared as Xero compares them (``name_key``).
    Returns ``{ContactNumber: Xero contact}`` for the partners Xero already holds,
    including an archived one, which the caller must report rather than use.

    The elements left to create are renamed in place so that Xero's unique-name rule
    (case-insensitive, among active contacts) cannot refuse them: a name that a
    different Xero contact holds, or that an earlier element of the same batch already
    uses, becomes ``"Name (REF)"`` (``disambiguate_name``) before sending. Deterministic:
    the same batch always gets the same names.
    """
    by_name, by_email = _by_name_key(by_name), _by_name_key(by_email)
    found, to_create = {}, []
    for element in elements:
        number = element.get("ContactNumber")
        candidates = [c for c in (by_number.get(number), by_email.get(name_key(
            element.get("EmailAddress"))), by_name.get(name_key(element["Name"]))) if c]
        partner = {"ref": number, "name": element["Name"], "email": element.get("EmailAddress")}
        match = match_contact(partner, candidates)
        ours = by_number.get(number)
        if ours and ours.get("ContactStatus") == "ARCHIVED" and not match:
            found[number] = ours
        elif match and not _is_someone_else(match, partner):
            found[number] = match
        else:
            to_create.append(element)
    taken = [c.get("Name") for c in [*by_name.values(), *found.values()]
             if (c.get("ContactStatus") or "ACTIVE") == "ACTIVE"]
    for element in to_create:
        element["Name"] = disambiguate_name(element["Name"], taken, element.get("ContactNumber"))
        taken.append(element["Name"])
    return found


def email_to_send(raw):
    """``(address, reason)``: the one e-mail address to send Xero, or ``(None, reason)``.

    Xero rule: ``EmailAddress`` must be one valid address of at most 255 characters
    (XERO_API §4, §8); a list ("a@x.com, b@y.com") or junk makes Xero refuse the whole
    contact. ``"Name <a@x.com>"`` gives ``a@x.com``. No address at all is not a problem:
    ``(None, "")``. ``reason`` is a sentence for the user when Odoo's value is not sent.
    """
    text = " ".join(str(raw or "").split())
    if not text:
        return None, ""
    angle = _ANGLE.match(text)
    candidate = angle.group(1).strip() if angle else text
    if candidate.count("@") > 1:
        return None, ("The e-mail field holds several addresses (%s); Xero takes one. Keep "
                      "one address on the contact; it was sent without an e-mail." % text)
    if len(candidate) > EMAIL_MAX or not _EMAIL.match(candidate):
        return None, ("%r is not a valid e-mail address; the contact was sent to Xero "
                      "without one." % text)
    return candidate, ""
