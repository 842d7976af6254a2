"""Stock operations that change what Xero tracks: queued as zero-total Xero documents.

A done stock move of a tracked product that neither a bill nor an invoice carries
(``clarus_sync_engine.stock.classify_move``) belongs to one operation, the record its
job points at and where its Xero status shows:

* an inventory adjustment or a line of a stocktake: the stock move itself (one
  document per move; a stocktake's moves go in batches of documents per request);
* a scrap: the scrap order;
* a return to a supplier: the return picking (one document, one line per product).
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from clarus_sync_engine import states, stock

from .clarus_xero_job import SYNC_CONTEXT_KEY

STOCK_KINDS = tuple(stock.KIND_BY_DIRECTION.values())
STOCK_STATES = [
    ("queued", "Queued"),
    ("synced", "In Xero"),
    ("error", "Error"),
    ("excluded", "Do not sync"),
]
# Prefix of the Xero number of an adjustment move (Odoo gives those moves no number).
ADJUSTMENT_PREFIX = "STK-ADJ-"


class ClarusXeroStockOperation(models.AbstractModel):
    """What a stock operation shows of its Xero document: stored, so lists filter and
    sort by it; written in one statement per model whenever its job moves or it is
    bound (``_clarus_xero_stock_refresh``)."""

    _name = "clarus.xero.stock.operation.mixin"
    _description = "Stock operation sent to Xero"

    clarus_xero_stock_state = fields.Selection(
        STOCK_STATES, "Xero Status", readonly=True, copy=False, index="btree_not_null",
        help="Where this operation's zero-total Xero bill or supplier credit note is: "
             "Queued, In Xero, Error (the reason is beside it), or Do not sync.")
    clarus_xero_stock_number = fields.Char("Xero Document", readonly=True, copy=False)
    clarus_xero_stock_error = fields.Text("Xero Error", readonly=True, copy=False)

    def _clarus_xero_bound(self, connection):
        self._clarus_xero_stock_refresh()

    def _clarus_xero_stock_refresh(self):
        """The status, number and error of these operations from their last stock job
        and their binding, in one UPDATE."""
        ids = [record_id for record_id in self.ids if record_id]
        if not ids:
            return
        for model in ("clarus.xero.job", "clarus.xero.binding"):
            self.env[model].flush_model()
        self.flush_recordset(["clarus_xero_no_sync"])
        self.env.cr.execute(SQL(
            """
            UPDATE %(table)s AS rec
               SET clarus_xero_stock_state = CASE
                       WHEN COALESCE(rec.clarus_xero_no_sync, FALSE) THEN 'excluded'
                       WHEN src.job_state = ANY(%(live)s) THEN 'queued'
                       WHEN src.job_state = %(failed)s THEN 'error'
                       WHEN src.xero_number IS NOT NULL OR src.bound THEN 'synced'
                   END,
                   clarus_xero_stock_number = src.xero_number,
                   clarus_xero_stock_error = CASE WHEN src.job_state = %(failed)s
                                                  THEN src.error_message END
              FROM (SELECT r.id, job.state AS job_state, job.error_message,
                           binding.xero_number, binding.id IS NOT NULL AS bound
                      FROM %(table)s r
                      LEFT JOIN LATERAL (
                            SELECT j.state, j.error_message FROM clarus_xero_job j
                             WHERE j.res_model = %(model)s AND j.res_id = r.id
                               AND j.kind = ANY(%(kinds)s)
                             ORDER BY j.id DESC LIMIT 1) job ON TRUE
                      LEFT JOIN LATERAL (
                            SELECT b.id, b.xero_number FROM clarus_xero_binding b
                             WHERE b.res_model = %(model)s AND b.res_id = r.id AND b.active
                             ORDER BY b.id DESC LIMIT 1) binding ON TRUE
                     WHERE r.id = ANY(%(ids)s)) src
             WHERE rec.id = src.id
            """,
            table=SQL.identifier(self._table), model=self._name, kinds=list(STOCK_KINDS),
            live=[states.PENDING, states.WAITING, states.RUNNING], failed=states.FAILED,
            ids=ids,
        ))
        self.browse(ids).invalidate_recordset(
            ["clarus_xero_stock_state", "clarus_xero_stock_number", "clarus_xero_stock_error"])

    def _clarus_xero_stock_flagged(self):
        """Flagged "do not sync" after being queued: what has not gone stays out."""
        jobs = self.env["clarus.xero.job"].sudo().search([
            ("res_model", "=", self._name), ("res_id", "in", self.ids),
            ("kind", "in", list(STOCK_KINDS)),
            ("state", "in", list(states.CANCELLABLE_STATES))])
        jobs.action_cancel()
        self._clarus_xero_stock_refresh()

    # ------------------------------------------------------------ the document

    def _clarus_xero_stock_number(self):
        """The Xero number of this operation's document."""
        self.ensure_one()
        return self.name

    def _clarus_xero_stock_partner(self, connection):
        """The Xero contact of this operation's document."""
        return connection._stock_adjustment_partner()

    def _clarus_xero_stock_date(self):
        """The day the operation was done (the last of its moves), in the user's zone.
        Each model defines ``_clarus_xero_stock_moves(direction)``: its done moves that
        Xero tracks."""
        self.ensure_one()
        moves = self._clarus_xero_stock_moves()
        return fields.Datetime.context_timestamp(self, max(moves.mapped("date"))).date() \
            if moves else fields.Date.context_today(self)


class StockMove(models.Model):
    _name = "stock.move"
    _inherit = ["stock.move", "clarus.xero.stock.operation.mixin"]

    # Not the mixin's fields: moves keep no chatter, so nothing is tracked.
    clarus_xero_no_sync = fields.Boolean("Do not export to Xero", copy=False)
    clarus_xero_no_sync_reason = fields.Char("Reason not exported", copy=False)
    clarus_xero_on_hand_after = fields.Float(
        "On Hand After Count", readonly=True, copy=False, digits="Product Unit",
        help="For a stocktake line: what the location held of the product once the count "
             "was applied (a count below zero is refused by Xero).")

    @api.constrains("clarus_xero_no_sync", "clarus_xero_no_sync_reason")
    def _check_clarus_xero_no_sync_reason(self):
        for move in self:
            if move.clarus_xero_no_sync and not (move.clarus_xero_no_sync_reason or "").strip():
                raise ValidationError(self.env._(
                    "Say why %s must not be sent to Xero.", move.display_name))

    def write(self, vals):
        res = super().write(vals)
        if vals.get("clarus_xero_no_sync"):
            self._clarus_xero_stock_flagged()
        return res

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves._clarus_xero_queue_stock()
        return moves

    # --------------------------------------------------------------- outbox

    def _clarus_xero_stock_operation(self):
        """``(operation, direction)`` of this done move, or None (see the engine)."""
        self.ensure_one()
        return stock.classify_move(self.location_id.usage, self.location_dest_id.usage,
                                   is_inventory=self.is_inventory,
                                   is_scrap=bool(self.scrap_id),
                                   billed_by_receipt=self._clarus_xero_billed_by_receipt())

    def _clarus_xero_billed_by_receipt(self):
        """A return that lowers its purchase line's received quantity (Odoo's rule in
        ``purchase.order.line._prepare_qty_received``), on a product billed on received
        quantities: the vendor bill or refund of that line carries it to Xero."""
        self.ensure_one()
        line = self.purchase_line_id
        return bool(line and line.qty_received_method == "stock_moves"
                    and (not self.origin_returned_move_id or self.to_refund)
                    and line.product_id.purchase_method == "receive")

    def _clarus_xero_tracked(self):
        """Moves of products that are Xero items Xero tracks: storable, with a code,
        not flagged."""
        return self.filtered(lambda m: m.state == "done" and m.product_id.is_storable
                             and m.product_id.default_code
                             and not m.product_id.clarus_xero_no_sync)

    def _clarus_xero_stock_record(self, operation):
        """The operation this move belongs to: its scrap, its return picking, or itself."""
        if operation == stock.SCRAP:
            return self.scrap_id
        if operation == stock.SUPPLIER_RETURN and self.picking_id:
            return self.picking_id
        return self

    def _clarus_xero_queue_stock(self):
        """Queue the operations of these done moves, in the transaction that did them."""
        if self.env.context.get(SYNC_CONTEXT_KEY):
            return
        Connection = self.env["clarus.xero.connection"].sudo()
        for company, company_moves in self.grouped("company_id").items():
            conn = Connection._for_company(company)
            if conn and conn._sends_stock():
                company_moves.sudo()._clarus_xero_tracked()._clarus_xero_queue_stock_on(conn)

    def _clarus_xero_queue_stock_on(self, conn):
        operations = {}
        for move in self:
            found = move._clarus_xero_stock_operation()
            if not found:
                continue
            operation, direction = found
            record = move._clarus_xero_stock_record(operation)
            if record.clarus_xero_no_sync:
                record._clarus_xero_stock_refresh()
                continue
            operations.setdefault((record, direction), self.browse())
            operations[(record, direction)] |= move
        if not operations:
            return
        self.filtered("is_inventory")._clarus_xero_note_counts()
        rows, prerequisites = [], set()
        for (record, direction), moves in operations.items():
            partner = record._clarus_xero_stock_partner(conn)
            needs = [partner] + list(moves.product_id)
            prerequisites.update(needs)
            rows.append((record, stock.KIND_BY_DIRECTION[direction],
                         [f"{need._name},{need.id}" for need in needs], 10))
        rows = self._clarus_xero_prerequisite_rows(conn, prerequisites) + rows
        self.env["clarus.xero.job"].sudo()._enqueue_many(conn, rows)
        for _model, records in _by_model([record for record, _d in operations]).items():
            records._clarus_xero_stock_refresh()

    def _clarus_xero_prerequisite_rows(self, conn, records):
        """Jobs for the contacts and items Xero does not hold yet."""
        bound = {
            (binding.res_model, binding.res_id)
            for binding in self.env["clarus.xero.binding"].sudo().search_fetch([
                ("connection_id", "=", conn.id),
                ("res_model", "in", ["res.partner", "product.product"]),
                ("res_id", "in", [record.id for record in records]),
            ], ["res_model", "res_id"])
        }
        kinds = {"res.partner": "contact", "product.product": "item"}
        return [(record, kinds[record._name], (), 10)
                for record in sorted(records, key=lambda r: (r._name, r.id))
                if (record._name, record.id) not in bound]

    def _clarus_xero_note_counts(self):
        """Stocktake lines that decrease stock keep what the count left on hand, read in
        one query: a count below zero is refused before anything is sent."""
        out = self.filtered(lambda m: m.location_id.usage == "internal")
        if not out:
            return
        found = {
            (product.id, location.id): quantity
            for product, location, quantity in self.env["stock.quant"].sudo()._read_group(
                [("product_id", "in", out.product_id.ids),
                 ("location_id", "in", out.location_id.ids)],
                ["product_id", "location_id"], ["quantity:sum"])
        }
        # One statement: a stocktake of thousands of lines must not run ``write`` on each.
        self.env.cr.execute(
            """
            UPDATE stock_move SET clarus_xero_on_hand_after = data.quantity
              FROM unnest(%s::int[], %s::float8[]) AS data(id, quantity)
             WHERE stock_move.id = data.id
            """,
            [out.ids, [found.get((move.product_id.id, move.location_id.id), 0.0)
                       for move in out]],
        )
        out.invalidate_recordset(["clarus_xero_on_hand_after"])

    # ------------------------------------------------------------ the document

    def _clarus_xero_stock_moves(self, direction=None):
        self.ensure_one()
        found = self._clarus_xero_stock_operation()
        if not found or (direction and found[1] != direction):
            return self.browse()
        return self._clarus_xero_tracked()

    def _clarus_xero_stock_number(self):
        self.ensure_one()
        return f"{ADJUSTMENT_PREFIX}{self.id}"


class StockScrap(models.Model):
    _name = "stock.scrap"
    _inherit = ["stock.scrap", "clarus.xero.no.sync.mixin", "clarus.xero.stock.operation.mixin"]

    def write(self, vals):
        res = super().write(vals)
        if vals.get("clarus_xero_no_sync"):
            self._clarus_xero_stock_flagged()
        return res

    def _clarus_xero_stock_moves(self, direction=None):
        moves = self.move_ids._clarus_xero_tracked()
        return moves.filtered(lambda m: m._clarus_xero_stock_operation() == (
            stock.SCRAP, direction or stock.DECREASE))


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "clarus.xero.stock.operation.mixin"]

    def write(self, vals):
        res = super().write(vals)
        if vals.get("clarus_xero_no_sync"):
            self._clarus_xero_stock_flagged()
        return res

    def _clarus_xero_stock_moves(self, direction=None):
        moves = self.move_ids._clarus_xero_tracked()
        return moves.filtered(lambda m: m._clarus_xero_stock_operation() == (
            stock.SUPPLIER_RETURN, direction or stock.DECREASE))

    def _clarus_xero_stock_partner(self, connection):
        return self.partner_id.commercial_partner_id or connection._stock_adjustment_partner()


def _by_model(records):
    grouped = {}
    for record in records:
        grouped[record._name] = grouped.get(record._name, record.browse()) | record
    return grouped
