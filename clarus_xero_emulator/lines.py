"""Line items: defaults from items, account/tax/tracking checks and Xero's rounding rules."""

from decimal import Decimal

from .common import account_by_code, find_by_id, item_by_code, removed_account_message, tax_rate
from .msjson import dec, num, q
from .rules import DISCOUNT_REFUSED, check_inventory_coding, check_line_account
from .settings import find_option
from .state import new_id

LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
HUNDRED = Decimal(100)


def build_lines(ctx, raw_lines, old_lines, amount_types, sale, purchase_tracked_to_inventory,
                errors, discounts_ok=False, inventory_rules=False):
    """Validate and price line items. Returns (lines, sub_total, total_tax, total).

    ``discounts_ok`` is true for ACCREC invoices only (spec LineItem.DiscountRate);
    ``inventory_rules`` for invoices and credit notes (rules.check_inventory_coding)."""
    old_by_id = {line["LineItemID"]: line for line in old_lines or []}
    lines = []
    sub_total = total_tax = total = Decimal(0)
    for index, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            errors.append("Line item %d must be an object" % (index + 1))
            continue
        line = _merged_line(raw, old_by_id.get(str(raw.get("LineItemID") or "")))
        rate = _coded_line(ctx, line, sale, purchase_tracked_to_inventory, errors,
                           inventory_rules)
        parsed = _parsed_amounts(ctx, line, index, errors)
        if parsed is None:
            continue
        qty, unit, discount, discount_amount = parsed
        if (discount or discount_amount) and not discounts_ok:
            errors.append(DISCOUNT_REFUSED)
        line_amount = q(qty * unit * (1 - discount / HUNDRED) - discount_amount)
        net, tax, gross = _split_tax(line, line_amount, rate, amount_types, index, errors)
        sub_total += net
        total += gross
        total_tax += tax
        line.update({"Quantity": num(q(qty, 4)), "UnitAmount": num(unit),
                     "LineAmount": num(line_amount), "TaxAmount": num(tax)})
        if discount:
            line["DiscountRate"] = num(discount)
        if discount_amount:
            line["DiscountAmount"] = num(discount_amount)
        line["Tracking"] = checked_tracking(ctx, line.get("Tracking") or [], errors)
        lines.append(line)
    return lines, sub_total, total_tax, total


def _coded_line(ctx, line, sale, purchase_tracked_to_inventory, errors,
                inventory_rules=False):
    """Fill account and tax from the item and account, check the pair; -> tax percent."""
    _fill_from_item(ctx, line, sale, purchase_tracked_to_inventory, errors)
    account = _fill_from_account(ctx, line, errors)
    rate = _tax_percent(ctx, line, errors)
    if account is not None:
        # S28 and §8: the tax rate must apply to the account's class; system and BANK
        # accounts refuse line coding.
        check_line_account(account, tax_rate(ctx, line.get("TaxType")), errors)
        if inventory_rules:
            item = item_by_code(ctx, line["ItemCode"]) if line.get("ItemCode") else None
            check_inventory_coding(account, item, sale, errors)
    return rate


def _merged_line(raw, base):
    """The sent fields over the stored line with the same LineItemID (if any)."""
    line = dict(base) if base else {}
    # Amounts are recomputed; only a TaxAmount sent with this request overrides.
    line.pop("TaxAmount", None)
    line.pop("LineAmount", None)
    line.update({k: v for k, v in raw.items() if v is not None})
    line["LineItemID"] = base["LineItemID"] if base else new_id()
    line.pop("ValidationErrors", None)
    return line


def _fill_from_item(ctx, line, sale, purchase_tracked_to_inventory, errors):
    """Default description, price, account and tax from the item named by ItemCode."""
    if not line.get("ItemCode"):
        return
    item = item_by_code(ctx, line["ItemCode"])
    if item is None:
        errors.append("Item code '%s' is not valid" % line["ItemCode"])
        return
    details = item.get("SalesDetails" if sale else "PurchaseDetails") or {}
    if not line.get("Description"):
        line["Description"] = item.get("Description" if sale else "PurchaseDescription",
                                       item.get("Description") or item.get("Name") or "")
    if line.get("UnitAmount") is None and details.get("UnitPrice") is not None:
        line["UnitAmount"] = details["UnitPrice"]
    if not line.get("AccountCode"):
        # Buying a tracked item adds to stock, so it is coded to the inventory asset account.
        if item.get("IsTrackedAsInventory") and purchase_tracked_to_inventory:
            line["AccountCode"] = item["InventoryAssetAccountCode"]
        elif details.get("AccountCode"):
            line["AccountCode"] = details["AccountCode"]
    if not line.get("TaxType") and details.get("TaxType"):
        line["TaxType"] = details["TaxType"]
    line["Item"] = {"ItemID": item["ItemID"], "Code": item["Code"],
                    "Name": item.get("Name") or item["Code"]}


def _fill_from_account(ctx, line, errors):
    """Resolve the account by code (or by ID when no code is sent); it defaults the TaxType."""
    account = None
    if line.get("AccountID") and not line.get("AccountCode"):
        account = find_by_id(ctx, "Accounts", line["AccountID"])
        if account is None or account["Status"] != "ACTIVE":
            errors.append("Account with AccountID '%s' could not be found"
                          % line["AccountID"])
            account = None
    elif line.get("AccountCode"):
        account = account_by_code(ctx, line["AccountCode"])
        if account is None:
            errors.append(removed_account_message(line["AccountCode"]))
    if account is not None:
        line["AccountCode"], line["AccountID"] = account["Code"], account["AccountID"]
        if not line.get("TaxType") and account.get("TaxType"):
            line["TaxType"] = account["TaxType"]
    return account


def _tax_percent(ctx, line, errors):
    """The line's effective tax rate in percent (0 when there is no usable TaxType)."""
    if not line.get("TaxType"):
        return Decimal(0)
    tr = tax_rate(ctx, line["TaxType"])
    if tr is None:
        errors.append("The TaxType code '%s' does not exist or cannot be used for this "
                      "type of transaction." % line["TaxType"])
        return Decimal(0)
    return dec(tr["EffectiveRate"])


def _parsed_amounts(ctx, line, index, errors):
    """-> (quantity, unit amount, discount %, discount amount), or None after reporting a
    malformed number."""
    try:
        qty = dec(line.get("Quantity"), "1")
        # A line sent with only a LineAmount is priced back from it.
        if line.get("UnitAmount") is None and line.get("LineAmount") is not None:
            unit = dec(line["LineAmount"]) / (qty or 1)
        else:
            unit = dec(line.get("UnitAmount"), "0")
        unit = q(unit, ctx.unitdp)
        discount = dec(line.get("DiscountRate"), "0")
        discount_amount = q(dec(line.get("DiscountAmount"), "0"))
    except ValueError as exc:
        errors.append("Line item %d: %s" % (index + 1, exc))
        return None
    return qty, unit, discount, discount_amount


def _split_tax(line, line_amount, rate, amount_types, index, errors):
    """-> (net, tax, gross) of one line under the document's LineAmountTypes."""
    if amount_types == "Exclusive":
        tax = _tax_override(line, q(line_amount * rate / HUNDRED), index, errors)
        return line_amount, tax, line_amount + tax
    if amount_types == "Inclusive":
        tax = _tax_override(line, q(line_amount * rate / (HUNDRED + rate)), index, errors)
        return line_amount - tax, tax, line_amount
    return line_amount, Decimal(0), line_amount


# Xero recomputes TaxAmount but lets a client override it by a little, which is how
# a document rounded globally keeps its tax total to the cent.
TAX_OVERRIDE_TOLERANCE = Decimal("0.05")


def _tax_override(line, computed, index, errors):
    given = line.get("TaxAmount")
    if given is None:
        return computed
    try:
        given = q(dec(given))
    except ValueError as exc:
        errors.append("Line item %d: %s" % (index + 1, exc))
        return computed
    if abs(given - computed) > TAX_OVERRIDE_TOLERANCE:
        errors.append("Line item %d: the TaxAmount %s is too far from the calculated %s."
                      % (index + 1, given, computed))
        return computed
    return given


def checked_tracking(ctx, refs, errors):
    """Tracking references of one line (invoice, credit note, journal) -> stored form."""
    if len(refs) > 2:
        errors.append("A line item can have a maximum of 2 tracking categories")
    out = []
    for ref in refs:
        if not isinstance(ref, dict):
            errors.append("Tracking must be a list of objects")
            continue
        cat_ref = ref.get("TrackingCategoryID") or ref.get("Name")
        opt_ref = ref.get("TrackingOptionID") or ref.get("Option")
        cat, opt = find_option(ctx, cat_ref, opt_ref)
        if cat is None:
            errors.append("The tracking category '%s' does not exist or is not active" % cat_ref)
        elif opt is None or opt["Status"] != "ACTIVE":
            errors.append("The tracking option '%s' does not exist in tracking category '%s'"
                          % (opt_ref, cat["Name"]))
        else:
            out.append({"TrackingCategoryID": cat["TrackingCategoryID"],
                        "TrackingOptionID": opt["TrackingOptionID"], "Name": cat["Name"],
                        "Option": opt["Name"]})
    return out


# Quantity sign of a tracked item line per document type (S20): bills add stock, sales
# take it out, a customer credit note (a return) brings it back, a supplier credit note
# (a return to the supplier) takes it out.
STOCK_SIGN = {"ACCPAY": 1, "ACCREC": -1, "ACCRECCREDIT": 1, "ACCPAYCREDIT": -1}
PURCHASE_TYPES = ("ACCPAY", "ACCPAYCREDIT")


def stock_moves(ctx, doc_type, lines, amount_types="Exclusive", currency_rate=1):
    """(item, quantity delta, cost or None) for tracked items on an authorised document.

    On bills and supplier credit notes the cost is the line's net amount (tax excluded) in
    the organisation's base currency (the document's CurrencyRate is foreign units per base
    unit), signed as it moves the item's TotalCostPool: a bill adds it, a supplier credit
    note takes it off (S20, average cost). Sales and customer returns carry None: their
    cost is the item's average cost when they are applied (``apply_stock``)."""
    sign = STOCK_SIGN.get(doc_type, 0)
    rate = dec(currency_rate, "1") or Decimal(1)
    moves = []
    for line in lines:
        item = item_by_code(ctx, line.get("ItemCode")) if line.get("ItemCode") else None
        if sign and item is not None and item.get("IsTrackedAsInventory"):
            cost = None
            if doc_type in PURCHASE_TYPES:
                net = dec(line["LineAmount"])
                if amount_types == "Inclusive":
                    net -= dec(line.get("TaxAmount"))
                cost = sign * q(net / rate)
            moves.append((item, sign * dec(line["Quantity"]), cost))
    return moves


def check_stock(old_moves, new_moves, allow_backorders, errors):
    """Reject moves that would take stock below zero (unless back orders are allowed)."""
    net = {}
    for item, qty, _ in old_moves:
        net[item["ItemID"]] = (item, net.get(item["ItemID"], (item, 0))[1] - qty)
    for item, qty, _ in new_moves:
        net[item["ItemID"]] = (item, net.get(item["ItemID"], (item, 0))[1] + qty)
    for item, delta in net.values():
        on_hand = dec(item.get("QuantityOnHand"))
        if delta < 0 and on_hand + delta < 0 and not allow_backorders:
            errors.append("The quantity on hand for item '%s' would fall below zero (%s on hand, "
                          "%s required). Use allowBackorders=true to allow this."
                          % (item["Code"], _quantity(on_hand), _quantity(-delta)))


def _quantity(value):
    """A quantity as a person writes it: 14, 2.5 (not 14.0 or 2.5000)."""
    return format(Decimal(value).normalize(), "f")


def _cost_out(qty, on_hand, pool):
    """The cost of ``qty`` units (> 0) leaving at the item's average cost; taking the whole
    quantity on hand (or more) takes the whole pool, so no rounding residue stays behind."""
    if on_hand <= 0:
        return Decimal(0)
    if qty >= on_hand:
        return pool
    return q(pool / on_hand * qty)


def _cost_back(item, qty, on_hand, pool):
    """The cost of ``qty`` units (> 0) a customer returns (ACCRECCREDIT).

    Xero's help says only that tracked items use average cost (S20). Strict reading: a
    return comes back at the current average cost (a credit note need not name the sale it
    reverses), and with nothing on hand at the last average cost the item had."""
    if on_hand > 0:
        return q(pool / on_hand * qty)
    return q(dec(item.get("_unit_cost")) * qty)


def apply_stock(moves, direction, doc_type):
    """Apply moves (direction=1): -> the moves as applied, each with the cost it took into
    (+) or out of (-) the item's TotalCostPool. ``direction=-1`` reverses moves returned by
    an earlier apply exactly (voiding or re-lining an authorised document)."""
    applied = []
    for item, qty, amount in moves:
        on_hand = dec(item.get("QuantityOnHand"))
        pool = dec(item.get("TotalCostPool"))
        if direction < 0:
            delta, cost = -qty, -amount
        elif doc_type in PURCHASE_TYPES:
            delta, cost = qty, amount
        elif qty < 0:
            delta, cost = qty, -_cost_out(-qty, on_hand, pool)
        else:
            delta, cost = qty, _cost_back(item, qty, on_hand, pool)
        on_hand += delta
        pool += cost
        if on_hand == 0:
            # Nothing left to value: whatever stayed in the pool leaves with the last unit.
            cost -= pool
            pool = Decimal(0)
        if on_hand > 0 and pool >= 0:
            item["_unit_cost"] = str(pool / on_hand)
        item["QuantityOnHand"] = num(on_hand)
        item["TotalCostPool"] = num(q(pool))
        applied.append((item, qty, q(cost)))
    return applied
