from odoo import fields, models

# Xero's limits per organisation and app (XERO_API §8): shown beside the calls per hour.
MINUTE_LIMIT = 60
DAY_LIMIT = 5000


class ClarusXeroApiUsage(models.Model):
    """Calls per hour in the dashboard's graph: the remaining counts Xero returned are
    read at their lowest in each hour, the point closest to a limit."""

    _inherit = "clarus.xero.api.usage"  # pylint: disable=consider-merging-classes-inherited

    calls = fields.Integer("API calls", aggregator="sum")
    day_remaining = fields.Integer(
        "Left of the day limit", aggregator="min",
        help=f"Calls Xero still allowed that day ({DAY_LIMIT:,} a day per organisation); "
             "the lowest value of the group.")
    minute_remaining = fields.Integer(
        "Left of the minute limit", aggregator="min",
        help=f"Calls Xero still allowed in that minute ({MINUTE_LIMIT} a minute per "
             "organisation); the lowest value of the group.")
