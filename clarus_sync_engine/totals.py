"""Compute what Xero will compute, and make it equal Odoo's totals to the cent.

Xero's rule (per line, 2 dp, half away from zero):

* line amount = round(Quantity x UnitAmount x (1 - DiscountRate/100), 2);
* ``Exclusive``: tax = round(amount x rate / 100, 2), total = sum(amount) + sum(tax);
* ``Inclusive``: tax = round(amount x rate / (100 + rate), 2), total = sum(amount);
* ``NoTax``: no tax;
* an explicit line ``TaxAmount`` replaces the computed tax for that line.

Odoo's "round per line" matches that rule. Odoo's "round globally" rounds the *sum* of
unrounded line taxes once, so its tax total can differ from Xero's by a few cents.
Strategy (``distribute_tax``): spread Odoo's tax total over the taxed lines by the
largest-remainder method. Each line then differs from its exact tax by less than one
cent, which Xero accepts as a ``TaxAmount`` override, and the lines add up to Odoo's
total. Explicit amounts are only sent when Xero's own per-line rounding would differ,
so most documents carry none. When line amounts themselves cannot match (unit prices
with more than 4 decimals), ``mapping.invoice_payload`` adds a rounding line to a
rounding account if one is configured; otherwise ``validation`` reports the difference.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
UNIT = Decimal("0.0001")
HUNDRED = Decimal(100)


def to_decimal(value):
    """A Decimal from int, str, float or Decimal; floats go through ``str`` (no binary noise)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def round_money(value):
    """Round to cents, halves away from zero, as Xero and Odoo (HALF-UP) both do."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_unit(value):
    """Round a unit price to 4 decimals (requests are sent with ``unitdp=4``)."""
    return to_decimal(value).quantize(UNIT, rounding=ROUND_HALF_UP)


def exact_line_amount(quantity, unit_amount, discount_rate=0):
    """Unrounded ``quantity x unit x (1 - discount/100)``."""
    discount = to_decimal(discount_rate)
    return to_decimal(quantity) * to_decimal(unit_amount) * (1 - discount / HUNDRED)


def exact_line_tax(amount, rate, line_amount_types):
    """Unrounded tax of one line amount at ``rate`` percent."""
    rate = to_decimal(rate)
    amount = to_decimal(amount)
    if line_amount_types == "NoTax" or not rate:
        return Decimal(0)
    if line_amount_types == "Inclusive":
        return amount * rate / (HUNDRED + rate)
    return amount * rate / HUNDRED


def _line_amount(line):
    if line.get("LineAmount") is not None:
        return round_money(line["LineAmount"])
    return round_money(exact_line_amount(
        line.get("Quantity", 1), line.get("UnitAmount", 0), line.get("DiscountRate") or 0))


def xero_totals(payload, tax_rates):
    """``{"sub_total", "total_tax", "total"}`` (Decimals) as Xero will compute them.

    ``tax_rates`` maps a ``TaxType`` code to its effective rate in percent; a line whose
    tax type is missing from it is treated as untaxed.
    """
    kind = payload.get("LineAmountTypes") or "Exclusive"
    amounts, taxes = Decimal(0), Decimal(0)
    for line in payload.get("LineItems") or ():
        amount = _line_amount(line)
        if line.get("TaxAmount") is not None and kind != "NoTax":
            tax = round_money(line["TaxAmount"])
        else:
            rate = tax_rates.get(line.get("TaxType"), 0)
            tax = round_money(exact_line_tax(amount, rate, kind))
        amounts += amount
        taxes += tax
    if kind == "Inclusive":
        return {"sub_total": amounts - taxes, "total_tax": taxes, "total": amounts}
    return {"sub_total": amounts, "total_tax": taxes, "total": amounts + taxes}


def totals_match(odoo_total, xero_total):
    """True when both amounts are equal to the cent."""
    return round_money(odoo_total) == round_money(xero_total)


def distribute_tax(exact_taxes, target_total):
    """Cent amounts, one per line, summing to ``target_total``, each < 1 cent off exact.

    Largest remainder: round every line, then move the missing (or surplus) cents to
    the lines whose rounding lost (or gained) the most; ties go to the earlier line so
    the result is deterministic. Lines with a zero exact tax are never adjusted.
    """
    exact = [to_decimal(t) for t in exact_taxes]
    rounded = [round_money(t) for t in exact]
    missing = round_money(target_total) - sum(rounded, Decimal(0))
    taxed = [i for i, t in enumerate(exact) if t]
    if not missing or not taxed:
        return rounded
    step = CENT if missing > 0 else -CENT
    sign = 1 if missing > 0 else -1
    # Adding cents: lines that lost most to rounding first; removing: those that gained most.
    order = sorted(taxed, key=lambda i: (-sign * (exact[i] - rounded[i]), i))
    position = 0
    while missing:
        rounded[order[position % len(order)]] += step
        missing -= step
        position += 1
    return rounded
