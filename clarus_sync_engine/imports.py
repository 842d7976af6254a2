"""The reads of the one-time imports, and Xero records as the values Odoo stores.

Contacts are read page by page at Xero's largest page size (1,000: XERO_API §3), active
ones only: an archived contact cannot be used on new documents, so it is not worth a
partner. Items are not paged by Xero. Branding themes are a short list. Every read goes
through ``XeroGateway._call``, so it is paced like every other call.
"""

from decimal import Decimal

CONTACT_PAGE_SIZE = 1000


def read_contacts(gateway, tenant_id):
    """Every active Xero contact, all pages."""
    contacts = gateway._paged("get_contacts", tenant_id, "Contacts",
                              page_size=CONTACT_PAGE_SIZE)
    return [c for c in contacts if (c.get("ContactStatus") or "ACTIVE") == "ACTIVE"]


def read_items(gateway, tenant_id):
    """Every Xero item, with unit prices at 4 decimals."""
    data, _headers, _status = gateway._call(gateway.accounting, "get_items", tenant_id,
                                            unitdp=4)
    return (data or {}).get("Items") or []


def read_branding_themes(gateway, tenant_id):
    """The organisation's branding themes, the default (SortOrder 0) first."""
    data, _headers, _status = gateway._call(gateway.accounting, "get_branding_themes",
                                            tenant_id)
    themes = (data or {}).get("BrandingThemes") or []
    return sorted(themes, key=lambda t: (t.get("SortOrder") or 0, t.get("Name") or ""))


def _text(value):
    text = " ".join(str(value or "").split())
    return text or None


def _address(contact):
    """The street address, else the postal one (Xero's POBOX), else none."""
    by_type = {a.get("AddressType"): a for a in contact.get("Addresses") or ()}
    for kind in ("STREET", "POBOX"):
        address = by_type.get(kind)
        if address and any(address.get(k) for k in ("AddressLine1", "City", "PostalCode")):
            return address
    return {}


def _phone(contact):
    by_type = {p.get("PhoneType"): p for p in contact.get("Phones") or ()}
    for kind in ("DEFAULT", "MOBILE"):
        phone = by_type.get(kind) or {}
        number = _text(phone.get("PhoneNumber"))
        if number:
            parts = (phone.get("PhoneCountryCode"), phone.get("PhoneAreaCode"), number)
            return " ".join(p for p in (_text(x) for x in parts) if p)
    return None


def partner_values(contact):
    """A Xero contact as plain partner values (keys named after ``res.partner`` fields;
    ``country_code`` is an ISO code or a country name as Xero keeps it)."""
    address = _address(contact)
    return {
        "name": _text(contact.get("Name")),
        "email": _text(contact.get("EmailAddress")),
        "vat": _text(contact.get("TaxNumber")),
        "phone": _phone(contact),
        "street": _text(address.get("AddressLine1")),
        "street2": _text(address.get("AddressLine2")),
        "city": _text(address.get("City")),
        "zip": _text(address.get("PostalCode")),
        "country_code": _text(address.get("Country")),
        "is_customer": bool(contact.get("IsCustomer")),
        "is_supplier": bool(contact.get("IsSupplier")),
    }


def _price(details):
    value = (details or {}).get("UnitPrice")
    return float(Decimal(str(value))) if value is not None else None


def product_values(item):
    """A Xero item as plain product values (keys named after ``product.product`` fields;
    a price Xero does not hold is None, and then left as it is)."""
    return {
        "name": _text(item.get("Name")) or _text(item.get("Code")),
        "default_code": _text(item.get("Code")),
        "description_sale": item.get("Description") or None,
        "description_purchase": item.get("PurchaseDescription") or None,
        "list_price": _price(item.get("SalesDetails")),
        "standard_price": _price(item.get("PurchaseDetails")),
        "sale_ok": item.get("IsSold", True) is not False,
        "purchase_ok": item.get("IsPurchased", True) is not False,
        "is_storable": bool(item.get("IsTrackedAsInventory")),
    }
