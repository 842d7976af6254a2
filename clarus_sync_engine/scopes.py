"""The OAuth scopes the connector asks Xero for.

Granular scopes: apps created since 2 March 2026 must use them and get
``invalid_scope`` / ``unauthorized_client`` when they ask for ``accounting.transactions``;
older apps must move by September 2027 (XERO_API §1, §8). ``accounting.invoices`` covers
invoices, credit notes, purchase orders and items; ``accounting.payments`` payments and
allocations; ``accounting.settings`` accounts, tax rates, currencies, tracking and the
organisation; ``accounting.contacts`` contacts; ``offline_access`` the refresh token.
"""

DEFAULT_SCOPE = ("offline_access accounting.contacts accounting.settings accounting.invoices "
                 "accounting.payments")


def missing_scopes(granted, required=DEFAULT_SCOPE):
    """The required scopes a token's ``scope`` (string or list) does not grant, in order.

    Xero answers a call outside the granted scopes with 401 ``insufficient_scope``;
    checking the token at connection time names the missing scope before any call.
    """
    have = set(granted.split() if isinstance(granted, str) else granted or ())
    return [scope for scope in required.split() if scope not in have]
