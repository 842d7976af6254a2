"""Stock operations that change quantities Xero tracks, as Xero documents.

When Xero tracks inventory (tracked items), its QuantityOnHand and TotalCostPool move
only through authorised transactions (XERO_API §4, Items): bills and supplier credit
notes, invoices and customer credit notes. Receipts reach Xero through their supplier
bills and shipments through their customer invoices; what changes stock without a bill
or an invoice (inventory adjustments and stocktakes, scrap, returns to the supplier)
goes as a *zero-total* supplier document:

* an increase is an ACCPAY bill, a decrease an ACCPAYCREDIT supplier credit note;
* one line per product: its item code, the quantity moved and the unit cost Odoo gave
  the move, on the inventory asset account (where Xero keeps the item's cost);
* one line on the adjustment account the connection names, for minus the sum of the
  item lines, so the document totals zero and leaves no payable or credit open.

How Xero values them (average cost, S20). A bill adds its item line's net amount to
the item's TotalCostPool and its quantity to QuantityOnHand; a supplier credit note
takes both off. A sale takes ``TotalCostPool / QuantityOnHand`` per unit off the pool.
So the pool follows exactly the amounts these documents carry, and Xero's average cost
is ``TotalCostPool / QuantityOnHand``.

How Odoo's cost and Xero's pool stay within rounding. Odoo values each done move
(``stock.move.value``: average cost times quantity for a decrease, the valuation of the
incoming quantity for an increase) and moves the product's average cost from those
values. The line sends that value as ``Quantity x UnitAmount`` with the unit cost at
four decimals (``unitdp=4``); Xero rounds the line to cents. The difference per line is
at most ``quantity x 0.00005 + 0.005``; ``line_amounts`` keeps it and the tests assert
Xero's pool equals the sum of Odoo's move values within that bound.
"""

from decimal import ROUND_HALF_UP, Decimal

# What an operation does to the stock Xero tracks.
INCREASE = "increase"
DECREASE = "decrease"
# Job kind per direction: a bill is an invoice in Xero, a credit a credit note.
KIND_BY_DIRECTION = {INCREASE: "stock_adjustment", DECREASE: "stock_adjustment_credit"}
DIRECTION_BY_KIND = {kind: direction for direction, kind in KIND_BY_DIRECTION.items()}
DOC_TYPE = {INCREASE: "ACCPAY", DECREASE: "ACCPAYCREDIT"}
NUMBER_FIELD = {INCREASE: "InvoiceNumber", DECREASE: "CreditNoteNumber"}

# Operations sent to Xero.
ADJUSTMENT = "adjustment"
SCRAP = "scrap"
SUPPLIER_RETURN = "supplier_return"

CENT = Decimal("0.01")
UNIT = Decimal("0.0001")


def classify_move(src_usage, dest_usage, is_inventory=False, is_scrap=False,
                  billed_by_receipt=False):
    """``(operation, direction)`` of a done stock move, or None when the move does not
    change stock Xero tracks through this path.

    Internal transfers change no quantity; receipts from suppliers and deliveries to
    customers reach Xero through their bills and invoices; customer returns through
    their credit notes. ``billed_by_receipt``: a return to the supplier that lowers its
    purchase line's received quantity, billed on received quantities: the bill (for
    less) or the vendor refund carries it to Xero, so it is not sent twice.
    Manufacturing moves (to and from production locations) are not classified here."""
    inside_src, inside_dest = src_usage == "internal", dest_usage == "internal"
    if inside_src == inside_dest:
        return None
    direction = INCREASE if inside_dest else DECREASE
    if is_scrap and direction == DECREASE:
        return SCRAP, direction
    if is_inventory or "inventory" in (src_usage, dest_usage):
        return ADJUSTMENT, direction
    if direction == DECREASE and dest_usage == "supplier" and not billed_by_receipt:
        return SUPPLIER_RETURN, direction
    return None


def _dec(value):
    return Decimal(str(value or 0))


def line_amounts(quantity, value):
    """``(unit amount, line amount)`` of an item line: Odoo's move value as a unit cost
    at four decimals, and the line amount Xero computes from it (to the cent, half away
    from zero)."""
    quantity, value = _dec(quantity), _dec(value)
    unit = (value / quantity).quantize(UNIT, rounding=ROUND_HALF_UP) if quantity else Decimal(0)
    return unit, (quantity * unit).quantize(CENT, rounding=ROUND_HALF_UP)


def line_problems(line, translate=lambda text, **kw: text % kw):
    """Why one product line cannot go: no item code, no quantity, no cost."""
    name = line.get("product") or line.get("item_code") or "?"
    if not line.get("item_code"):
        return [translate("%(name)s has no internal reference, so it is not a Xero item. "
                          "Give it one, then retry.", name=name)]
    if _dec(line.get("quantity")) <= 0:
        return [translate("%(name)s: the quantity moved must be positive.", name=name)]
    if line.get("on_hand_after") is not None and _dec(line["on_hand_after"]) < 0:
        return [translate(
            "%(name)s: this count leaves %(qty)s on hand, below zero. Xero holds no "
            "negative stock: count the product again (a count is never negative), "
            "then retry.", name=name, qty=format(_dec(line["on_hand_after"]).normalize(), "f"))]
    unit, amount = line_amounts(line["quantity"], line.get("value"))
    if unit <= 0 or amount <= 0:
        return [translate(
            "%(name)s has no cost in Odoo, so the move has no value and Xero's cost "
            "pool would be wrong. Set the product's cost and adjust the move's "
            "valuation, then retry.", name=name)]
    return []


def adjustment_payload(data, known=None, translate=lambda text, **kw: text % kw):
    """The zero-total Xero document of one stock operation, and the problems that stop
    it; nothing is sent unless every line is right.

    ``data``: ``direction`` (INCREASE/DECREASE), ``number``, ``date`` (a date),
    ``reference``, ``contact_id``, ``currency``, ``inventory_account``,
    ``adjustment_account``, ``tax_type`` (the organisation's no-tax rate), ``tracking``
    (Xero tracking list or empty) and ``lines``: dicts with ``item_code``, ``product``
    (a name for messages), ``description``, ``quantity`` (positive, in the item's unit),
    ``value`` (Odoo's value of the quantity moved, company currency) and optionally
    ``on_hand_after`` (a stocktake: the quantity the count leaves).

    ``known``: reference data as the connector keeps it (``account_codes``); when given,
    the accounts must be among them."""
    problems = []
    direction = data["direction"]
    adjustment, inventory = data.get("adjustment_account"), data.get("inventory_account")
    codes = (known or {}).get("account_codes")
    if not adjustment:
        problems.append(translate(
            "No inventory adjustment account is set for stock sent to Xero. Choose one in "
            "the Xero settings (Stock in Xero), then retry."))
    elif codes is not None and adjustment not in codes:
        problems.append(translate(
            "The inventory adjustment account %(code)s is not an active account in Xero. "
            "Import the reference data or choose another account, then retry.",
            code=adjustment))
    if not inventory:
        problems.append(translate("No inventory asset account is set in the Xero settings."))
    if not data.get("contact_id"):
        problems.append(translate("The contact of stock adjustments is not in Xero yet."))
    lines = data.get("lines") or []
    if not lines:
        problems.append(translate("This operation moved no product Xero tracks."))
    for line in lines:
        problems += line_problems(line, translate)
    items, total = [], Decimal(0)
    for line in lines:
        unit, amount = line_amounts(line["quantity"], line.get("value"))
        total += amount
        items.append({
            "ItemCode": line.get("item_code"),
            "Description": (line.get("description") or line.get("product") or "")[:4000],
            "Quantity": float(_dec(line["quantity"])),
            "UnitAmount": float(unit),
            "AccountCode": inventory,
            "TaxType": data.get("tax_type"),
            "Tracking": data.get("tracking") or [],
        })
    items.append({
        "Description": data.get("reference") or data["number"],
        "Quantity": 1.0,
        "UnitAmount": float(-total),
        "AccountCode": adjustment,
        "TaxType": data.get("tax_type"),
        "Tracking": data.get("tracking") or [],
    })
    for line in items:
        if not line["TaxType"]:
            line.pop("TaxType")
        if not line["Tracking"]:
            line.pop("Tracking")
    day = data["date"].isoformat()
    payload = {
        "Type": DOC_TYPE[direction],
        NUMBER_FIELD[direction]: data["number"],
        "Contact": {"ContactID": data.get("contact_id")},
        "Date": day,
        "LineAmountTypes": "NoTax",
        "Status": "AUTHORISED",
        "CurrencyCode": data.get("currency"),
        "LineItems": items,
    }
    if direction == INCREASE:
        payload["DueDate"] = day
    if not payload["CurrencyCode"]:
        payload.pop("CurrencyCode")
    return payload, problems

