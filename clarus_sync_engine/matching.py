"""Match Xero contacts to partners and Xero items to products, saying why.

The preview of the one-time import shows one ``Proposal`` per Xero record:

- ``update``: already bound to a record this import created: refresh it from Xero;
- ``skip``: already bound to a record Odoo had (Odoo's data is kept), or nothing to do;
- ``link``: one existing record matches: bind it, create nothing;
- ``choose``: several records match (or one record matches several Xero records): a
  person picks, nothing is guessed;
- ``create``: nothing matches: a new record.

Evidence, strongest first: contacts by e-mail, then tax number, then name; items by code,
then name. The strongest kind of evidence that finds anything decides; every kind the
chosen record also meets is listed in ``reasons``. Records already bound to another Xero
record are never candidates (a record is bound once per organisation).

Item codes compare exactly (spaces trimmed): document lines carry Odoo's code as the
ItemCode, so a product is the item only if Xero knows it by that very code. For the same
reason a product found by name is a candidate only when it has no code yet (the link
gives it Xero's) or the same code.

Records are plain dicts: partners ``{id, name, email, vat}``, products
``{id, name, default_code}``; Xero records are the raw API dicts.
"""

import re
from collections import namedtuple

from .contacts import name_key

UPDATE, SKIP, LINK, CHOOSE, CREATE = "update", "skip", "link", "choose", "create"
EMAIL, TAX_NUMBER, CODE, NAME, BOUND = "email", "tax_number", "code", "name", "bound"
REASON_LABELS = {EMAIL: "e-mail", TAX_NUMBER: "tax number", CODE: "code", NAME: "name",
                 BOUND: "already bound"}

Proposal = namedtuple("Proposal", "xero_id label action record_id reasons candidate_ids note")
# One bound record: its Odoo id, and whether the import created it.
Bound = namedtuple("Bound", "record_id created")

_TAX_NOISE = re.compile(r"[\s.\-/]")


def email_key(value):
    return str(value or "").strip().casefold()


def tax_key(value):
    """A tax number without spaces, dots, dashes or slashes, upper case: "GB 123-456" and
    "gb123456" are the same number."""
    return _TAX_NOISE.sub("", str(value or "")).upper()


def code_key(value):
    return str(value or "").strip()


CONTACT_EVIDENCE = (
    (EMAIL, lambda c: email_key(c.get("EmailAddress")), lambda p: email_key(p.get("email"))),
    (TAX_NUMBER, lambda c: tax_key(c.get("TaxNumber")), lambda p: tax_key(p.get("vat"))),
    (NAME, lambda c: name_key(c.get("Name")), lambda p: name_key(p.get("name"))),
)
ITEM_EVIDENCE = (
    (CODE, lambda i: code_key(i.get("Code")), lambda p: code_key(p.get("default_code"))),
    (NAME, lambda i: name_key(i.get("Name")), lambda p: name_key(p.get("name"))),
)


def match_contacts(xero_contacts, partners, bound=None):
    """One ``Proposal`` per active Xero contact, in the order given.

    ``bound``: ContactID (any case) -> ``Bound`` for the contacts this organisation
    already has bound."""
    active = [c for c in xero_contacts if (c.get("ContactStatus") or "ACTIVE") == "ACTIVE"]
    return _match(active, partners, bound, "ContactID", "Name", CONTACT_EVIDENCE)


def _same_code_or_none(item, product):
    code = code_key(product.get("default_code"))
    return not code or code == code_key(item.get("Code"))


def match_items(xero_items, products, bound=None):
    """One ``Proposal`` per Xero item; ``bound``: ItemID -> ``Bound``."""
    return _match(xero_items, products, bound, "ItemID", "Code", ITEM_EVIDENCE,
                  label=lambda i: " ".join(p for p in (i.get("Code"), i.get("Name")) if p),
                  compatible=_same_code_or_none)


def _match(xero_records, records, bound, id_field, label_field, evidence, label=None,
           compatible=None):
    bound = {str(k).lower(): v for k, v in (bound or {}).items()}
    taken = {b.record_id for b in bound.values()}
    free = [r for r in records if r["id"] not in taken]
    by_id = {r["id"]: r for r in free}
    indexes = [(kind, xero_key, _index(free, record_key))
               for kind, xero_key, record_key in evidence]
    proposals = []
    for xero in xero_records:
        xero_id = str(xero.get(id_field) or "")
        text = label(xero) if label else xero.get(label_field) or xero_id
        known = bound.get(xero_id.lower())
        if known is not None:
            proposals.append(_bound_proposal(xero_id, text, known))
        else:
            fits = (lambda rid, x=xero: compatible(x, by_id[rid])) if compatible else None
            proposals.append(_evidence_proposal(xero, xero_id, text, indexes, fits))
    return _flag_shared_targets(proposals)


def _index(records, key):
    index = {}
    for record in records:
        value = key(record)
        if value:
            index.setdefault(value, []).append(record["id"])
    return index


def _bound_proposal(xero_id, text, known):
    if known.created:
        return Proposal(xero_id, text, UPDATE, known.record_id, (BOUND,), (), "")
    return Proposal(xero_id, text, SKIP, known.record_id, (BOUND,), (),
                    "Already linked to a record Odoo had; Odoo's data is kept.")


def _evidence_proposal(xero, xero_id, text, indexes, fits=None):
    found = {kind: [rid for rid in index.get(xero_key(xero), []) if not fits or fits(rid)]
             if xero_key(xero) else [] for kind, xero_key, index in indexes}
    for kind, *_rest in indexes:
        ids = found[kind]
        if len(ids) == 1:
            reasons = tuple(k for k, _x, _i in indexes if ids[0] in found[k])
            return Proposal(xero_id, text, LINK, ids[0], reasons, (), "")
        if len(ids) > 1:
            return Proposal(xero_id, text, CHOOSE, None, (kind,), tuple(sorted(ids)),
                            "%d records have the same %s." % (len(ids), REASON_LABELS[kind]))
    return Proposal(xero_id, text, CREATE, None, (), (), "")


def _flag_shared_targets(proposals):
    """A record proposed for two Xero records is bound to neither until a person chooses."""
    claims = {}
    for proposal in proposals:
        if proposal.action == LINK:
            claims.setdefault(proposal.record_id, []).append(proposal)
    shared = {rid for rid, claimants in claims.items() if len(claimants) > 1}
    out = []
    for proposal in proposals:
        if proposal.action == LINK and proposal.record_id in shared:
            others = [p.label for p in claims[proposal.record_id] if p is not proposal]
            proposal = proposal._replace(
                action=CHOOSE, candidate_ids=(proposal.record_id,),
                note="The same record also matches %s." % ", ".join(others))
        out.append(proposal)
    return out


def reasons_text(reasons):
    """``("email", "name")`` -> ``"e-mail, name"`` for the preview."""
    return ", ".join(REASON_LABELS[r] for r in reasons)
