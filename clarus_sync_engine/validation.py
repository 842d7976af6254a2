"""Checks before sending, in words a finance user understands (never a traceback).

``known`` describes the Xero organisation, as read by ``XeroGateway.get_reference_data``
and reduced to plain sets (each key optional; a missing key skips that check)::

    {"currencies": {"NZD", "USD"},        # enabled currency codes
     "account_codes": {"200", "400"},     # active account codes
     "tax_types": {"OUTPUT2", "NONE"},    # active tax types
     "tax_rates": {"OUTPUT2": Decimal("15")},
     "item_codes": {"WIDGET"},
     "tracking": {"Region": {"North", "South"}},
     "accounts": {"200": {...}},          # raw GET /Accounts dicts by Code
     "tax_rate_records": {"OUTPUT2": {...}},  # raw GET /TaxRates dicts by TaxType
     "organisation": {...}}               # raw GET /Organisation dict (lock dates)

With ``accounts`` and ``tax_rate_records`` each line's tax rate is checked against its
account (``taxes.tax_rate_fits``); with ``organisation`` the document date against the
lock dates (``guards.lock_date_check``).
"""

from .guards import lock_date_check
from .taxes import tax_rate_fits
from .totals import totals_match, xero_totals

ITEM_CODE_MAX = 30
ITEM_NAME_MAX = 50
TRACKING_MAX = 2
NUMBER_MAX = 255
DELIVERY_INSTRUCTIONS_MAX = 500


def _line_label(index, line):
    name = line.get("Description") or line.get("ItemCode") or ""
    name = name if len(name) <= 40 else name[:39] + "\u2026"
    return "Line %d (%s)" % (index, name) if name else "Line %d" % index


def _check_account(label, code, known, problems):
    if not code:
        problems.append("%s has no Xero account. Map its income or expense account to a Xero "
                        "account code in the Xero settings." % label)
    elif "account_codes" in known and code not in known["account_codes"]:
        problems.append("%s uses account code %s, which does not exist or is archived in Xero."
                        % (label, code))


def _check_tax(label, line, amount_types, known, problems):
    tax_type = line.get("TaxType")
    if amount_types == "NoTax":
        return
    if not tax_type:
        problems.append("%s has no Xero tax rate. Map its tax to a Xero tax rate in the Xero "
                        "settings." % label)
    elif "tax_types" in known and tax_type not in known["tax_types"]:
        problems.append("%s uses tax rate %s, which does not exist or is not active in Xero."
                        % (label, tax_type))


def _check_item_code(label, code, known, problems):
    if not code:
        return
    if len(code) > ITEM_CODE_MAX:
        problems.append("%s: the product reference %r is %d characters long; Xero item codes "
                        "allow at most %d. Shorten the internal reference."
                        % (label, code, len(code), ITEM_CODE_MAX))
    elif "item_codes" in known and code not in known["item_codes"]:
        problems.append("%s: product %s is not in Xero yet; it will be sent first."
                        % (label, code))


def _check_tracking(label, tracking, known, problems):
    if len(tracking) > TRACKING_MAX:
        problems.append("%s has %d tracking categories; Xero allows at most %d."
                        % (label, len(tracking), TRACKING_MAX))
    categories = known.get("tracking")
    if categories is None:
        return
    for entry in tracking:
        name, option = entry.get("Name"), entry.get("Option")
        if name not in categories:
            problems.append("%s: tracking category %r does not exist in Xero." % (label, name))
        elif option not in categories[name]:
            problems.append("%s: %r is not an option of tracking category %r in Xero."
                            % (label, option, name))


def _check_fit(label, line, known, problems):
    """Xero rule: a tax rate only codes accounts of the classes it applies to."""
    account = (known.get("accounts") or {}).get(line.get("AccountCode"))
    rate = (known.get("tax_rate_records") or {}).get(line.get("TaxType"))
    if account and rate:
        ok, reason = tax_rate_fits(rate, account)
        if not ok:
            problems.append("%s: %s Map the tax or the account to a pair Xero accepts."
                            % (label, reason))


def _check_discount(label, line, problems):
    """Xero rule: discounts only on ACCREC invoices (spec LineItem.DiscountRate)."""
    if line.get("DiscountRate") or line.get("DiscountAmount"):
        problems.append("%s has a discount; Xero takes discounts on customer invoices only. "
                        "Send the unit price net of the discount." % label)


def _check_number(payload, problems):
    """Spec Invoice.InvoiceNumber: at most 255 characters (the same cap is kept for the
    other document numbers)."""
    for field, what in (("InvoiceNumber", "number"), ("CreditNoteNumber", "number"),
                        ("PurchaseOrderNumber", "order number")):
        number = str(payload.get(field) or "")
        if len(number) > NUMBER_MAX:
            problems.append("The %s %r is %d characters long; Xero allows at most %d."
                            % (what, number[:40] + "\u2026", len(number), NUMBER_MAX))


def _check_header(payload, known, problems, who="customer or supplier"):
    if not (payload.get("Contact") or {}).get("ContactID"):
        problems.append("The %s is not in Xero yet; it must be sent first." % who)
    currency = payload.get("CurrencyCode")
    if currency and "currencies" in known and currency not in known["currencies"]:
        problems.append("Currency %s is not enabled in the Xero organisation. Add it in Xero "
                        "(Settings > Currencies) or invoice in an enabled currency." % currency)
    if not payload.get("Date"):
        problems.append("The document has no date.")
    elif known.get("organisation"):
        lock = lock_date_check(known["organisation"], payload["Date"])
        if lock.locked:
            problems.append(lock.message)


def validate_invoice(payload, known, expected_total=None):
    """Problems with an invoice or credit note payload, as a list of sentences ([] = fine).

    ``expected_total`` (Odoo's total) adds a check that Xero will compute the same total,
    when ``known`` has ``tax_rates``.
    """
    problems = []
    _check_header(payload, known, problems)
    _check_number(payload, problems)
    lines = payload.get("LineItems") or []
    if not lines:
        problems.append("The document has no lines; Xero needs at least one.")
    amount_types = payload.get("LineAmountTypes") or "Exclusive"
    discounts_ok = payload.get("Type") in (None, "ACCREC")
    for index, line in enumerate(lines, start=1):
        label = _line_label(index, line)
        _check_account(label, line.get("AccountCode"), known, problems)
        _check_tax(label, line, amount_types, known, problems)
        _check_fit(label, line, known, problems)
        _check_item_code(label, line.get("ItemCode"), known, problems)
        _check_tracking(label, line.get("Tracking") or [], known, problems)
        if not discounts_ok:
            _check_discount(label, line, problems)
    if expected_total is not None and "tax_rates" in known and lines:
        computed = xero_totals(payload, known["tax_rates"])["total"]
        if not totals_match(expected_total, computed):
            problems.append("Xero would compute a total of %s instead of %s. Configure a "
                            "rounding account, or check unit prices with more than 4 decimals."
                            % (computed, expected_total))
    return problems


def validate_item(payload, known):
    """Problems with an item payload, as a list of sentences ([] = fine)."""
    problems = []
    code = payload.get("Code") or ""
    if not code:
        problems.append("The product has no internal reference; Xero needs an item code.")
    elif len(code) > ITEM_CODE_MAX:
        problems.append("The internal reference %r is %d characters long; Xero item codes "
                        "allow at most %d. Shorten the product's internal reference, then "
                        "retry." % (code, len(code), ITEM_CODE_MAX))
    for section in ("SalesDetails", "PurchaseDetails"):
        details = payload.get(section) or {}
        code_key = "COGSAccountCode" if "COGSAccountCode" in details else "AccountCode"
        if section in payload:
            label = "Sales" if section == "SalesDetails" else "Purchases"
            _check_account("%s of this product" % label, details.get(code_key), known, problems)
    inventory = payload.get("InventoryAssetAccountCode")
    if "InventoryAssetAccountCode" in payload:
        _check_account("The stock valuation", inventory, known, problems)
        _check_tracked_purchase(payload, problems)
    return problems


def _check_tracked_purchase(payload, problems):
    """Xero rule: a tracked item must be purchasable with ``PurchaseDetails.COGSAccountCode``
    (``IsPurchased`` false nulls PurchaseDetails; XERO_API §8)."""
    details = payload.get("PurchaseDetails") or {}
    if not payload.get("IsPurchased") or not details.get("COGSAccountCode"):
        problems.append("This product is tracked as inventory in Xero, which needs a cost of "
                        "goods sold account for its purchases. Set the COGS account in the "
                        "Xero settings.")


def validate_purchase_order(payload, known):
    """Problems with a purchase order payload, as a list of sentences ([] = fine).

    The supplier must be in Xero, the order needs a line, DeliveryInstructions at most
    500 characters (spec), item codes at most 30, no discounts; each line needs a known
    account and tax rate that fit each other, tracking and currency as for invoices.
    Purchase orders post no journal, so lock dates do not apply.

    Status rules (XERO_API §4; the emulator's strict reading): Xero creates an order
    DRAFT, SUBMITTED or AUTHORISED only, so a BILLED or DELETED order must already be in
    Xero (``PurchaseOrderID``). A delete payload (``mapping.purchase_order_delete_payload``)
    carries nothing else to check.
    """
    problems = []
    status = payload.get("Status")
    if status in ("BILLED", "DELETED") and not payload.get("PurchaseOrderID"):
        if status == "DELETED":
            problems.append("This purchase order was never sent to Xero: there is nothing "
                            "to delete there.")
        else:
            problems.append("Xero creates no purchase order as BILLED: the order must be "
                            "sent as AUTHORISED first.")
        return problems
    if status == "DELETED" and "LineItems" not in payload:
        return problems
    _check_header(payload, {k: v for k, v in known.items() if k != "organisation"},
                  problems, who="supplier")
    _check_number(payload, problems)
    instructions = str(payload.get("DeliveryInstructions") or "")
    if len(instructions) > DELIVERY_INSTRUCTIONS_MAX:
        problems.append("The delivery instructions are %d characters long; Xero allows at "
                        "most %d." % (len(instructions), DELIVERY_INSTRUCTIONS_MAX))
    lines = payload.get("LineItems") or []
    if not lines:
        problems.append("The purchase order has no lines; Xero needs at least one.")
    amount_types = payload.get("LineAmountTypes") or "Exclusive"
    for index, line in enumerate(lines, start=1):
        label = _line_label(index, line)
        _check_account(label, line.get("AccountCode"), known, problems)
        _check_tax(label, line, amount_types, known, problems)
        _check_fit(label, line, known, problems)
        _check_item_code(label, line.get("ItemCode"), known, problems)
        _check_tracking(label, line.get("Tracking") or [], known, problems)
        _check_discount(label, line, problems)
    return problems
