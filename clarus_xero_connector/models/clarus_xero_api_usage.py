from datetime import timedelta

from odoo import api, fields, models


class ClarusXeroApiUsage(models.Model):
    """API calls made per push run: insert-only, so concurrent workers never contend
    for one counter row. The dashboard sums today's rows."""

    _name = "clarus.xero.api.usage"
    _description = "Xero API usage"
    _order = "id desc"

    connection_id = fields.Many2one(
        "clarus.xero.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    calls = fields.Integer(required=True)
    day_remaining = fields.Integer()
    minute_remaining = fields.Integer()

    @api.model
    def _record(self, connection, calls, headers):
        if not calls:
            return
        lower = {k.lower(): v for k, v in (headers or {}).items()}

        def number(name):
            value = lower.get(name)
            return int(value) if value not in (None, "") else False

        self.sudo().create({
            "connection_id": connection.id,
            "calls": calls,
            "day_remaining": number("x-daylimit-remaining"),
            "minute_remaining": number("x-minlimit-remaining"),
        })

    @api.model
    def _usage_by_connection(self, connections):
        """Calls made today and the last remaining limits Xero reported, per connection."""
        today = fields.Datetime.to_datetime(fields.Date.context_today(self))
        # In a form being edited the records are new ones: read the stored connection's
        # usage (none for a connection not saved yet).
        calls = dict(self.sudo()._read_group(
            [("connection_id", "in", connections._origin.ids), ("create_date", ">=", today)],
            ["connection_id"], ["calls:sum"],
        ))
        result = {}
        for conn in connections:
            origin = conn._origin
            latest = self.sudo().search([("connection_id", "=", origin.id)], limit=1) \
                if origin else self.browse()
            result[conn.id] = {"api_calls_today": calls.get(origin, 0),
                               "day_limit_remaining": latest.day_remaining,
                               "minute_limit_remaining": latest.minute_remaining}
        return result

    @api.autovacuum
    def _gc_old_usage(self):
        self.search([("create_date", "<", fields.Datetime.now() - timedelta(days=7))]).unlink()
