"""Figures of the sync dashboard measured on jobs: how long a posted document took to
reach Xero, and how long the queue has held a job back.

They are SQL expressions over columns the queue already keeps (``create_date``,
``done_at``, ``state``, ``kind``), so they are right for every job, whichever path set
its state, and need no column of their own. The graph and pivot views read them through
``_read_group``; the median and the 95th percentile are PostgreSQL's ``percentile_cont``
of each cell, not an average of averages.
"""

from odoo import api, fields, models
from odoo.tools import SQL

from clarus_sync_engine import states

# Posted accounting documents: the post itself queues their job (in its transaction), so
# the job's creation is the moment the document was posted.
POSTED_KINDS = ("invoice", "credit_note")
# Jobs still to be sent: what "queue age" measures.
QUEUED_STATES = (states.PENDING, states.WAITING)
# Measure name -> percentile of ``seconds_to_xero`` in the group.
PERCENTILES = {"seconds_to_xero_median": 0.5, "seconds_to_xero_p95": 0.95}


class ClarusXeroJob(models.Model):
    _inherit = "clarus.xero.job"  # pylint: disable=consider-merging-classes-inherited

    seconds_to_xero = fields.Integer(
        "Seconds to Xero", compute="_compute_dashboard_seconds",
        search="_search_seconds_to_xero", aggregator="avg",
        help="From posting the invoice or credit note (which queued this job) to its "
             "job done in Xero. Empty for other jobs.")
    seconds_to_xero_median = fields.Integer(
        "Seconds to Xero (median)", compute="_compute_dashboard_seconds", aggregator="avg",
        help="Median time from posting to Xero of the documents in the group.")
    seconds_to_xero_p95 = fields.Integer(
        "Seconds to Xero (95th percentile)", compute="_compute_dashboard_seconds",
        aggregator="avg",
        help="95 documents in 100 of the group reached Xero within this many seconds.")
    queue_age_seconds = fields.Integer(
        "Seconds in queue", compute="_compute_dashboard_seconds", aggregator="max",
        help="How long a pending or waiting job has waited since it was queued; the "
             "group's figure is its oldest job's.")

    def _compute_dashboard_seconds(self):
        now = self.env.cr.now()
        for job in self:
            sent = (job.state == states.DONE and job.kind in POSTED_KINDS and job.done_at
                    and job.create_date)
            seconds = round((job.done_at - job.create_date).total_seconds()) if sent else 0
            job.seconds_to_xero = seconds
            job.seconds_to_xero_median = seconds
            job.seconds_to_xero_p95 = seconds
            queued = job.state in QUEUED_STATES and job.create_date
            job.queue_age_seconds = round((now - job.create_date).total_seconds()) if queued else 0

    # ------------------------------------------------------------- SQL figures

    def _seconds_to_xero_sql(self, alias):
        return SQL(
            "CASE WHEN %(state)s = %(done)s AND %(kind)s IN %(kinds)s"
            " THEN EXTRACT(EPOCH FROM %(done_at)s - %(created)s) END",
            state=SQL.identifier(alias, "state"), done=states.DONE,
            kind=SQL.identifier(alias, "kind"), kinds=POSTED_KINDS,
            done_at=SQL.identifier(alias, "done_at"),
            created=SQL.identifier(alias, "create_date"),
        )

    def _queue_age_sql(self, alias):
        return SQL(
            "CASE WHEN %(state)s IN %(queued)s"
            " THEN EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - %(created)s) END",
            state=SQL.identifier(alias, "state"), queued=QUEUED_STATES,
            created=SQL.identifier(alias, "create_date"),
        )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """The dashboard's measures, computed in the database per group."""
        fname, _sep, func = aggregate_spec.partition(":")
        alias = self._table
        if fname in PERCENTILES and func:
            self._check_field_access(self._fields[fname], "read")
            return SQL("ROUND(percentile_cont(%s) WITHIN GROUP (ORDER BY %s))",
                       PERCENTILES[fname], self._seconds_to_xero_sql(alias))
        if fname == "seconds_to_xero" and func in ("avg", "max", "min"):
            self._check_field_access(self._fields[fname], "read")
            return SQL("ROUND(%s(%s))", SQL(func.upper()), self._seconds_to_xero_sql(alias))
        if fname == "queue_age_seconds" and func in ("avg", "max", "min"):
            self._check_field_access(self._fields[fname], "read")
            return SQL("ROUND(%s(%s))", SQL(func.upper()), self._queue_age_sql(alias))
        return super()._read_group_select(aggregate_spec, query)

    def _search_seconds_to_xero(self, operator, value):
        comparisons = {">": ">", ">=": ">=", "<": "<", "<=": "<=", "=": "="}
        if operator not in comparisons or not isinstance(value, (int, float)):
            return NotImplemented
        self.flush_model(["state", "kind", "done_at"])
        self.env.cr.execute(SQL(
            "SELECT id FROM clarus_xero_job WHERE %s %s %s",
            self._seconds_to_xero_sql("clarus_xero_job"), SQL(comparisons[operator]), value))
        return [("id", "in", [row[0] for row in self.env.cr.fetchall()])]
