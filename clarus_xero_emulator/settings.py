"""Organisation, Accounts, TaxRates, Currencies and TrackingCategories."""

from .common import (
    Invalid,
    elements_of,
    envelope,
    find_by_id,
    output,
    run_batch,
    single,
    tax_rate,
    touch,
)
from .reads import get_one, list_response
from .seed import CLASS_BY_TYPE, CURRENCY_NAMES, FLAGS, make_account
from .state import new_id

ACCOUNT_TYPES = set(CLASS_BY_TYPE)
STATUSES = ("ACTIVE", "ARCHIVED", "DELETED")


def get_organisation(ctx):
    return envelope(ctx, "Organisations", [dict(ctx.org.organisation)])


# -- Accounts --------------------------------------------------------------------------------
def get_accounts(ctx):
    return list_response(ctx, "Accounts", ctx.data["Accounts"].values(), id_field="AccountID")


def get_account(ctx):
    return envelope(ctx, "Accounts", [output(ctx, get_one(ctx, "Accounts", ctx.args[0]))])


def _save_account(ctx, el, existing=None):
    """Check the whole element first (so a failed request changes nothing), then write."""
    errors = []
    code = str(el.get("Code", existing["Code"] if existing else "") or "")
    name = str(el.get("Name", existing["Name"] if existing else "") or "")
    acc_type = el.get("Type", existing["Type"] if existing else None)
    _check_account_fields(code, name, acc_type, existing, errors)
    _check_account_unique(ctx, code, name, existing, errors)
    tax_type = el.get("TaxType")
    if tax_type and not tax_rate(ctx, tax_type):
        errors.append("The TaxType code '%s' does not exist or cannot be used for this type "
                      "of transaction." % tax_type)
    status = el.get("Status", existing["Status"] if existing else "ACTIVE")
    if status not in STATUSES:
        errors.append("Account Status '%s' is not valid" % status)
    if errors:
        raise Invalid(errors)
    rec = _account_to_write(ctx, existing, code, name, acc_type, tax_type)
    rec["Status"] = status
    for key in ("Description", "BankAccountNumber", "EnablePaymentsToAccount",
                "ShowInExpenseClaims", "CurrencyCode", "ReportingCode", "AddToWatchlist"):
        if key in el and el[key] is not None:
            rec[key] = el[key]
    touch(ctx, rec)
    return rec


def _check_account_fields(code, name, acc_type, existing, errors):
    if not code and existing is None:
        errors.append("Account Code must be specified")
    if len(code) > 10:
        errors.append("Account Code must not be more than 10 characters long")
    if not name:
        errors.append("Account Name must be specified")
    if acc_type not in ACCOUNT_TYPES:
        errors.append("Account Type '%s' is not valid" % acc_type)


def _check_account_unique(ctx, code, name, existing, errors):
    """Code and Name (case-insensitively) are unique among accounts that are not deleted."""
    others = [a for a in ctx.data["Accounts"].values()
              if a is not existing and a["Status"] != "DELETED"]
    if code and any(a["Code"] == code for a in others):
        errors.append("Please enter a unique Code.")
    if name and any(a["Name"].lower() == name.lower() for a in others):
        errors.append("Please enter a unique Name.")


def _account_to_write(ctx, existing, code, name, acc_type, tax_type):
    """A new stored account, or the existing one with its code, name and type updated."""
    if existing is None:
        # No NONE rate in Australian organisations (S29): default to BAS Excluded there.
        untaxed = "NONE" if "NONE" in ctx.data["TaxRates"] else "BASEXCLUDED"
        rec = make_account(ctx.now, code, name, acc_type, tax_type or untaxed, {})
        ctx.data["Accounts"][rec["AccountID"]] = rec
        return rec
    existing.update({"Code": code, "Name": name, "Type": acc_type,
                     "Class": CLASS_BY_TYPE[acc_type]})
    if tax_type:
        existing["TaxType"] = tax_type
    return existing


def put_account(ctx):
    el = elements_of(ctx, "Accounts")[0]
    return single(ctx, "Accounts", el, lambda e: _save_account(ctx, e))


def post_account(ctx):
    existing = get_one(ctx, "Accounts", ctx.args[0])
    el = elements_of(ctx, "Accounts")[0]
    return single(ctx, "Accounts", el, lambda e: _save_account(ctx, e, existing))


# -- Tax rates ---------------------------------------------------------------------------------
def get_tax_rates(ctx):
    return list_response(ctx, "TaxRates", ctx.data["TaxRates"].values())


def _save_tax_rate(ctx, el, update):
    """PUT creates a tax rate and POST updates one; both are found by Name."""
    errors = []
    name = str(el.get("Name") or "")
    existing = next((t for t in ctx.data["TaxRates"].values()
                     if t["Name"].lower() == name.lower()), None)
    _check_tax_rate_name(name, existing, update, errors)
    comps = _checked_tax_components(el, existing, errors)
    status = el.get("Status") or (existing or {}).get("Status", "ACTIVE")
    if status not in ("ACTIVE", "DELETED", "ARCHIVED"):
        errors.append("Tax rate Status '%s' is not valid" % status)
    if errors:
        raise Invalid(errors)
    rec = existing if existing is not None else _new_tax_rate(ctx, el, name)
    rate = round(sum(c["Rate"] for c in comps), 4)
    rec.update({"TaxComponents": comps, "Status": status, "DisplayTaxRate": rate,
                "EffectiveRate": rate})
    return rec


def _check_tax_rate_name(name, existing, update, errors):
    if not name:
        errors.append("Tax rate Name must be specified")
    elif update and existing is None:
        errors.append("The tax rate '%s' could not be found" % name)
    elif not update and existing is not None:
        errors.append("The tax rate name '%s' is already in use" % name)


def _checked_tax_components(el, existing, errors):
    """The components sent (else the stored ones), normalised; at least one is required."""
    components = el.get("TaxComponents")
    if components is None and existing is not None:
        components = existing["TaxComponents"]
    if not components:
        errors.append("At least one TaxComponent must be specified")
    comps = []
    for comp in components or []:
        try:
            comps.append({"Name": str(comp.get("Name") or "Tax"), "Rate": float(comp["Rate"]),
                          "IsCompound": bool(comp.get("IsCompound")),
                          "IsNonRecoverable": bool(comp.get("IsNonRecoverable"))})
        except (KeyError, TypeError, ValueError):
            errors.append("Each TaxComponent needs a numeric Rate")
    return comps


def _new_tax_rate(ctx, el, name):
    """Store a new rate under the next TaxType code of this organisation (TAX001, ...)."""
    ctx.org.counters["TAX"] += 1
    tax_type = "TAX%03d" % ctx.org.counters["TAX"]
    rec = {"Name": name, "TaxType": tax_type,
           "ReportTaxType": el.get("ReportTaxType") or "OUTPUT"}
    rec.update({flag: True for flag in FLAGS})
    ctx.data["TaxRates"][tax_type] = rec
    return rec


def put_tax_rates(ctx):
    return run_batch(ctx, "TaxRates", elements_of(ctx, "TaxRates"),
                     lambda e: _save_tax_rate(ctx, e, update=False))


def post_tax_rates(ctx):
    return run_batch(ctx, "TaxRates", elements_of(ctx, "TaxRates"),
                     lambda e: _save_tax_rate(ctx, e, update=True))


# -- Currencies --------------------------------------------------------------------------------
def get_currencies(ctx):
    return list_response(ctx, "Currencies", ctx.data["Currencies"].values())


def put_currency(ctx):
    def save(el):
        code = str(el.get("Code") or "").upper()
        if len(code) != 3 or not code.isalpha():
            raise Invalid(["Currency Code '%s' is not valid" % code])
        rec = ctx.data["Currencies"].setdefault(
            code, {"Code": code, "Description": CURRENCY_NAMES.get(code, code)})
        return rec

    return single(ctx, "Currencies", elements_of(ctx, "Currencies")[0], save)


# -- Tracking categories -----------------------------------------------------------------------
def get_tracking_categories(ctx):
    return list_response(ctx, "TrackingCategories", ctx.data["TrackingCategories"].values(),
                         id_field="TrackingCategoryID", archived=("Status", "ARCHIVED"))


def get_tracking_category(ctx):
    rec = get_one(ctx, "TrackingCategories", ctx.args[0])
    return envelope(ctx, "TrackingCategories", [output(ctx, rec)])


def put_tracking_category(ctx):
    def save(el):
        name = str(el.get("Name") or "").strip()
        cats = ctx.data["TrackingCategories"].values()
        errors = []
        if not name or len(name) > 100:
            errors.append("Tracking category Name must be 1 to 100 characters long")
        if any(c["Name"].lower() == name.lower() and c["Status"] != "DELETED" for c in cats):
            errors.append("A tracking category with the name '%s' already exists" % name)
        if sum(1 for c in cats if c["Status"] == "ACTIVE") >= 2:
            errors.append("You can only have 2 active tracking categories")
        if len(cats) >= 4:
            errors.append("You can only have 4 tracking categories")
        if errors:
            raise Invalid(errors)
        cat_id = new_id()
        rec = {"TrackingCategoryID": cat_id, "Name": name, "Status": "ACTIVE", "Options": []}
        ctx.data["TrackingCategories"][cat_id] = rec
        return rec

    return single(ctx, "TrackingCategories", elements_of(ctx, "TrackingCategories")[0], save)


def put_tracking_options(ctx):
    cat = get_one(ctx, "TrackingCategories", ctx.args[0])
    elements = elements_of(ctx, "Options")
    created = []

    def save(el):
        name = str(el.get("Name") or "").strip()
        if not name or len(name) > 100:
            raise Invalid(["Tracking option Name must be 1 to 100 characters long"])
        if any(o["Name"].lower() == name.lower() for o in cat["Options"]):
            raise Invalid(["A tracking option with the name '%s' already exists" % name])
        opt = {"TrackingOptionID": new_id(), "Name": name, "Status": "ACTIVE"}
        cat["Options"].append(opt)
        created.append(opt)
        return dict(opt, TrackingCategoryID=cat["TrackingCategoryID"])

    return run_batch(ctx, "Options", elements, save)


def find_option(ctx, cat_ref, opt_ref):
    """Resolve a line's tracking reference -> (category, option) or (None, None)."""
    cat = find_by_id(ctx, "TrackingCategories", cat_ref) if cat_ref else None
    if cat is None and cat_ref:
        cat = next((c for c in ctx.data["TrackingCategories"].values()
                    if c["Name"].lower() == str(cat_ref).lower()), None)
    if cat is None or cat["Status"] != "ACTIVE":
        return None, None
    low = str(opt_ref or "").lower()
    opt = next((o for o in cat["Options"] if o["TrackingOptionID"].lower() == low
                or o["Name"].lower() == low), None)
    return cat, opt
