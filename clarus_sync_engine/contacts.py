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
