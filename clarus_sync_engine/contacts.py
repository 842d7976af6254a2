"""Find the Xero contact for an Odoo partner, and make contact names unique.

``partner`` is ``{ref, name, email}``; Xero contacts are the raw Xero JSON dicts
(``ContactID``, ``ContactNumber``, ``EmailAddress``, ``Name``, ``ContactStatus``).
"""

NAME_MAX = 255


def _active(contacts):
    # Archived contacts cannot be used on new documents, so never bind to one.
    return [c for c in contacts if (c.get("ContactStatus") or "ACTIVE") == "ACTIVE"]


def _norm(text):
    return " ".join(str(text or "").split()).casefold()


def match_contact(partner, xero_contacts):
    """The Xero contact for ``partner``, or None.

    Tried in order: ``ContactNumber`` equal to the partner reference (set by us, so it
    is proof); then email, case-insensitive, only when exactly one contact has it (a
    shared ``accounts@`` address proves nothing); then the exact name (Xero keeps
    active names unique).
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
    name = (partner.get("name") or "").strip()
    if name:
        for contact in contacts:
            if (contact.get("Name") or "").strip() == name:
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


def resolve_contacts(elements, by_number, by_email, by_name):
    """Decide, for contact payloads about to be sent, which are already in Xero.

    ``elements`` are ``mapping.contact_payload`` dicts; ``by_*`` map a ContactNumber,
    an email or a name to the raw Xero contact found for it (archived ones included).
    Returns ``{ContactNumber: Xero contact}`` for the partners Xero already holds,
    including an archived one, which the caller must report rather than use. A
    same-named contact that is somebody else (another code or email) leaves ours to be
    created under a readable, deterministic name: ``elements`` are renamed in place.
    """
    found = {}
    for element in elements:
        number = element.get("ContactNumber")
        candidates = [c for c in (by_number.get(number), by_email.get(
            element.get("EmailAddress")), by_name.get(element["Name"])) if c]
        partner = {"ref": number, "name": element["Name"], "email": element.get("EmailAddress")}
        match = match_contact(partner, candidates)
        ours = by_number.get(number)
        if ours and ours.get("ContactStatus") == "ARCHIVED" and not match:
            found[number] = ours
        elif match and not _is_someone_else(match, partner):
            found[number] = match
        elif element["Name"] in by_name:
            element["Name"] = disambiguate_name(element["Name"], [element["Name"]], number)
    return found
