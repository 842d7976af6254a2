"""Xero's validation rules that a lenient mock lets through (XERO_API.md §8).

Each check names its source; README "Rules enforced" lists them with the answers.
"""

import datetime as dt
import re

from .msjson import ms_to_ts

# -- Contacts ----------------------------------------------------------------------------------


def contact_name_key(name):
    """S26 and the spec's uniqueness message: names compare without regard to case or to
    leading, trailing and repeated whitespace (strict reading of "unique across all active
    contacts")."""
    return " ".join(str(name or "").split()).casefold()


# S27 (waynerobinson/xeroizer#477): an EmailAddress, when sent, must be ONE valid address.
# Xero's wording is not documented; the emulator answers EMAIL_INVALID (chosen after
# Xero's "Website must be valid." in XeroAPI/Xero-NetStandard#434).
EMAIL_INVALID = "Email address must be valid."
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def email_valid(value):
    text = str(value)
    return len(text) <= 255 and bool(_EMAIL_RE.match(text)) and ".." not in text


# -- Tax rate against account ------------------------------------------------------------------
# S28 (XeroAPI/Xero-Java#336; developer.xero.com/documentation/api/tax-rates): a tax rate
# says where it applies with CanApplyTo<Class>; the account's Class decides.
CLASS_FLAG = {"REVENUE": "CanApplyToRevenue", "EXPENSE": "CanApplyToExpenses",
              "ASSET": "CanApplyToAssets", "LIABILITY": "CanApplyToLiabilities",
              "EQUITY": "CanApplyToEquity"}


def tax_account_message(tax_type, code):
    return "The TaxType code '%s' cannot be used with account code '%s'." % (tax_type, code)


def not_for_documents_message(code):
    # XeroAPI/Xero-NetStandard#364 quotes this wording for an account a document refuses.
    return "Account code '%s' is not a valid code for this document." % code


def check_line_account(account, rate, errors):
    """System accounts and BANK accounts take no ordinary line coding (§8 "Tax rate vs
    account"); otherwise the tax rate must apply to the account's class (S28)."""
    if account.get("SystemAccount") or account["Type"] == "BANK":
        errors.append(not_for_documents_message(account["Code"]))
        return
    flag = CLASS_FLAG.get(account.get("Class"))
    if rate is not None and flag and not rate.get(flag):
        errors.append(tax_account_message(rate["TaxType"], account["Code"]))


# -- Discounts ---------------------------------------------------------------------------------
# Spec LineItem.DiscountRate/DiscountAmount: "Only supported on ACCREC invoices and quotes.
# ACC PAY invoices and credit notes in Xero do not support discounts". Wording chosen.
DISCOUNT_REFUSED = ("Discounts are only supported on ACCREC invoices: ACC PAY invoices and "
                    "credit notes in Xero do not support discounts.")


# -- DueDate -----------------------------------------------------------------------------------
# S30 (xeroizer#290, #395; xero-python#78). Strict reading: the emulator's organisations have
# no default payment terms, so an AUTHORISED invoice must carry its own DueDate.
DUE_DATE_REQUIRED = "The document DueDate field must be specified"


# -- Lock dates --------------------------------------------------------------------------------
# S31 (xeroizer#92) quotes "The document date cannot be before the end of year lock date,
# currently set at 31-Jul-2013". A document dated ON the lock date is locked too (Xero locks
# "up to and including"). The period-lock wording is the same sentence with "period".
LOCK_FIELDS = (("EndOfYearLockDate", "end of year lock date"),
               ("PeriodLockDate", "period lock date"))


def _day(ts):
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%d-%b-%Y")


def lock_message(organisation, date_ms):
    """The refusal for a document dated ``date_ms`` ("/Date(ms)/"), or None when open."""
    when = ms_to_ts(date_ms)
    if when is None:
        return None
    for field, label in LOCK_FIELDS:
        locked = ms_to_ts(organisation.get(field))
        if locked is not None and when <= locked:
            return ("The document date cannot be before the %s, currently set at %s"
                    % (label, _day(locked)))
    return None


def check_lock(organisation, dates, errors):
    """Append the lock-date refusal once when any of ``dates`` falls in a locked period."""
    for date_ms in dates:
        message = lock_message(organisation, date_ms)
        if message:
            errors.append(message)
            return


# -- Inventory accounts and tracked items ------------------------------------------------------
# Xero reserves INVENTORY-type accounts for tracked items: a line coded straight to one is
# refused with "You cannot save this transaction using an inventory account type" (the
# message integrators meet, e.g. AroFlo's help page of that title). On a bill or supplier
# credit note a tracked item always books to its InventoryAssetAccountCode (S20: the
# purchase adds to the item's cost pool); strict reading: another account sent with the
# item is refused rather than silently replaced. On a sale a tracked item's line is its
# revenue; the cost moves from the inventory asset account to COGS on its own, so an
# INVENTORY-type account on a sale line is refused too. Purchase orders post nothing and
# are not checked here.
INVENTORY_ACCOUNT_REFUSED = "You cannot save this transaction using an inventory account type"


def tracked_account_message(item_code, account_code):
    # Wording chosen.
    return ("Tracked inventory item '%s' must be coded to its inventory asset account '%s'."
            % (item_code, account_code))


def check_inventory_coding(account, item, sale, errors):
    """The account of one invoice or credit note line against Xero's inventory rules."""
    tracked = item is not None and item.get("IsTrackedAsInventory")
    if tracked and not sale:
        if account["Code"] != item.get("InventoryAssetAccountCode"):
            errors.append(tracked_account_message(item["Code"],
                                                  item.get("InventoryAssetAccountCode")))
        return
    if account["Type"] == "INVENTORY":
        errors.append(INVENTORY_ACCOUNT_REFUSED)


# -- Zero and negative totals ------------------------------------------------------------------
# An invoice or credit note may total zero (S20: a stock adjustment is a zero-total bill with
# an item line and a negative adjustment line); once AUTHORISED it has nothing to pay and
# Xero shows it PAID (strict reading: nothing outstanding means paid, as for any other
# document paid in full). A negative total is refused: Xero records the other direction
# with the opposite document (a credit note for an invoice). Wording chosen.
NEGATIVE_TOTAL = "The %s total cannot be negative."
