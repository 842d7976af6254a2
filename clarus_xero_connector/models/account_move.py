from odoo import api, fields, models
from odoo.exceptions import UserError

from .clarus_xero_job import SYNC_CONTEXT_KEY

SALES_TYPES = ("out_invoice", "out_refund")
# Fields that may still change on an exported invoice: payment and messaging state,
# which Xero does not hold or which Odoo computes itself.
LOCK_FREE_FIELDS = frozenset({
    "payment_state", "amount_residual", "amount_residual_signed", "message_main_attachment_id",
    "is_move_sent", "sending_data", "invoice_pdf_report_id", "invoice_pdf_report_file",
    "activity_ids", "message_ids", "message_follower_ids", "clarus_xero_no_sync",
    "clarus_xero_no_sync_reason", "access_token", "payment_reference", "narration",
    "matched_payment_ids", "reconciled_payment_ids", "is_manually_modified",
    "needed_terms_dirty", "preferred_payment_method_line_id",
})


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "clarus.xero.synced.mixin"]

    clarus_xero_connection_id = fields.Many2one(
        "clarus.xero.connection", compute="_compute_clarus_xero_connection_id"
    )
    clarus_xero_needs_reauth = fields.Boolean(compute="_compute_clarus_xero_connection_id")

    @api.depends("company_id")
    def _compute_clarus_xero_connection_id(self):
        for move in self:
            conn = self.env["clarus.xero.connection"].sudo()._for_company(move.company_id)
            move.clarus_xero_connection_id = conn
            move.clarus_xero_needs_reauth = conn.state == "needs_reauth"

    # --------------------------------------------------------------- outbox

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._clarus_xero_enqueue()
        return posted

    def _clarus_xero_enqueue(self):
        """Queue posted customer invoices and credit notes, in the posting transaction."""
        if self.env.context.get(SYNC_CONTEXT_KEY):
            return
        for move in self.filtered(lambda m: m.move_type in SALES_TYPES and m.state == "posted"):
            if move._clarus_xero_excluded():
                continue
            conn = self.env["clarus.xero.connection"].sudo()._for_company(move.company_id)
            if not conn or conn.state not in ("connected", "needs_reauth"):
                continue
            move._clarus_xero_enqueue_on(conn)

    @api.model
    def _clarus_xero_queue_backlog(self, connection):
        """Queue the company's posted customer documents that Xero does not hold yet."""
        moves = self.search([
            ("company_id", "=", connection.company_id.id),
            ("move_type", "in", SALES_TYPES), ("state", "=", "posted"),
            ("clarus_xero_no_sync", "=", False),
        ], order="invoice_date, id")
        bound = set(self.env["clarus.xero.binding"].search([
            ("connection_id", "=", connection.id), ("res_model", "=", "account.move"),
            ("res_id", "in", moves.ids)]).mapped("res_id"))
        todo = moves.filtered(lambda m: m.id not in bound)
        todo._clarus_xero_enqueue()
        return len(todo)

    def _clarus_xero_excluded(self):
        """Flagged documents, customers, orders or deliveries are never enqueued."""
        lines = self.invoice_line_ids
        return bool(
            self.clarus_xero_no_sync
            or self.partner_id.commercial_partner_id.clarus_xero_no_sync
            or any(lines.sale_line_ids.order_id.mapped("clarus_xero_no_sync"))
        )

    def _clarus_xero_enqueue_on(self, conn):
        Job = self.env["clarus.xero.job"].sudo()
        partner = self.partner_id.commercial_partner_id
        depends = []
        if not partner._clarus_xero_binding(conn):
            Job._enqueue(conn, partner, "contact")
        depends.append(f"res.partner,{partner.id}")
        for product in self._clarus_xero_products():
            if not product._clarus_xero_binding(conn):
                Job._enqueue(conn, product, "item")
            depends.append(f"product.product,{product.id}")
        kind = "invoice" if self.move_type == "out_invoice" else "credit_note"
        origin = self.reversed_entry_id
        if kind == "credit_note" and origin:
            depends.append(f"account.move,{origin.id}")
        Job._enqueue(conn, self, kind, depends_on=depends)
        if kind == "credit_note" and origin and origin.move_type == "out_invoice":
            Job._enqueue(conn, self, "allocation", depends_on=[f"account.move,{origin.id}"])
        if kind == "invoice" and self._clarus_xero_shipments():
            Job._enqueue(conn, self, "history")

    def _clarus_xero_products(self):
        """Products that become Xero items: those with an internal reference."""
        return self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and line.product_id.default_code
            and not line.product_id.clarus_xero_no_sync
        ).product_id

    def _clarus_xero_shipments(self):
        """Done outgoing deliveries behind this invoice that carry a tracking reference."""
        pickings = self.invoice_line_ids.sale_line_ids.move_ids.picking_id
        if "clarus_picking_ids" in self._fields:
            pickings |= self.clarus_picking_ids
        return pickings.filtered(
            lambda p: p.state == "done"
            and p.picking_type_code == "outgoing"
            and p.carrier_tracking_ref
            and not p.clarus_xero_no_sync
        )

    # ------------------------------------------------------- lock after export

    def _clarus_xero_locked(self):
        return self.filtered(
            lambda m: m.clarus_xero_connection_id.lock_after_export
            and m._clarus_xero_binding(m.clarus_xero_connection_id)
        )

    def _clarus_xero_check_unlocked(self, what):
        locked = self._clarus_xero_locked()
        if locked:
            raise UserError(self.env._(
                "%(moves)s is already in Xero and locked: it %(what)s. Correct it with a "
                "credit note.", moves=", ".join(locked.mapped("name")), what=what,
            ))

    def write(self, vals):
        if not self.env.context.get(SYNC_CONTEXT_KEY) and set(vals) - LOCK_FREE_FIELDS:
            self._clarus_xero_check_unlocked(self.env._("cannot be edited"))
        return super().write(vals)

    def button_draft(self):
        self._clarus_xero_check_unlocked(self.env._("cannot go back to draft"))
        return super().button_draft()
