"""Compute what Xero will compute, and make it equal Odoo's totals to the cent.

Xero's rule (per line, 2 dp, half away from zero; the emulator's ``lines.py`` does the
same), with ``UnitAmount`` at 4 dp (requests go with ``unitdp=4``):

* line amount = round(Quantity x UnitAmount x (1 - DiscountRate/100), 2);
* ``Exclusive``: tax = round(amount x rate / 100, 2), total = sum(amount) + sum(tax);
* ``Inclusive``: tax = round(amount x rate / (100 + rate), 2), total = sum(amount),
  sub-total = total - sum(tax);
* ``NoTax``: no tax;
* an explicit line ``TaxAmount`` replaces the computed tax for that line (Xero accepts
  it when it is close to its own figure).

Odoo can land elsewhere: "round globally" rounds the *sums* of unrounded line bases
and taxes per tax (``account.tax._round_base_lines_tax_details``), so both its untaxed
and its tax totals can differ from the sums of Xero's rounded lines; a discount folded
into a 4-dp net unit price (bills and credit notes, which take no DiscountRate) or a
unit price with more than 4 decimals moves line amounts by cents too.

``fit_to_odoo`` closes both gaps. Tax: Odoo's tax total is spread over the taxed lines
by the largest-remainder method (``distribute_tax``), each line within a cent or so of
its exact tax, sent as ``TaxAmount`` only when Xero's own rounding would differ. Amounts:
the remaining difference goes on one untaxed "Rounding" line on an account the caller
names; without one, it reports that it cannot. ``answer_mismatch`` checks Xero's
answer after the call.
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


def xero_line_amount(line):
    """One line's amount as Xero computes it: round(qty x unit(4 dp) x (1 - disc%), 2)."""
    return round_money(exact_line_amount(
        line.get("Quantity", 1), round_unit(line.get("UnitAmount") or 0),
        line.get("DiscountRate") or 0))


def xero_totals(payload, tax_rates):
    """``{"sub_total", "total_tax", "total"}`` (Decimals) as Xero will compute them.

    Follows Xero's arithmetic in the module docstring: per-line rounding to the cent,
    ``TaxAmount`` overrides honoured. ``tax_rates`` maps a ``TaxType`` code to its
    effective rate in percent; a line whose tax type is missing from it is untaxed.
    """
    kind = payload.get("LineAmountTypes") or "Exclusive"
    amounts, taxes = Decimal(0), Decimal(0)
    for line in payload.get("LineItems") or ():
        amount = xero_line_amount(line)
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


# How far a sent TaxAmount may stray from Xero's own per-line figure (the emulator
# accepts 0.05; the engine stays well inside it).
TAX_OVERRIDE_MAX = Decimal("0.05")


class Fit:
    """What ``fit_to_odoo`` decided: per-line ``tax_amounts`` to send (None: Xero's own
    rounding already matches), an extra ``rounding_line`` (None: not needed), and a
    ``problem`` sentence when Xero cannot be brought to Odoo's totals ("" otherwise)."""

    __slots__ = ("tax_amounts", "rounding_line", "problem")

    def __init__(self, tax_amounts=None, rounding_line=None, problem=""):
        self.tax_amounts = tax_amounts
        self.rounding_line = rounding_line
        self.problem = problem

    def apply(self, payload):
        """Write the decision into ``payload`` (its ``LineItems`` are changed in place)."""
        if self.tax_amounts is not None:
            for item, amount in zip(payload["LineItems"], self.tax_amounts, strict=False):
                item["TaxAmount"] = amount
        if self.rounding_line:
            payload["LineItems"].append(dict(self.rounding_line))
        return payload


def odoo_figures(untaxed=None, tax=None, total=None):
    """Odoo's ``(untaxed, tax, total)`` as cents; a missing one follows from the others."""
    tax = round_money(tax or 0)
    if total is None and untaxed is None:
        return None
    if untaxed is None:
        untaxed = round_money(total) - tax
    if total is None:
        total = round_money(untaxed) + tax
    return round_money(untaxed), tax, round_money(total)


def _fit_tax(lines, amounts, kind, tax_rates, odoo_tax):
    """-> (tax amounts to send or None, problem)."""
    if kind == "NoTax":
        return None, ("" if not odoo_tax else "Odoo has a tax total of %s but the document "
                      "is sent without tax." % odoo_tax)
    unknown = sorted({line.get("TaxType") or "(none)" for line in lines
                      if line.get("TaxType") not in tax_rates})
    if unknown:
        return None, ("Xero's tax cannot be computed for lines with tax rate %s (no Xero "
                      "tax rate mapped, or not a percentage tax), so Odoo's totals cannot "
                      "be matched." % ", ".join(unknown))
    exact = [exact_line_tax(amount, tax_rates[line.get("TaxType")], kind)
             for line, amount in zip(lines, amounts, strict=True)]
    per_line = [round_money(value) for value in exact]
    if sum(per_line, Decimal(0)) == odoo_tax:
        return None, ""
    if not any(exact):
        return None, ("Odoo has a tax total of %s but no line carries a Xero tax rate."
                      % odoo_tax)
    spread = distribute_tax(exact, odoo_tax)
    if any(abs(a - b) > TAX_OVERRIDE_MAX for a, b in zip(spread, per_line, strict=True)):
        return None, ("Odoo's tax total %s is too far from the %s Xero computes line by "
                      "line; check the taxes of the lines." % (odoo_tax, sum(per_line)))
    return spread, ""


def fit_to_odoo(payload, tax_rates, odoo, rounding_account_code=None, no_tax_type=None):
    """Decide how Xero's totals of ``payload`` reach Odoo's ``odoo`` figures exactly.

    ``odoo`` is ``odoo_figures(untaxed, tax, total)``; ``tax_rates`` maps each line's
    TaxType to its percent. Returns a ``Fit``. The tax total is matched with per-line
    ``TaxAmount``; a remaining amount difference becomes a line "Rounding" of
    Quantity 1 and UnitAmount = the difference on ``rounding_account_code`` with
    ``no_tax_type`` (the organisation's "no tax" rate, never assumed to be NONE);
    without both, ``problem`` says so, naming both figures. Meets Xero's rule that
    totals are sums of per-line cents (module docstring).
    """
    kind = payload.get("LineAmountTypes") or "Exclusive"
    lines = list(payload.get("LineItems") or ())
    untaxed, tax, total = odoo
    amounts = [xero_line_amount(line) for line in lines]
    tax_amounts, problem = _fit_tax(lines, amounts, kind, tax_rates, tax)
    if problem:
        return Fit(problem=problem)
    if kind == "Exclusive":
        difference = untaxed - sum(amounts, Decimal(0))
    else:
        difference = total - sum(amounts, Decimal(0))
    rounding_line = None
    if difference:
        if not rounding_account_code or not no_tax_type:
            return Fit(tax_amounts, problem=(
                "Xero would compute a total of %s instead of Odoo's %s (line amounts are "
                "rounded to the cent one by one). Set a rounding account and the "
                "organisation's no-tax rate in the Xero settings, so a rounding line can "
                "make up the difference." % (total - difference, total)))
        rounding_line = {"Description": "Rounding", "Quantity": Decimal(1),
                         "UnitAmount": difference, "AccountCode": rounding_account_code,
                         "TaxType": no_tax_type}
    fit = Fit(tax_amounts, rounding_line)
    check = fit.apply({"LineAmountTypes": kind, "LineItems": [dict(x) for x in lines]})
    got = xero_totals(check, {**tax_rates, no_tax_type: Decimal(0)})
    if (got["sub_total"], got["total_tax"], got["total"]) != (untaxed, tax, total):
        return Fit(problem="Xero would compute %s + %s tax = %s; Odoo has %s + %s = %s."
                   % (got["sub_total"], got["total_tax"], got["total"], untaxed, tax, total))
    return fit


def answer_mismatch(element, odoo):
    """A sentence when Xero's saved ``SubTotal``/``TotalTax``/``Total`` differ from
    Odoo's ``odoo`` figures (``odoo_figures``), naming both; ``""`` when they agree.

    For the check after a create or update: what Xero stored is what counts, whatever
    the engine predicted.
    """
    labels = (("SubTotal", "untaxed amount"), ("TotalTax", "tax"), ("Total", "total"))
    wrong = []
    for (field, label), expected in zip(labels, odoo, strict=True):
        if element.get(field) is None:
            continue
        got = round_money(element[field])
        if got != expected:
            wrong.append("%s %s in Xero, %s in Odoo" % (label, got, expected))
    if not wrong:
        return ""
    return "Xero saved different totals than Odoo: %s." % "; ".join(wrong)
