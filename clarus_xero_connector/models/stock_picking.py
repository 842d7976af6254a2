from odoo import api, fields, models
from odoo.tools import SQL

from clarus_sync_engine import states

from .sale_order import (
    LIVE_JOB_STATES,
    XERO_STATUSES,
    blocked_jobs_domain,
    cancel_jobs_of,
    failed_job_message,
    search_xero_status,
)

# Invoice What Shipped (clarus_wms_allocation) names the deliveries each invoice bills.
NAMED_DELIVERIES_TABLE = "clarus_account_move_stock_picking_rel"


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "clarus.xero.no.sync.mixin"]

    clarus_xero_no_sync = fields.Boolean(
        help="Keeps this delivery's shipment note (carrier and tracking reference) off the "
        "Xero invoice's history. The invoice that bills the delivery still goes to Xero, "
        "unless its sale order or its customer is flagged too. A note already queued is "
        "cancelled when this was the invoice's only shipment to tell about.")
    clarus_xero_sync_state = fields.Selection(
        XERO_STATUSES, string="Xero Note", compute="_compute_clarus_xero_sync_state",
        search="_search_clarus_xero_sync_state",
        help="Where the shipment note of a done sale order delivery is: In Xero once it is on "
        "the history of an invoice that bills the delivery, Queued while it waits to go, "
        "Error when it failed or waits for an invoice that failed, Not sent otherwise (no "
        "tracking reference yet, not billed, or the invoice is not in Xero). Do not sync "
        "when the delivery, its sale order or its customer is flagged.")
    clarus_xero_last_error = fields.Text(
        "Last Xero Error", compute="_compute_clarus_xero_last_error",
        groups="account.group_account_invoice")
    clarus_xero_invoice_ids = fields.Many2many(
        "account.move", string="Billed On", compute="_compute_clarus_xero_invoice_ids",
        groups="account.group_account_invoice",
        help="Posted invoices that bill this delivery, with what Xero holds of them.")

    def write(self, vals):
        res = super().write(vals)
        if "carrier_tracking_ref" in vals:
            self._clarus_xero_queue_history()
        if vals.get("clarus_xero_no_sync"):
            # A note queued for invoices that have no other shipment to tell about stays
            # out; the others still go, without this delivery (read when sent).
            invoices = self.sudo()._clarus_xero_invoices()
            cancel_jobs_of(invoices.filtered(lambda m: not m._clarus_xero_shipments()),
                           ["history"])
        return res

    def _clarus_xero_invoices(self):
        """Posted customer invoices that bill these deliveries. An invoice that names the
        deliveries it bills (Invoice What Shipped) counts for those only; any other counts
        for every delivery of the sale lines it bills."""
        Move = self.env["account.move"]
        invoices = self.move_ids.sale_line_id.invoice_lines.move_id
        if "clarus_picking_ids" in Move._fields:
            invoices = invoices.filtered(lambda m: not m.clarus_picking_ids)
            invoices |= Move.search([("clarus_picking_ids", "in", self.ids)])
        return invoices.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")

    def _clarus_xero_queue_history(self):
        """A tracking reference entered after billing still reaches the Xero invoice."""
        done = self.filtered(lambda p: p.state == "done" and p.picking_type_code == "outgoing"
                             and p.carrier_tracking_ref and not p.clarus_xero_no_sync)
        Job = self.env["clarus.xero.job"].sudo()
        # Whoever enters the tracking reference (a stock user, who cannot read invoices)
        # still gets it to Xero: the invoices are looked up as superuser.
        for invoice in done.sudo()._clarus_xero_invoices():
            conn = self.env["clarus.xero.connection"].sudo()._for_company(invoice.company_id)
            if conn.state in ("connected", "needs_reauth") and Job.search_count([
                ("res_model", "=", "account.move"), ("res_id", "=", invoice.id),
                ("kind", "=", "invoice"),
            ]):
                Job._enqueue(conn, invoice, "history")

    # ------------------------------------------------------------ Xero page

    def _compute_clarus_xero_invoice_ids(self):
        for picking in self:
            picking.clarus_xero_invoice_ids = picking._origin.sudo()._clarus_xero_invoices().ids

    def _compute_clarus_xero_last_error(self):
        for picking in self:
            invoices = picking._origin.sudo()._clarus_xero_invoices()
            failed = self.env["clarus.xero.job"].sudo().search(
                blocked_jobs_domain(invoices, ["history"]), order="id desc", limit=1)
            picking.clarus_xero_last_error = failed_job_message(failed, invoices)

    def _compute_clarus_xero_sync_state(self):
        ids = [picking_id for picking_id in self._origin.ids if picking_id]
        found = dict(self.env.execute_query(self._clarus_xero_status_query(ids))) if ids else {}
        for picking in self:
            picking.clarus_xero_sync_state = found.get(picking._origin.id) or (
                "excluded" if picking.clarus_xero_no_sync else False)

    def _search_clarus_xero_sync_state(self, operator, value):
        return search_xero_status(operator, value, self._clarus_xero_status_query())

    def _clarus_xero_invoices_query(self, only):
        """``(picking id, invoice id)`` of posted customer invoices, as
        ``_clarus_xero_invoices`` finds them."""
        named = "clarus_picking_ids" in self.env["account.move"]._fields
        by_lines = SQL(
            """
            SELECT DISTINCT sm.picking_id, am.id AS move_id
              FROM stock_move sm
              JOIN stock_picking p ON p.id = sm.picking_id
              JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sm.sale_line_id
              JOIN account_move_line aml ON aml.id = rel.invoice_line_id
              JOIN account_move am ON am.id = aml.move_id
             WHERE am.move_type = 'out_invoice' AND am.state = 'posted' %s %s
            """,
            only,
            SQL("AND NOT EXISTS(SELECT 1 FROM %s named WHERE named.move_id = am.id)",
                SQL.identifier(NAMED_DELIVERIES_TABLE)) if named else SQL(),
        )
        if not named:
            return by_lines
        return SQL(
            """%s
            UNION
            SELECT named.picking_id, named.move_id
              FROM %s named
              JOIN stock_picking p ON p.id = named.picking_id
              JOIN account_move am ON am.id = named.move_id
             WHERE am.move_type = 'out_invoice' AND am.state = 'posted' %s
            """,
            by_lines, SQL.identifier(NAMED_DELIVERIES_TABLE), only,
        )

    @api.model
    def _clarus_xero_status_query(self, ids=None):
        """``(picking id, status)``: the flags of the delivery, its order and its customer
        first; then, for done customer deliveries, the shipment note on their invoices."""
        for model in ("stock.picking", "stock.move", "sale.order", "account.move",
                      "account.move.line", "res.partner", "clarus.xero.job",
                      "clarus.xero.binding"):
            self.env[model].flush_model()
        only = SQL("AND p.id = ANY(%s)", ids) if ids is not None else SQL()
        return SQL(
            """
            WITH invoices AS (%(invoices)s),
            invoice_states AS (
                SELECT invoices.picking_id,
                       bool_or(EXISTS(SELECT 1 FROM clarus_xero_job job
                                         LEFT JOIN clarus_xero_job prerequisite
                                                ON prerequisite.id = job.waits_for_id
                                       WHERE job.res_model = 'account.move'
                                         AND job.res_id = invoices.move_id
                                         AND job.kind = 'history'
                                         AND (job.state = %(failed)s
                                              OR (job.state = %(waiting)s
                                                  AND prerequisite.state = %(failed)s))))
                           AS failed,
                       bool_or(EXISTS(SELECT 1 FROM clarus_xero_job job
                                       WHERE job.res_model = 'account.move'
                                         AND job.res_id = invoices.move_id
                                         AND job.kind = 'history'
                                         AND job.state = ANY(%(live)s))) AS queued,
                       bool_or(EXISTS(SELECT 1 FROM clarus_xero_binding binding
                                       WHERE binding.res_model = 'account.move'
                                         AND binding.res_id = invoices.move_id
                                         AND binding.active AND binding.history_sent)) AS sent
                  FROM invoices
                 GROUP BY invoices.picking_id
            )
            SELECT p.id,
                   CASE WHEN COALESCE(p.clarus_xero_no_sync, FALSE)
                             OR COALESCE(so.clarus_xero_no_sync, FALSE)
                             OR COALESCE(customer.clarus_xero_no_sync, FALSE) THEN 'excluded'
                        WHEN p.state != 'done' OR picking_type.code != 'outgoing'
                             OR p.sale_id IS NULL THEN NULL
                        WHEN COALESCE(inv.failed, FALSE) THEN 'error'
                        WHEN COALESCE(inv.queued, FALSE) THEN 'queued'
                        WHEN COALESCE(inv.sent, FALSE)
                             AND COALESCE(p.carrier_tracking_ref, '') != '' THEN 'synced'
                        ELSE 'not_sent'
                   END AS status
              FROM stock_picking p
              JOIN stock_picking_type picking_type ON picking_type.id = p.picking_type_id
              LEFT JOIN sale_order so ON so.id = p.sale_id
              LEFT JOIN res_partner partner ON partner.id = COALESCE(so.partner_id, p.partner_id)
              LEFT JOIN res_partner customer ON customer.id = partner.commercial_partner_id
              LEFT JOIN invoice_states inv ON inv.picking_id = p.id
             WHERE TRUE %(only)s
            """,
            invoices=self._clarus_xero_invoices_query(only), only=only,
            failed=states.FAILED, waiting=states.WAITING, live=list(LIVE_JOB_STATES),
        )
