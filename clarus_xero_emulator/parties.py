"""Contacts and Items."""

from .common import (
    Invalid,
    account_by_code,
    elements_of,
    envelope,
    find_by_id,
    item_by_code,
    output,
    removed_account_message,
    run_batch,
    tax_rate,
    touch,
)
from .msjson import dec, num, q
from .reads import get_one, list_response
from .rules import EMAIL_INVALID, contact_name_key, email_valid
from .state import new_id

CONTACT_STATUSES = ("ACTIVE", "ARCHIVED", "GDPRREQUEST")
CONTACT_READONLY = {"ContactID", "IsCustomer", "IsSupplier", "UpdatedDateUTC", "HasAttachments",
                    "HasValidationErrors", "ValidationErrors", "StatusAttributeString",
                    "Balances", "Attachments", "MergedToContactID"}


# -- Contacts ----------------------------------------------------------------------------------
def name_taken_message(name):
    return ("The contact name %s is already assigned to another contact. The contact name must "
            "be unique across all active contacts." % name)


def active_contact_named(ctx, name, exclude=None):
    """The ACTIVE contact whose name equals ``name`` ignoring case and whitespace runs (S26)."""
    key = contact_name_key(name)
    return next((c for c in ctx.data["Contacts"].values() if c is not exclude
                 and c["ContactStatus"] == "ACTIVE" and contact_name_key(c["Name"]) == key),
                None)


def _validate_contact(ctx, el, existing):
    errors = []
    name = el.get("Name", existing["Name"] if existing else None)
    status = el.get("ContactStatus") or (existing or {}).get("ContactStatus", "ACTIVE")
    number = el.get("ContactNumber", (existing or {}).get("ContactNumber"))
    if not name or not str(name).strip():
        errors.append("The contact name must be provided.")
    elif len(str(name)) > 255:
        errors.append("The contact name must not be more than 255 characters long.")
    elif status == "ACTIVE" and active_contact_named(ctx, str(name), exclude=existing):
        errors.append(name_taken_message(name))
    if status not in CONTACT_STATUSES:
        errors.append("ContactStatus '%s' is not valid" % status)
    if number:
        if len(str(number)) > 50:
            errors.append("The ContactNumber must not be more than 50 characters long.")
        clash = next((c for c in ctx.data["Contacts"].values()
                      if c is not existing and c.get("ContactNumber") == number), None)
        if clash:
            errors.append("The contact number %s is already assigned to another contact." % number)
    email = el.get("EmailAddress")
    if email and len(str(email)) > 255:
        errors.append("The email address must not be more than 255 characters long.")
    elif email and not email_valid(email):
        # S27: one valid address when sent; no lists, no junk (wording chosen, rules.py).
        errors.append(EMAIL_INVALID)
    if errors:
        raise Invalid(errors)


def _apply_contact(ctx, el, existing):
    if existing is None:
        existing = {"ContactID": new_id(), "ContactStatus": "ACTIVE", "Name": "",
                    "IsSupplier": False, "IsCustomer": False, "HasAttachments": False,
                    "HasValidationErrors": False, "Addresses": [], "Phones": [],
                    "ContactGroups": [], "ContactPersons": []}
        ctx.data["Contacts"][existing["ContactID"]] = existing
    for key, value in el.items():
        if key not in CONTACT_READONLY and value is not None:
            existing[key] = value
    touch(ctx, existing)
    return existing


def save_contact(ctx, el, existing=None, upsert=False):
    """PUT creates (a name clash is refused); POST without ContactID UPDATES the contact it
    matches by ContactNumber or by Name, normalised as for uniqueness (S26)."""
    if existing is None and upsert:
        if el.get("ContactID"):
            existing = find_by_id(ctx, "Contacts", el["ContactID"])
            if existing is None:
                raise Invalid(["The contact with ID %s could not be found." % el["ContactID"]])
        elif el.get("ContactNumber"):
            existing = next((c for c in ctx.data["Contacts"].values()
                             if c.get("ContactNumber") == el["ContactNumber"]), None)
        if existing is None and el.get("Name"):
            existing = active_contact_named(ctx, str(el["Name"]))
    _validate_contact(ctx, el, existing)
    created = existing is None
    contact = _apply_contact(ctx, el, existing)
    fields = sorted(k for k, v in el.items() if k not in CONTACT_READONLY and v is not None)
    ctx.org.add_history("Contacts", contact["ContactID"], "Created" if created else "Updated",
                        "Contact %s %s: %s" % (contact["Name"], "created" if created
                                               else "updated", ", ".join(fields)), ctx.now)
    return contact


def get_contact_history(ctx):
    """GET /Contacts/{id}/History: creations, updates and merges, oldest first."""
    rec = get_one(ctx, "Contacts", ctx.args[0])
    records = [dict(h) for h in ctx.org.history.get(("Contacts", rec["ContactID"]), [])]
    return envelope(ctx, "HistoryRecords", records)


def get_contacts(ctx):
    return list_response(ctx, "Contacts", ctx.data["Contacts"].values(), paged=True,
                         id_field="ContactID", archived=("ContactStatus", "ARCHIVED"))


def get_contact(ctx):
    rec = get_one(ctx, "Contacts", ctx.args[0], "ContactNumber")
    return envelope(ctx, "Contacts", [output(ctx, rec)])


def put_contacts(ctx):
    return run_batch(ctx, "Contacts", elements_of(ctx, "Contacts"),
                     lambda e: save_contact(ctx, e), "HasValidationErrors")


def post_contacts(ctx):
    return run_batch(ctx, "Contacts", elements_of(ctx, "Contacts"),
                     lambda e: save_contact(ctx, e, upsert=True), "HasValidationErrors")


def post_contact(ctx):
    rec = get_one(ctx, "Contacts", ctx.args[0])
    return run_batch(ctx, "Contacts", elements_of(ctx, "Contacts")[:1],
                     lambda e: save_contact(ctx, e, existing=rec), "HasValidationErrors")


# -- Items -------------------------------------------------------------------------------------
def _details(ctx, el, key, errors, unitdp, sales):
    raw = el.get(key)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.append("%s must be an object" % key)
        return None
    out = {}
    if raw.get("UnitPrice") is not None:
        try:
            out["UnitPrice"] = num(q(dec(raw["UnitPrice"]), unitdp))
        except ValueError:
            errors.append("%s.UnitPrice must be a number" % key)
    if raw.get("AccountCode"):
        if not account_by_code(ctx, raw["AccountCode"]):
            errors.append(removed_account_message(raw["AccountCode"]))
        out["AccountCode"] = str(raw["AccountCode"])
    if not sales and raw.get("COGSAccountCode"):
        if not account_by_code(ctx, raw["COGSAccountCode"]):
            errors.append(removed_account_message(raw["COGSAccountCode"]))
        out["COGSAccountCode"] = str(raw["COGSAccountCode"])
    if raw.get("TaxType"):
        if not tax_rate(ctx, raw["TaxType"]):
            errors.append("The TaxType code '%s' does not exist or cannot be used for this type "
                          "of transaction." % raw["TaxType"])
        out["TaxType"] = raw["TaxType"]
    return out


def save_item(ctx, el, existing=None, upsert=False):
    """Check the whole element first (so a failed request changes nothing), then write."""
    if existing is None and upsert:
        existing = _item_to_upsert(ctx, el)
    errors = []
    code = _checked_item_code(ctx, el, existing, errors)
    name = _checked_item_texts(el, existing, errors)
    unitdp = ctx.unitdp
    sales = _details(ctx, el, "SalesDetails", errors, unitdp, True)
    purchase = _details(ctx, el, "PurchaseDetails", errors, unitdp, False)
    inv_code = el.get("InventoryAssetAccountCode",
                      (existing or {}).get("InventoryAssetAccountCode"))
    if purchase is None and existing is not None:
        purchase = existing.get("PurchaseDetails")
    if el.get("IsPurchased") is False:
        # Spec Item.IsPurchased: set to false, PurchaseDetails and PurchaseDescription are
        # nulled, so a tracked item loses the COGS account it needs (refused below).
        purchase = None
    _check_inventory_tracking(ctx, el, existing, inv_code, purchase, errors)
    if errors:
        raise Invalid(errors)
    item = existing if existing is not None else _new_item(ctx)
    _write_item_fields(item, el, code, name, sales, purchase)
    _write_inventory_tracking(item, inv_code)
    touch(ctx, item)
    return item


def _item_to_upsert(ctx, el):
    """The item a POST updates: by ItemID (which must exist), else by Code, else none."""
    if el.get("ItemID"):
        existing = find_by_id(ctx, "Items", el["ItemID"])
        if existing is None:
            raise Invalid(["Item with ItemID %s could not be found." % el["ItemID"]])
        return existing
    if el.get("Code"):
        return item_by_code(ctx, el["Code"])
    return None


def _checked_item_code(ctx, el, existing, errors):
    code = str(el.get("Code", (existing or {}).get("Code")) or "")
    if not code:
        errors.append("Item Code must be specified.")
    elif len(code) > 30:
        errors.append("The Code must not be more than 30 characters long.")
    else:
        clash = item_by_code(ctx, code)
        if clash is not None and clash is not existing:
            errors.append("Price List Item with Code '%s' already exists" % code)
    return code


def _checked_item_texts(el, existing, errors):
    """Check the Name and description lengths; returns the Name to keep."""
    name = el.get("Name", (existing or {}).get("Name"))
    if name and len(str(name)) > 50:
        errors.append("The Name must not be more than 50 characters long.")
    for key in ("Description", "PurchaseDescription"):
        if el.get(key) and len(str(el[key])) > 4000:
            errors.append("The %s must not be more than 4000 characters long." % key)
    return name


def _check_inventory_tracking(ctx, el, existing, inv_code, purchase, errors):
    """A tracked item needs an INVENTORY asset account and a COGS account; stock pins it."""
    if inv_code:
        acc = account_by_code(ctx, inv_code)
        if acc is None:
            errors.append(removed_account_message(inv_code))
        elif acc["Type"] != "INVENTORY":
            errors.append("The InventoryAssetAccountCode must be an account of type INVENTORY.")
        # Spec Item.InventoryAssetAccountCode: "The COGSAccountCode in PurchaseDetails is
        # also required to create a tracked item" (wording of both messages chosen).
        if el.get("IsPurchased") is False:
            errors.append("A tracked inventory item must be purchased: IsPurchased cannot be "
                          "false while InventoryAssetAccountCode is set.")
        elif not (purchase or {}).get("COGSAccountCode"):
            errors.append("A COGSAccountCode must be specified in PurchaseDetails for a tracked "
                          "inventory item.")
    if existing and existing.get("IsTrackedAsInventory") and "InventoryAssetAccountCode" in el \
            and not inv_code and existing.get("QuantityOnHand"):
        errors.append("This item is tracked and has stock; it cannot be made untracked.")


def _new_item(ctx):
    item = {"ItemID": new_id(), "QuantityOnHand": 0.0, "TotalCostPool": 0.0,
            "IsSold": False, "IsPurchased": False}
    ctx.data["Items"][item["ItemID"]] = item
    return item


def _write_item_fields(item, el, code, name, sales, purchase):
    item["Code"] = code
    if name is not None:
        item["Name"] = name
    for key in ("Description", "PurchaseDescription"):
        if el.get(key) is not None:
            item[key] = el[key]
    # Sending details marks the item sold/purchased unless the flags are sent explicitly.
    if sales is not None:
        item["SalesDetails"] = sales
        item["IsSold"] = True
    if purchase is not None:
        item["PurchaseDetails"] = purchase
        item["IsPurchased"] = True
    for key in ("IsSold", "IsPurchased"):
        if el.get(key) is not None:
            item[key] = bool(el[key])
    # Spec Item.IsSold / Item.IsPurchased: updated to false, the details are nulled.
    if el.get("IsSold") is False:
        item.pop("SalesDetails", None)
        item.pop("Description", None)
    if el.get("IsPurchased") is False:
        item.pop("PurchaseDetails", None)
        item.pop("PurchaseDescription", None)


def _write_inventory_tracking(item, inv_code):
    """An asset account makes the item tracked; untracking clears its stock and cost pool."""
    tracked = bool(inv_code)
    item["IsTrackedAsInventory"] = tracked
    if tracked:
        item["InventoryAssetAccountCode"] = inv_code
    else:
        item.pop("InventoryAssetAccountCode", None)
        item["QuantityOnHand"] = 0.0
        item["TotalCostPool"] = 0.0


def get_items(ctx):
    return list_response(ctx, "Items", ctx.data["Items"].values(), id_field="ItemID")


def get_item(ctx):
    return envelope(ctx, "Items", [output(ctx, get_one(ctx, "Items", ctx.args[0], "Code"))])


def put_items(ctx):
    return run_batch(ctx, "Items", elements_of(ctx, "Items"), lambda e: save_item(ctx, e))


def post_items(ctx):
    return run_batch(ctx, "Items", elements_of(ctx, "Items"),
                     lambda e: save_item(ctx, e, upsert=True))


def post_item(ctx):
    rec = get_one(ctx, "Items", ctx.args[0], "Code")
    return run_batch(ctx, "Items", elements_of(ctx, "Items")[:1],
                     lambda e: save_item(ctx, e, existing=rec))
