"""The sync dashboard's connection cards: the figures, the jobs behind each of them, and
why a connection that is not connected is not, with what to do about it."""

from datetime import timedelta

from odoo import fields, models

from clarus_sync_engine import dashboard, states
from clarus_sync_engine.dashboard import format_seconds

from .clarus_xero_job_stats import POSTED_KINDS, QUEUED_STATES

# Median and 95th percentile of the time to Xero are measured over this period.
LATENCY_PERIOD = timedelta(days=7)
JOB_VIEWS = [(False, "list"), (False, "form")]

DOWN_REASONS = [
    (dashboard.NEVER, "Never connected"),
    (dashboard.CONSENT_REFUSED, "Authorisation refused"),
    (dashboard.CHOOSE_TENANT, "Organisation not chosen"),
    (dashboard.TOKEN_REFUSED, "Authorisation expired or revoked"),
    (dashboard.TENANT_GONE, "Organisation disconnected in Xero"),
    (dashboard.MISSING_SCOPE, "Permission missing"),
    (dashboard.ADDRESSES_CHANGED, "Xero addresses changed"),
    (dashboard.DISCONNECTED, "Disconnected here"),
]


class ClarusXeroConnection(models.Model):
    _inherit = "clarus.xero.connection"  # pylint: disable=consider-merging-classes-inherited

    down_reason = fields.Selection(
        DOWN_REASONS, compute="_compute_down_reason", string="Why not connected")
    down_explanation = fields.Char(compute="_compute_down_reason", string="What happened")
    down_todo = fields.Char(compute="_compute_down_reason", string="What to do")

    queue_oldest_at = fields.Datetime(
        "Oldest job queued at", compute="_compute_dashboard_figures",
        help="When the oldest job still waiting to be sent was queued.")
    queue_age_seconds = fields.Integer(
        "Oldest job waits (s)", compute="_compute_dashboard_figures")
    queue_age_display = fields.Char("Oldest job waits", compute="_compute_dashboard_figures")
    sent_week_count = fields.Integer(
        "Documents sent in 7 days", compute="_compute_dashboard_figures")
    seconds_to_xero_median = fields.Integer(
        "Median time to Xero (s)", compute="_compute_dashboard_figures",
        help="Median time from posting an invoice or credit note to its job done, over "
             "the last 7 days.")
    seconds_to_xero_p95 = fields.Integer(
        "95th percentile time to Xero (s)", compute="_compute_dashboard_figures",
        help="95 documents in 100 posted in the last 7 days reached Xero within this time.")
    median_display = fields.Char("Median time to Xero", compute="_compute_dashboard_figures")
    p95_display = fields.Char("95% reach Xero within", compute="_compute_dashboard_figures")

    def _compute_down_reason(self):
        labels = dict(DOWN_REASONS)
        texts = self._down_texts()
        for conn in self:
            holds_tokens = bool(conn.sudo().refresh_token or conn.sudo().access_token)
            reason = dashboard.down_reason(conn.state, conn.last_error, holds_tokens)
            conn.down_reason = reason or False
            explanation, todo = texts.get(reason, (False, False))
            conn.down_explanation = explanation and f"{labels[reason]}: {explanation}"
            conn.down_todo = todo

    def _down_texts(self):
        """What happened and what to do, per reason: translated sentences."""
        reconnect = self.env._(
            "Click Reconnect and approve access in Xero; queued jobs wait and go as soon as "
            "it is done.")
        return {
            "never": (
                self.env._("this company was never connected to a Xero organisation."),
                self.env._(
                    "Click Connect, sign in to Xero and approve access for the organisation "
                    "this company keeps its books in.")),
            "consent_refused": (
                self.env._("the last attempt to connect did not complete."),
                self.env._(
                    "Click Connect and approve access in Xero; the message below says what "
                    "Xero answered.")),
            "choose_tenant": (
                self.env._(
                    "Xero granted access to several organisations and none is chosen yet."),
                self.env._(
                    "Click Choose organisation and pick the one this company keeps its "
                    "books in.")),
            "token_refused": (
                self.env._(
                    "Xero refused the stored authorisation and it could not be refreshed "
                    "(unused for 60 days, revoked, or connected again elsewhere)."),
                reconnect),
            "tenant_gone": (
                self.env._(
                    "the organisation disconnected this app in Xero, or the user who "
                    "connected it lost access."),
                self.env._(
                    "Ask a Xero adviser of the organisation to click Reconnect here and "
                    "approve access, then retry the failed jobs.")),
            "missing_scope": (
                self.env._("the authorisation lacks a permission the sync needs."),
                reconnect),
            "addresses_changed": (
                self.env._(
                    "the Xero addresses of this connection changed, so its tokens were "
                    "dropped."),
                reconnect),
            "disconnected": (
                self.env._("someone disconnected this company from Xero here; nothing is sent."),
                self.env._("Click Reconnect when this company should send to Xero again.")),
        }

    def _compute_dashboard_figures(self):
        Job = self.env["clarus.xero.job"]
        ids = self._origin.ids
        queued = {conn.id: (oldest, age) for conn, oldest, age in Job._read_group(
            [("connection_id", "in", ids), ("state", "in", QUEUED_STATES)],
            ["connection_id"], ["create_date:min", "queue_age_seconds:max"])}
        latency = {conn.id: (count, median, p95) for conn, count, median, p95 in Job._read_group(
            self._sent_documents_domain(ids),
            ["connection_id"],
            ["__count", "seconds_to_xero_median:avg", "seconds_to_xero_p95:avg"])}
        for conn in self:
            oldest, age = queued.get(conn._origin.id, (False, 0))
            count, median, p95 = latency.get(conn._origin.id, (0, 0, 0))
            conn.update({
                "queue_oldest_at": oldest, "queue_age_seconds": age or 0,
                "queue_age_display": format_seconds(age) if oldest else False,
                "sent_week_count": count, "seconds_to_xero_median": median or 0,
                "seconds_to_xero_p95": p95 or 0,
                "median_display": format_seconds(median) if count else False,
                "p95_display": format_seconds(p95) if count else False,
            })

    def _sent_documents_domain(self, ids):
        since = self.env.cr.now() - LATENCY_PERIOD
        return [("connection_id", "in", ids), ("state", "=", states.DONE),
                ("kind", "in", POSTED_KINDS), ("done_at", ">=", since)]

    # ---------------------------------------------------- one click: the jobs

    def _jobs_action(self, name, domain, context=None):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "clarus.xero.job",
            "views": JOB_VIEWS,
            "view_mode": "list,form",
            "domain": [("connection_id", "in", self.ids), *domain],
            "context": context or {},
        }

    def action_open_pending_jobs(self):
        return self._jobs_action(self.env._("Pending jobs"), [("state", "=", states.PENDING)])

    def action_open_running_jobs(self):
        return self._jobs_action(self.env._("Running jobs"), [("state", "=", states.RUNNING)])

    def action_open_done_today_jobs(self):
        today = fields.Datetime.to_datetime(fields.Date.context_today(self))
        return self._jobs_action(self.env._("Jobs done today"),
                                 [("state", "=", states.DONE), ("done_at", ">=", today)])

    def action_open_queued_jobs(self):
        """The queue, oldest first: the job behind "oldest job waits" heads the list."""
        action = self._jobs_action(self.env._("Jobs waiting to be sent"),
                                   [("state", "in", QUEUED_STATES)])
        oldest_first = self.env.ref("clarus_xero_connector.clarus_xero_job_view_list_oldest")
        action["views"] = [(oldest_first.id, "list"), (False, "form")]
        return action

    def action_open_sent_documents(self):
        """The documents the median and the 95th percentile were measured on."""
        domain = self._sent_documents_domain(self.ids)[1:]
        return self._jobs_action(self.env._("Documents sent in the last 7 days"), domain)

    def action_open_slowest_documents(self):
        """The slowest twentieth: documents that took the 95th percentile or longer."""
        self.ensure_one()
        domain = self._sent_documents_domain(self.ids)[1:]
        domain.append(("seconds_to_xero", ">=", self.seconds_to_xero_p95))
        return self._jobs_action(self.env._("Slowest documents to reach Xero"), domain)
