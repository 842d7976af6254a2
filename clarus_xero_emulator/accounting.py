"""Accounting API routing table: (method, path template) -> handler."""

from functools import partial

from . import branding, credits, documents, ledger, manual_journals, parties, payments, settings

ROUTES = [
    ("GET", "/Organisation", settings.get_organisation),
    ("GET", "/Accounts", settings.get_accounts),
    ("PUT", "/Accounts", settings.put_account),
    ("GET", "/Accounts/{AccountID}", settings.get_account),
    ("POST", "/Accounts/{AccountID}", settings.post_account),
    ("GET", "/TaxRates", settings.get_tax_rates),
    ("PUT", "/TaxRates", settings.put_tax_rates),
    ("POST", "/TaxRates", settings.post_tax_rates),
    ("GET", "/Currencies", settings.get_currencies),
    ("PUT", "/Currencies", settings.put_currency),
    ("GET", "/TrackingCategories", settings.get_tracking_categories),
    ("PUT", "/TrackingCategories", settings.put_tracking_category),
    ("GET", "/TrackingCategories/{TrackingCategoryID}", settings.get_tracking_category),
    ("PUT", "/TrackingCategories/{TrackingCategoryID}/Options", settings.put_tracking_options),
    ("GET", "/Contacts", parties.get_contacts),
    ("PUT", "/Contacts", parties.put_contacts),
    ("POST", "/Contacts", parties.post_contacts),
    ("GET", "/Contacts/{ContactID}", parties.get_contact),
    ("POST", "/Contacts/{ContactID}", parties.post_contact),
    ("GET", "/Items", parties.get_items),
    ("PUT", "/Items", parties.put_items),
    ("POST", "/Items", parties.post_items),
    ("GET", "/Items/{ItemID}", parties.get_item),
    ("POST", "/Items/{ItemID}", parties.post_item),
    ("GET", "/Payments", payments.get_payments),
    ("PUT", "/Payments", payments.put_payments),
    ("POST", "/Payments", payments.post_payments),
    ("GET", "/Payments/{PaymentID}", payments.get_payment),
    ("POST", "/Payments/{PaymentID}", payments.post_payment),
    ("PUT", "/CreditNotes/{CreditNoteID}/Allocations", payments.put_allocations),
    ("GET", "/BrandingThemes", branding.get_branding_themes),
    ("GET", "/BrandingThemes/{BrandingThemeID}", branding.get_branding_theme),
]

for _coll, _id in (("Overpayments", "OverpaymentID"), ("Prepayments", "PrepaymentID")):
    ROUTES += [
        ("GET", "/%s" % _coll, partial(credits.list_credits, coll=_coll)),
        ("GET", "/%s/{%s}" % (_coll, _id), partial(credits.get_credit, coll=_coll)),
        ("PUT", "/%s/{%s}/Allocations" % (_coll, _id),
         partial(credits.put_credit_allocations, coll=_coll)),
    ]

ROUTES += [
    ("GET", "/Contacts/{ContactID}/History", parties.get_contact_history),
    ("GET", "/BankTransactions", credits.list_bank_transactions),
    ("GET", "/BankTransactions/{BankTransactionID}", credits.get_bank_transaction),
]

for _coll, _id in (("CreditNotes", "CreditNoteID"), ("Overpayments", "OverpaymentID"),
                   ("Prepayments", "PrepaymentID")):
    ROUTES.append(("DELETE", "/%s/{%s}/Allocations/{AllocationID}" % (_coll, _id),
                   partial(credits.delete_allocation_route, coll=_coll)))

for _coll, _id in (("Invoices", "InvoiceID"), ("CreditNotes", "CreditNoteID"),
                   ("PurchaseOrders", "PurchaseOrderID")):
    ROUTES += [
        ("GET", "/%s" % _coll, partial(documents.list_documents, coll=_coll)),
        ("PUT", "/%s" % _coll, partial(documents.put_documents, coll=_coll)),
        ("POST", "/%s" % _coll, partial(documents.post_documents, coll=_coll)),
        ("GET", "/%s/{%s}" % (_coll, _id), partial(documents.get_document, coll=_coll)),
        ("POST", "/%s/{%s}" % (_coll, _id), partial(documents.post_document, coll=_coll)),
        ("GET", "/%s/{%s}/History" % (_coll, _id), partial(payments.get_history, coll=_coll)),
        ("PUT", "/%s/{%s}/History" % (_coll, _id), partial(payments.put_history, coll=_coll)),
        ("POST", "/%s/{%s}/History" % (_coll, _id), partial(payments.put_history, coll=_coll)),
    ]

ROUTES += [
    ("GET", "/ManualJournals", manual_journals.list_journals),
    ("PUT", "/ManualJournals", manual_journals.put_journals),
    ("POST", "/ManualJournals", manual_journals.post_journals),
    ("GET", "/ManualJournals/{ManualJournalID}", manual_journals.get_journal),
    ("POST", "/ManualJournals/{ManualJournalID}", manual_journals.post_journal),
    ("GET", "/Reports/TrialBalance", ledger.get_trial_balance),
    ("GET", "/Reports/BalanceSheet", ledger.get_balance_sheet),
]


def _split(path):
    return [p for p in path.split("/") if p]


_COMPILED = [(m, t, _split(t), h) for m, t, h in ROUTES]


def match(method, sub_path):
    """-> (template, handler, args) | (template, None, None) for a wrong method | None."""
    parts = _split(sub_path)
    wrong_method = None
    for route_method, template, segments, handler in _COMPILED:
        if len(segments) != len(parts):
            continue
        args = []
        for seg, part in zip(segments, parts, strict=True):
            if seg.startswith("{"):
                args.append(part)
            elif seg.lower() != part.lower():
                break
        else:
            if route_method == method:
                return template, handler, args
            wrong_method = template
    if wrong_method:
        return wrong_method, None, None
    return None
