"""Stock in Odoo beside stock in Xero: what differs, and the document that corrects it.

Odoo is the master. When Xero tracks inventory, each tracked item's ``QuantityOnHand``
and ``TotalCostPool`` (``GET /Items``) are set beside Odoo's quantity on hand and
valuation of the same product; when it does not, Xero's inventory account balance
(``GET /Reports/BalanceSheet``) is set beside the balance of Odoo's stock valuation
account.

Rounding:

* quantities are compared exactly (after rounding both to the product's unit precision,
  ``QTY_DIGITS`` decimals: Xero keeps four);
* values agree when they differ by at most ``value_tolerance(operations)``: one cent per
  operation that reached Xero (each Xero line is rounded to the cent, see
  ``clarus_sync_engine.stock``), with one cent at least. The caller passes the number
  of operations sent for the product; a balance compares within one cent per posted
  line the same way.

A correction is one zero-total document (``stock.adjustment_payload``) that moves Xero's
quantity and cost pool by the difference: a bill when Xero holds less, a supplier credit
note when it holds more. A document moves quantity and value the same way, so a
difference whose value goes against its quantity (or a value difference with no
quantity difference) cannot be corrected by one document: ``correction`` says so and
nothing is queued.
"""

from decimal import ROUND_HALF_UP, Decimal

from . import stock

CENT = Decimal("0.01")
QTY_DIGITS = Decimal("0.0001")


def _dec(value):
    return Decimal(str(value or 0))


def value_tolerance(operations=0):
    """How far two values may be apart and still agree: a cent per operation, at least
    one cent."""
    return CENT * max(int(operations or 0), 1)


def quantity(value):
    return _dec(value).quantize(QTY_DIGITS, rounding=ROUND_HALF_UP)


def compare_line(odoo_qty, odoo_value, xero_qty, xero_value, operations=0):
    """The differences of one product (or account): a dict with ``qty_difference`` and
    ``value_difference`` (Odoo minus Xero), ``quantity_differs``, ``value_differs`` and
    ``differs``."""
    qty_difference = quantity(odoo_qty) - quantity(xero_qty)
    value_difference = (_dec(odoo_value) - _dec(xero_value)).quantize(
        CENT, rounding=ROUND_HALF_UP)
    quantity_differs = qty_difference != 0
    value_differs = abs(value_difference) > value_tolerance(operations)
    return {
        "qty_difference": qty_difference,
        "value_difference": value_difference,
        "quantity_differs": quantity_differs,
        "value_differs": value_differs,
        "differs": quantity_differs or value_differs,
    }


def compare_items(odoo_rows, xero_items, operations=None):
    """One result per product code Odoo or Xero knows.

    ``odoo_rows``: ``{code: (quantity, value)}``; ``xero_items``: raw ``GET /Items``
    elements (``Code``, ``IsTrackedAsInventory``, ``QuantityOnHand``,
    ``TotalCostPool``); ``operations``: ``{code: operations sent}``. A product Odoo
    holds that Xero does not track is compared with zero; an item Xero tracks that Odoo
    has no stock of, with Odoo's zero."""
    operations = operations or {}
    tracked = {item["Code"]: item for item in xero_items
               if item.get("Code") and item.get("IsTrackedAsInventory")}
    results = {}
    for code in sorted(set(odoo_rows) | set(tracked)):
        odoo_qty, odoo_value = odoo_rows.get(code, (0, 0))
        item = tracked.get(code) or {}
        result = compare_line(odoo_qty, odoo_value, item.get("QuantityOnHand"),
                              item.get("TotalCostPool"), operations.get(code, 0))
        result.update(code=code, in_xero=bool(item), odoo_qty=quantity(odoo_qty),
                      odoo_value=_dec(odoo_value), xero_qty=quantity(item.get("QuantityOnHand")),
                      xero_value=_dec(item.get("TotalCostPool")))
        results[code] = result
    return results


def correction(qty_difference, value_difference, translate=lambda text, **kw: text % kw):
    """``(direction, quantity, value, problem)`` of the document bringing Xero to Odoo.

    ``direction`` is ``stock.INCREASE`` (Xero holds less) or ``stock.DECREASE``; quantity
    and value are positive. ``problem`` is a message when one document cannot do it."""
    qty, value = _dec(qty_difference), _dec(value_difference)
    if qty == 0:
        return None, Decimal(0), Decimal(0), translate(
            "Only the value differs: a Xero document moves quantity and value together. "
            "Revalue the item in Xero by hand (an inventory adjustment journal).")
    if (qty > 0 and value <= 0) or (qty < 0 and value >= 0):
        return None, Decimal(0), Decimal(0), translate(
            "Xero's value differs against its quantity (%(qty)s units, %(value)s): one "
            "document cannot bring both to Odoo. Correct the item in Xero by hand.",
            qty=format(qty.normalize(), "f"), value=format(value, "f"))
    direction = stock.INCREASE if qty > 0 else stock.DECREASE
    return direction, abs(qty), abs(value), None


def balance_of(report, account_code):
    """The balance of ``account_code`` in a raw Xero report (``Reports`` JSON of
    BalanceSheet or TrialBalance): rows whose first cell carries the account (its
    ``Attributes`` ``account`` id or the code in its label). None when absent."""
    for rep in (report or {}).get("Reports") or []:
        for section in rep.get("Rows") or []:
            for row in section.get("Rows") or []:
                cells = row.get("Cells") or []
                if row.get("RowType") != "Row" or len(cells) < 2:
                    continue
                label = str(cells[0].get("Value") or "")
                if label.endswith(f"({account_code})") or label.split(" ")[0] == account_code:
                    return _row_amount(cells)
    return None


def _row_amount(cells):
    """The balance a report row shows: a balance sheet's figure, or a trial balance's
    debit minus credit (year-to-date columns when the report has them)."""
    values = [c.get("Value") for c in cells[1:]]
    numbers = [_dec(v) if v not in (None, "") else None for v in values]
    if len(numbers) >= 4:  # Trial balance: Debit, Credit, YTD Debit, YTD Credit
        debit, credit = numbers[2] or Decimal(0), numbers[3] or Decimal(0)
        return debit - credit
    return numbers[0] or Decimal(0)
