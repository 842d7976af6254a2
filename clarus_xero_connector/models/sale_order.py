from odoo import api, fields, models
from odoo.tools import SQL

from clarus_sync_engine import states

# The Xero status of an order or a delivery, in the words of its list column and filters.
XERO_STATUSES = [
    ("not_sent", "Not sent"),
    ("queued", "Queued"),
    ("synced", "In Xero"),
    ("error", "Error"),
    ("excluded", "Do not sync"),
]
LIVE_JOB_STATES = (states.PENDING, states.WAITING, states.RUNNING)


def search_xero_status(operator, value, status_query):
    """A search method over a status computed in SQL: ``status_query`` selects
    ``(id, status)`` pairs. The negative operators are left to the ORM to negate."""
    if operator != "in":
        return NotImplemented
    wanted = [v for v in value if v]
    condition = SQL("status = ANY(%s)", wanted)
    if False in value:
        condition = SQL("(%s OR status IS NULL)", condition)
    return [("id", "in", SQL("(SELECT id FROM (%s) xero_status WHERE %s)",
                             status_query, condition))]


def blocked_jobs_domain(documents, kinds=None):
    """Jobs of ``documents`` that failed, or wait for a job that failed: both need a
    person before anything more goes."""
    domain = [("res_model", "=", "account.move"), ("res_id", "in", documents.ids),
              "|", ("state", "=", states.FAILED),
              "&", ("state", "=", states.WAITING), ("waits_for_id.state", "=", states.FAILED)]
    return domain + ([("kind", "in", kinds)] if kinds else [])


def cancel_jobs_of(documents, kinds=None):
    """Flagged after they were queued: what has not gone to Xero yet stays out (queued
    and failed jobs are cancelled, each with a note on its document)."""
    domain = [("res_model", "=", "account.move"), ("res_id", "in", documents.ids),
              ("state", "in", list(states.CANCELLABLE_STATES))]
    if kinds:
        domain.append(("kind", "in", kinds))
    jobs = documents.env["clarus.xero.job"].sudo().search(domain)
    jobs.action_cancel()
    return jobs


def failed_job_message(job, documents):
    """A blocked job's error, prefixed with the document it belongs to (and, for a job
    that waits, the record whose job failed)."""
    if not job:
        return False
    document = documents.browse(job.res_id).name or job.record_name
    if job.state == states.WAITING:
        return "%s (waits for %s): %s" % (document, job.waits_for_id.record_name,
                                          job.waits_for_id.error_message or "")
    return "%s: %s" % (document, job.error_message or "")


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "clarus.xero.no.sync.mixin"]

    clarus_xero_no_sync = fields.Boolean(
        help="Keeps every invoice and credit note of this order out of Xero, including those "
        "created after the flag is set. What is queued or failed is cancelled; what Xero "
        "already holds stays there (correct it in Xero or with a credit note).")
    clarus_xero_sync_state = fields.Selection(
        XERO_STATUSES, string="Xero", compute="_compute_clarus_xero_sync_state",
        search="_search_clarus_xero_sync_state",
        help="Where the order's posted invoices and credit notes are: Error when one of them "
        "failed or waits for a job that failed, Queued while one waits to go, Not sent when "
        "one is neither in Xero nor queued, In Xero when all are there. Empty while nothing "
        "is invoiced.")
    clarus_xero_last_error = fields.Text(
        "Last Xero Error", compute="_compute_clarus_xero_last_error",
        groups="account.group_account_invoice")
    clarus_xero_move_ids = fields.Many2many(
        "account.move", string="Sent to Xero", compute="_compute_clarus_xero_move_ids",
        groups="account.group_account_invoice",
        help="The order's posted invoices and credit notes, with what Xero holds of them.")

    def write(self, vals):
        res = super().write(vals)
        if vals.get("clarus_xero_no_sync"):
            cancel_jobs_of(self._clarus_xero_documents())
        return res

    def _compute_clarus_xero_sync_state(self):
        ids = [order_id for order_id in self._origin.ids if order_id]
        found = dict(self.env.execute_query(self._clarus_xero_status_query(ids))) if ids else {}
        for order in self:
            order.clarus_xero_sync_state = found.get(order._origin.id) or (
                "excluded" if order.clarus_xero_no_sync else False)

    def _search_clarus_xero_sync_state(self, operator, value):
        return search_xero_status(operator, value, self._clarus_xero_status_query())

    def _clarus_xero_documents(self):
        """The posted customer invoices and credit notes of these orders."""
        return self.sudo().order_line.invoice_lines.move_id.filtered(
            lambda m: m.move_type in ("out_invoice", "out_refund") and m.state == "posted")

    def _compute_clarus_xero_move_ids(self):
        for order in self:
            order.clarus_xero_move_ids = order._clarus_xero_documents().sorted("id").ids

    def _compute_clarus_xero_last_error(self):
        for order in self:
            documents = order._origin._clarus_xero_documents()
            failed = self.env["clarus.xero.job"].sudo().search(
                blocked_jobs_domain(documents), order="id desc", limit=1)
            order.clarus_xero_last_error = failed_job_message(failed, documents)

    @api.model
    def _clarus_xero_status_query(self, ids=None):
        """``(order id, status)``: the order's flag and its customer's first, then the
        worst state of its posted invoices and credit notes (a document flagged on its
        own does not count, unless all of them are). A job waiting for a job that failed
        is an error: nothing more goes until someone fixes that one."""
        for model in ("sale.order", "sale.order.line", "account.move", "account.move.line",
                      "res.partner", "clarus.xero.job", "clarus.xero.binding"):
            self.env[model].flush_model()
        only = SQL("AND so.id = ANY(%s)", ids) if ids is not None else SQL()
        return SQL(
            """
            WITH documents AS (
                SELECT DISTINCT sol.order_id, am.id AS move_id,
                       COALESCE(am.clarus_xero_no_sync, FALSE) AS flagged
                  FROM sale_order so
                  JOIN sale_order_line sol ON sol.order_id = so.id
                  JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
                  JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                  JOIN account_move am ON am.id = aml.move_id
                 WHERE am.move_type IN ('out_invoice', 'out_refund') AND am.state = 'posted'
                       %(only)s
            ), document_states AS (
                SELECT documents.*,
                       EXISTS(SELECT 1 FROM clarus_xero_job job
                                 LEFT JOIN clarus_xero_job prerequisite
                                        ON prerequisite.id = job.waits_for_id
                               WHERE job.res_model = 'account.move'
                                 AND job.res_id = documents.move_id
                                 AND (job.state = %(failed)s
                                      OR (job.state = %(waiting)s
                                          AND prerequisite.state = %(failed)s))) AS failed,
                       EXISTS(SELECT 1 FROM clarus_xero_job job
                               WHERE job.res_model = 'account.move'
                                 AND job.res_id = documents.move_id
                                 AND job.state = ANY(%(live)s)) AS queued,
                       EXISTS(SELECT 1 FROM clarus_xero_binding binding
                               WHERE binding.res_model = 'account.move'
                                 AND binding.res_id = documents.move_id
                                 AND binding.active) AS bound
                  FROM documents
            )
            SELECT so.id,
                   CASE WHEN COALESCE(so.clarus_xero_no_sync, FALSE)
                             OR COALESCE(customer.clarus_xero_no_sync, FALSE) THEN 'excluded'
                        WHEN bool_or(ds.failed AND NOT ds.flagged) THEN 'error'
                        WHEN bool_or(ds.queued AND NOT ds.flagged) THEN 'queued'
                        WHEN bool_or(NOT ds.bound AND NOT ds.flagged) THEN 'not_sent'
                        WHEN bool_or(ds.bound) THEN 'synced'
                        WHEN count(ds.move_id) > 0 THEN 'excluded'
                   END AS status
              FROM sale_order so
              JOIN res_partner partner ON partner.id = so.partner_id
              JOIN res_partner customer ON customer.id = partner.commercial_partner_id
              LEFT JOIN document_states ds ON ds.order_id = so.id
             WHERE TRUE %(only)s
             GROUP BY so.id, customer.id
            """,
            only=only, failed=states.FAILED, waiting=states.WAITING,
            live=list(LIVE_JOB_STATES),
        )
