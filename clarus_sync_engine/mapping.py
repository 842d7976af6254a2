"""Plain Odoo data -> Xero JSON elements (PascalCase keys, as the SDK sends them raw).

Each function returns one *element* (one contact, one invoice...); the client wraps
elements in the collection key (``{"Invoices": [...]}``). Money and quantities are
``Decimal``; the SDK serialises them as JSON numbers (use ``json.dumps(default=str)``
to inspect a payload). Dates are ``YYYY-MM-DD`` strings, which Xero accepts.

Input shapes (plain dicts; optional keys may be absent or None):

``partner``: ``{ref, name, email, phone, vat, street, street2, city, zip, state,
country_code, xero_id}``

``move`` (invoice, bill or credit note): ``{number, type: "ACCREC"|"ACCPAY",
sale_order_ref, vendor_ref, origin_ref, date, due_date, currency, rate, contact_id,
xero_id, status: "AUTHORISED"|"DRAFT", line_amount_types: "Exclusive"|"Inclusive"|
"NoTax", rounding: "round_per_line"|"round_globally", amount_untaxed, amount_tax,
amount_total, rounding_account_code, no_tax_type, lines: [line]}``. ``no_tax_type``
is the organisation's "no tax" TaxType (``taxes.no_tax_type``: NONE, or BASEXCLUDED in
Australia); it is never assumed.

Supplier documents (``type: "ACCPAY"``, a bill or, through ``credit_note_payload``, an
ACCPAYCREDIT): ``vendor_ref`` is the vendor's own bill or credit note number, sent as
``InvoiceNumber`` / ``CreditNoteNumber`` (``number``, Odoo's, when the vendor gave none;
Xero does not need it unique there). No ``Reference`` is sent (Xero takes one on ACCREC
and ACCRECCREDIT only) and unit prices go net of any discount (``net_unit_price``).

``line``: ``{item_code, description, quantity, price_unit, discount, account_code,
tax_type, tax_rate (percent, needed to match Odoo's tax total),
tracking: [{name, option}], xero_line_id, shipping}``. ``shipping`` (optional, true
for a shipping and handling line) sends the line with no ``ItemCode`` whatever
``item_code`` says: it is coded to its account only.

``order`` (purchase order): ``{number, date, delivery_date, expected_arrival_date,
currency, rate, contact_id, reference, delivery_address, attention_to, telephone,
delivery_instructions, status: "DRAFT"|"SUBMITTED"|"AUTHORISED"|"BILLED"|"DELETED",
line_amount_types, xero_id, lines: [line]}``, plus optionally ``amount_untaxed,
amount_tax, amount_total, rounding_account_code, no_tax_type`` to land on Odoo's
totals as for ``move``. ``delivery_date`` is Odoo's ``date_planned``;
``delivery_address`` is one string whose line breaks are kept, or a list of lines
(joined with line breaks); ``delivery_instructions`` is cut to Xero's 500 characters.
Lines take no discount (Xero refuses one on purchase orders): unit prices go net. A
``DELETED`` order with a ``xero_id`` is sent as ``{PurchaseOrderID, Status: "DELETED"}``
alone (``purchase_order_delete_payload``).

``payment``: ``{invoice_id | credit_note_id, account_code, date, amount, reference,
rate}``
"""

import datetime

from . import totals as T
from .contacts import email_to_send
from .totals import totals_match, xero_totals  # noqa: F401  (public API of this module)
from .validation import validate_invoice, validate_item, validate_purchase_order  # noqa: F401

HISTORY_MAX = 250
# Spec PurchaseOrder.DeliveryInstructions: 500 characters; the address keeps the same cap.
DELIVERY_MAX = 500
ELLIPSIS = "\u2026"


def truncate(text, limit):
    """``text`` cut to ``limit`` characters at a word boundary when possible, with an ellipsis."""
    text = " ".join(str(text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-/") + ELLIPSIS


def _date(value):
    if value in (None, "", False):
        return None
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)[:10]


def _compact(data):
    """Drop keys whose value is None, so Xero keeps its defaults for them."""
    return {key: value for key, value in data.items() if value is not None}


def contact_payload(partner, notes=None):
    """A Xero Contact; ``ContactNumber`` is the Odoo reference, our stable match key.

    ``EmailAddress`` is sent only when Odoo holds exactly one valid address (Xero
    refuses a list or junk, XERO_API §8); otherwise it is left out and, when ``notes``
    is a list, the reason is appended to it for the user.
    """
    email, reason = email_to_send(partner.get("email"))
    if reason and notes is not None:
        notes.append(reason)
    address = _compact({
        "AddressType": "STREET",
        "AddressLine1": partner.get("street") or None,
        "AddressLine2": partner.get("street2") or None,
        "City": partner.get("city") or None,
        "Region": partner.get("state") or None,
        "PostalCode": partner.get("zip") or None,
        "Country": partner.get("country_code") or None,
    })
    payload = _compact({
        "ContactID": partner.get("xero_id") or None,
        "ContactNumber": (partner.get("ref") or "")[:50] or None,
        "Name": truncate(partner.get("name"), 255),
        "EmailAddress": email,
        "TaxNumber": partner.get("vat") or None,
    })
    if len(address) > 1:
        payload["Addresses"] = [address]
    if partner.get("phone"):
        payload["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": partner["phone"]}]
    return payload


def item_payload(product, tracked, accounts):
    """A Xero Item.

    ``product``: ``{default_code, name, description, purchase_description, list_price,
    standard_price, sale_ok, purchase_ok, xero_id}``; ``accounts``: ``{sales_account,
    sales_tax_type, purchase_account, purchase_tax_type, cogs_account,
    inventory_account}``. A tracked item carries the inventory asset account and books
    its purchases to COGS. Xero rules (XERO_API §8): a tracked item needs
    ``PurchaseDetails.COGSAccountCode``, and ``IsPurchased`` false nulls
    PurchaseDetails, so a tracked item is always purchasable whatever Odoo's
    ``purchase_ok`` says; ``validation.validate_item`` refuses one without a COGS account.
    """
    payload = _compact({
        "ItemID": product.get("xero_id") or None,
        "Code": product.get("default_code"),
        "Name": truncate(product.get("name"), 50),
        "Description": truncate(product.get("description") or product.get("name"), 4000),
        "PurchaseDescription": truncate(product["purchase_description"], 4000)
        if product.get("purchase_description") else None,
        "IsSold": bool(product.get("sale_ok", True)),
        "IsPurchased": bool(tracked or product.get("purchase_ok", True)),
    })
    if payload["IsSold"]:
        payload["SalesDetails"] = _compact({
            "UnitPrice": T.round_unit(product.get("list_price") or 0),
            "AccountCode": accounts.get("sales_account"),
            "TaxType": accounts.get("sales_tax_type"),
        })
    if payload["IsPurchased"]:
        account_key = "COGSAccountCode" if tracked else "AccountCode"
        account = accounts.get("cogs_account") if tracked else accounts.get("purchase_account")
        payload["PurchaseDetails"] = _compact({
            "UnitPrice": T.round_unit(product.get("standard_price") or 0),
            account_key: account,
            "TaxType": accounts.get("purchase_tax_type"),
        })
    if tracked:
        payload["InventoryAssetAccountCode"] = accounts.get("inventory_account")
    return payload


def net_unit_price(price_unit, discount):
    """The unit price with the discount folded in, at 4 dp: ``price x (1 - disc/100)``.

    Xero rule: "ACC PAY invoices and credit notes in Xero do not support discounts"
    (spec, LineItem.DiscountRate; XERO_API §4, §8). Bills and credit notes send this
    net price instead of a DiscountRate; ``totals.fit_to_odoo`` absorbs the cents the
    4-dp rounding moves.
    """
    discount = T.to_decimal(discount or 0)
    return T.round_unit(T.to_decimal(price_unit or 0) * (1 - discount / T.HUNDRED))


def _line_payload(line, discounts=True):
    tracking = [{"Name": t["name"], "Option": t["option"]} for t in line.get("tracking") or ()]
    description = line.get("description") or line.get("item_code") or "-"
    discount = T.to_decimal(line.get("discount") or 0)
    if discounts or not discount:
        unit, rate = T.round_unit(line.get("price_unit") or 0), discount or None
    else:
        unit, rate = net_unit_price(line.get("price_unit"), discount), None
    return _compact({
        "LineItemID": line.get("xero_line_id") or None,
        "ItemCode": None if line.get("shipping") else line.get("item_code") or None,
        "Description": truncate(description, 4000),
        "Quantity": T.to_decimal(line.get("quantity", 1)),
        "UnitAmount": unit,
        "DiscountRate": rate,
        "AccountCode": line.get("account_code") or None,
        "TaxType": line.get("tax_type") or None,
        "Tracking": tracking or None,
    })


def _tax_rates(move):
    return {line.get("tax_type"): T.to_decimal(line["tax_rate"])
            for line in move.get("lines") or ()
            if line.get("tax_type") and line.get("tax_rate") is not None}


def _fit_totals(payload, move, problems):
    """Make Xero's totals Odoo's, to the cent (``totals.fit_to_odoo``)."""
    odoo = T.odoo_figures(move.get("amount_untaxed"), move.get("amount_tax"),
                          move.get("amount_total"))
    if odoo is None or not payload["LineItems"]:
        return
    fit = T.fit_to_odoo(payload, _tax_rates(move), odoo, move.get("rounding_account_code"),
                        move.get("no_tax_type") or move.get("rounding_tax_type"))
    if fit.problem and problems is not None:
        problems.append(fit.problem)
    fit.apply(payload)  # whatever could be decided (the tax spread) still applies


def _document(move, discounts, problems):
    payload = _compact({
        "Contact": {"ContactID": move.get("contact_id")},
        "Date": _date(move.get("date")),
        "DueDate": _date(move.get("due_date")),
        "CurrencyCode": move.get("currency") or None,
        "CurrencyRate": T.to_decimal(move["rate"]) if move.get("rate") else None,
        "Status": move.get("status") or "AUTHORISED",
        "LineAmountTypes": move.get("line_amount_types") or "Exclusive",
        "LineItems": [_line_payload(line, discounts) for line in move.get("lines") or ()],
    })
    _fit_totals(payload, move, problems)
    return payload


def _reference(*parts):
    return truncate(" / ".join(p for p in parts if p), 255) or None


def invoice_payload(move, problems=None):
    """A Xero Invoice: ACCREC numbered as in Odoo, or an ACCPAY bill (supplier's number).

    ACCREC keeps ``DiscountRate``; an ACCPAY bill sends net unit prices
    (``net_unit_price``). With Odoo's totals in ``move``, the payload lands on them to
    the cent (``totals.fit_to_odoo``); when it cannot, the reason is appended to
    ``problems`` (pass a list: the document must then not be sent).
    """
    kind = move.get("type") or "ACCREC"
    payload = _document(move, kind == "ACCREC", problems)
    payload["Type"] = kind
    if move.get("xero_id"):
        payload["InvoiceID"] = move["xero_id"]
    if kind == "ACCREC":
        payload["InvoiceNumber"] = move.get("number")
        reference = _reference(move.get("number"), move.get("sale_order_ref"))
        if reference:
            payload["Reference"] = reference
    else:
        payload["InvoiceNumber"] = move.get("vendor_ref") or move.get("number")
    return payload


def credit_note_payload(move, problems=None):
    """A Xero CreditNote (ACCRECCREDIT for customers, ACCPAYCREDIT for suppliers).

    An ACCPAYCREDIT is numbered with the vendor's reference (``vendor_ref``, else
    ``number``) and carries no Reference. Credit notes take no DiscountRate: net unit
    prices are sent (``net_unit_price``); totals and ``problems`` as for
    ``invoice_payload``.
    """
    kind = "ACCPAYCREDIT" if move.get("type") == "ACCPAY" else "ACCRECCREDIT"
    payload = _document(move, False, problems)
    payload.pop("DueDate", None)
    payload["Type"] = kind
    payload["CreditNoteNumber"] = (move.get("vendor_ref") if kind == "ACCPAYCREDIT" else None) \
        or move.get("number")
    if move.get("xero_id"):
        payload["CreditNoteID"] = move["xero_id"]
    reference = _reference(move.get("number"), move.get("origin_ref"))
    if reference and kind == "ACCRECCREDIT":
        # Spec CreditNote.Reference: "ACCRECCREDIT only".
        payload["Reference"] = reference
    return payload


def allocation_payload(credit_note_id, invoice_id, amount, date):
    """One allocation of a credit note to an invoice.

    ``CreditNote.CreditNoteID`` names the parent for the URL
    ``PUT /CreditNotes/{id}/Allocations``; the client removes it from the body.
    """
    return {
        "CreditNote": {"CreditNoteID": credit_note_id},
        "Invoice": {"InvoiceID": invoice_id},
        "Amount": T.round_money(amount),
        "Date": _date(date),
    }


def history_note(carrier, tracking_ref, picking_name):
    """A shipping note of at most 250 characters; the tracking number is kept whole."""
    tracking = " ".join(str(tracking_ref or "").split())
    tail = (", tracking " + tracking) if tracking else ""
    head = "Shipped %s" % (picking_name or "").strip() if picking_name else "Shipped"
    via = (" via " + " ".join(str(carrier).split())) if carrier else ""
    if len(tail) > HISTORY_MAX - 20:
        return truncate("Shipped, tracking " + tracking, HISTORY_MAX)
    room = HISTORY_MAX - len(tail)
    return truncate(head + via, room) + tail


def history_payload(parent_kind, parent_id, details):
    """One history note: ``ParentKind``/``ParentID`` route it, only ``Details`` is sent."""
    return {"ParentKind": parent_kind, "ParentID": parent_id,
            "Details": truncate(details, HISTORY_MAX)}


def _delivery_address(value):
    """A multi-line address: each line's spaces collapsed, empty lines dropped, at most 500
    characters (cut at a line break when possible)."""
    lines = value if isinstance(value, (list, tuple)) else str(value or "").splitlines()
    lines = [" ".join(str(part or "").split()) for part in lines]
    text = "\n".join(part for part in lines if part)
    if len(text) <= DELIVERY_MAX:
        return text or None
    cut = text[:DELIVERY_MAX]
    if "\n" in cut[DELIVERY_MAX // 2:]:
        return cut[:cut.rindex("\n")]
    return cut[:DELIVERY_MAX - 1].rstrip() + ELLIPSIS


def _short(value, limit=255):
    return truncate(value, limit) if value not in (None, "", False) else None


def purchase_order_delete_payload(xero_id):
    """Delete a purchase order Xero holds: the ID and the status, nothing else.

    Xero (and the emulator) accept a DELETED status from DRAFT, SUBMITTED or AUTHORISED
    with no other field; sending the lines again could only add reasons to refuse it.
    A BILLED order cannot be deleted."""
    return {"PurchaseOrderID": xero_id, "Status": "DELETED"}


def purchase_order_payload(order, problems=None):
    """A Xero PurchaseOrder (the supplier contact must already be in Xero).

    Keys as in the module docstring. With Odoo's totals in ``order`` the payload lands on
    them to the cent (``totals.fit_to_odoo``); ``problems`` as for ``invoice_payload``.
    ``validation.validate_purchase_order`` checks the result before it is sent.
    """
    status = order.get("status") or "AUTHORISED"
    if status == "DELETED" and order.get("xero_id"):
        return purchase_order_delete_payload(order["xero_id"])
    payload = _compact({
        "PurchaseOrderID": order.get("xero_id") or None,
        "PurchaseOrderNumber": order.get("number") or None,
        "Reference": _short(order.get("reference")),
        "Contact": {"ContactID": order.get("contact_id")},
        "Date": _date(order.get("date")),
        "DeliveryDate": _date(order.get("delivery_date")),
        "ExpectedArrivalDate": _date(order.get("expected_arrival_date")),
        "DeliveryAddress": _delivery_address(order.get("delivery_address")),
        # Caps as for a contact's Address.AttentionTo (255) and Phone.PhoneNumber (50)
        # in the spec; the purchase order fields give none.
        "AttentionTo": _short(order.get("attention_to")),
        "Telephone": _short(order.get("telephone"), 50),
        "DeliveryInstructions": _short(order.get("delivery_instructions"), DELIVERY_MAX),
        "CurrencyCode": order.get("currency") or None,
        "CurrencyRate": T.to_decimal(order["rate"]) if order.get("rate") else None,
        "Status": status,
        "LineAmountTypes": order.get("line_amount_types") or "Exclusive",
        "LineItems": [_line_payload(line, False) for line in order.get("lines") or ()],
    })
    _fit_totals(payload, order, problems)
    return payload


def payment_payload(payment):
    """A Xero Payment against an invoice or a credit note, from a bank (or payable) account."""
    if payment.get("credit_note_id"):
        document = {"CreditNote": {"CreditNoteID": payment["credit_note_id"]}}
    else:
        document = {"Invoice": {"InvoiceID": payment.get("invoice_id")}}
    return _compact({
        **document,
        "Account": {"Code": payment.get("account_code")},
        "Date": _date(payment.get("date")),
        "Amount": T.round_money(payment.get("amount")),
        "Reference": truncate(payment["reference"], 255) if payment.get("reference") else None,
        "CurrencyRate": T.to_decimal(payment["rate"]) if payment.get("rate") else None,
    })
