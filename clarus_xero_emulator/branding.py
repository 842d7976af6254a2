"""Branding themes: read-only in the API, two per organisation as Xero's demo company has.

``GET /BrandingThemes`` and ``GET /BrandingThemes/{BrandingThemeID}`` (spec
``getBrandingThemes`` / ``getBrandingTheme``); themes are made in Xero's settings, never
through the API. A document that names a theme the organisation does not have (deleted
in Xero, or from another organisation) is refused: Xero creates no invoice with an
invalid BrandingThemeID (XeroAPI/xero-php-oauth2#267; message wording chosen here).
"""

from .common import envelope, find_by_id, not_found, output
from .msjson import ms_date
from .state import new_id

COLLECTION = "BrandingThemes"
# Name, SortOrder: the default theme has SortOrder 0 (spec BrandingTheme.SortOrder).
DEMO_THEMES = (("Standard", 0), ("Special Projects", 1))


def seed_themes(org, ts):
    """Give ``org`` the demo company's two themes."""
    themes = org.data.setdefault(COLLECTION, {})
    for name, sort_order in DEMO_THEMES:
        theme_id = new_id()
        themes[theme_id] = {"BrandingThemeID": theme_id, "Name": name, "Type": "INVOICE",
                            "SortOrder": sort_order, "CreatedDateUTC": ms_date(ts)}
    return themes


def _themes(ctx):
    return ctx.data.get(COLLECTION) or {}


def get_branding_themes(ctx):
    themes = sorted(_themes(ctx).values(), key=lambda t: (t["SortOrder"], t["Name"]))
    return envelope(ctx, COLLECTION, [output(ctx, t) for t in themes])


def get_branding_theme(ctx):
    theme = find_by_id(ctx, COLLECTION, ctx.args[0]) if _themes(ctx) else None
    if theme is None:
        raise not_found()
    return envelope(ctx, COLLECTION, [output(ctx, theme)])


def invalid_theme_message(theme_id):
    return "The BrandingThemeID %s is not valid for this organisation." % theme_id


def check_branding_theme(ctx, el, errors):
    """A document's BrandingThemeID, when sent, must be one of the organisation's themes."""
    theme_id = el.get("BrandingThemeID")
    if theme_id and (not _themes(ctx) or find_by_id(ctx, COLLECTION, theme_id) is None):
        errors.append(invalid_theme_message(theme_id))
