"""The connection's pull settings and how far each collection was read."""

import datetime

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from clarus_sync_engine import inbound

from .clarus_xero_connection_scheduling import WORK

PULL_DAYS = [
    ("weekdays", "Monday to Friday"),
    ("monday_saturday", "Monday to Saturday"),
    ("every_day", "Every day"),
]


def _tz_selection(_model):
    return [(tz, tz) for tz in sorted(pytz.all_timezones)]


class ClarusXeroConnection(models.Model):
    _inherit = "clarus.xero.connection"  # pylint: disable=consider-merging-classes-inherited

    pull_interval_hours = fields.Integer(
        "Pull every (hours)", default=2,
        help="How often the changes made in Xero (payments, statuses, contacts) are read.")
    pull_business_hours = fields.Boolean(
        "Pull in business hours only",
        help="Outside these days and hours the scheduled pull does not run; webhooks and "
             "retries are still read back.")
    pull_days = fields.Selection(PULL_DAYS, "Pull on", default="weekdays", required=True)
    pull_hour_from = fields.Float("Pull from", default=7.0)
    pull_hour_to = fields.Float("Pull until", default=19.0)
    pull_tz = fields.Selection(
        _tz_selection, "Business hours time zone",
        default=lambda self: self.env.user.tz or "UTC")
    # {collection: ISO moment}: the latest Xero change applied and committed, per
    # collection (``inbound.COLLECTIONS``). Only the pull writes it, under the
    # organisation's lock.
    pull_watermarks = fields.Json(readonly=True, copy=False)
    pull_last_run_at = fields.Datetime("Last pull", readonly=True, copy=False)
    pull_watermark_summary = fields.Text(
        "Read up to", compute="_compute_pull_watermark_summary",
        help="The latest change made in Xero that Odoo has applied, per kind of record.")

    @api.constrains("pull_interval_hours", "pull_hour_from", "pull_hour_to")
    def _check_pull_schedule(self):
        for conn in self:
            if conn.pull_interval_hours < 1:
                raise ValidationError(self.env._(
                    "The pull of %s must run at least once an hour or less often: enter a "
                    "number of hours of 1 or more.", conn.name))
            if not (0 <= conn.pull_hour_from <= 24 and 0 <= conn.pull_hour_to <= 24):
                raise ValidationError(self.env._(
                    "Business hours of %s must lie between 00:00 and 24:00.", conn.name))

    @api.depends("pull_watermarks")
    def _compute_pull_watermark_summary(self):
        labels = {"invoices": self.env._("Invoices and bills"),
                  "credit_notes": self.env._("Credit notes"),
                  "payments": self.env._("Payments"),
                  "overpayments": self.env._("Overpayments"),
                  "prepayments": self.env._("Prepayments"),
                  "contacts": self.env._("Contacts")}
        for conn in self:
            marks = conn.pull_watermarks or {}
            conn.pull_watermark_summary = "\n".join(
                f"{labels[name]}: {marks[name].replace('T', ' ')} UTC"
                for name in inbound.PULL_ORDER if marks.get(name)) or False

    def write(self, vals):
        result = super().write(vals)
        if "pull_interval_hours" in vals:
            for conn in self:
                cron = conn._cron("pull")
                if cron:
                    cron.write({"interval_number": conn.pull_interval_hours,
                                "interval_type": "hours"})
        return result

    def _create_cron(self, kind, work):
        if kind == "pull":
            work = work._replace(interval_number=self.pull_interval_hours or
                                 WORK["pull"].interval_number)
        return super()._create_cron(kind, work)

    # ------------------------------------------------------------ watermarks

    def _pull_watermark(self, name):
        """The stored watermark of collection ``name`` (naive UTC), or None."""
        self.ensure_one()
        value = (self.pull_watermarks or {}).get(name)
        return datetime.datetime.fromisoformat(value) if value else None

    def _set_pull_watermark(self, name, moment):
        self.ensure_one()
        marks = dict(self.pull_watermarks or {})
        marks[name] = moment.isoformat(timespec="milliseconds") if moment else False
        self.sudo().pull_watermarks = {k: v for k, v in marks.items() if v}

    def _pull_in_hours(self, now=None):
        """Is the scheduled pull allowed now (business hours, when set)?"""
        self.ensure_one()
        if not self.pull_business_hours:
            return True
        now = now or fields.Datetime.now()
        zone = pytz.timezone(self.pull_tz or "UTC")
        local = pytz.utc.localize(now).astimezone(zone)
        return inbound.within_business_hours(local, self.pull_days, self.pull_hour_from,
                                             self.pull_hour_to)
