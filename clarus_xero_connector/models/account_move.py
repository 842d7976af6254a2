from collections import namedtuple

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from .clarus_xero_document import LINE_FIELDS_SENT, MOVE_FIELDS_SENT, fields_not_sent
from .clarus_xero_job import SYNC_CONTEXT_KEY

SALES_TYPES = ("out_invoice", "out_refund")
# Vendor bills and refunds go when the connection's ``send_vendor_bills`` is on.
PURCHASE_TYPES = ("in_invoice", "in_refund")
SYNCED_TYPES = SALES_TYPES + PURCHASE_TYPES
INVOICE_TYPES = ("out_invoice", "in_invoice")
# What the posting's one look-up learns about the company's connection.
ConnectionFound = namedtuple(
    "ConnectionFound", "conn state send_vendor_bills shipping_product_id bound")
LINE_COMMAND_FIELDS = ("invoice_line_ids", "line_ids")


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "clarus.xero.synced.mixin"]

    clarus_xero_connection_id = fields.Many2one(
        "clarus.xero.connection", compute="_compute_clarus_xero_connection_id"
    )
    clarus_xero_needs_reauth = fields.Boolean(compute="_compute_clarus_xero_connection_id")

    @api.depends("company_id", "move_type")
    def _compute_clarus_xero_connection_id(self):
        for move in self:
            conn = self.env["clarus.xero.connection"].sudo()._for_company(move.company_id)
            move.clarus_xero_connection_id = conn
            # Only where it matters: a document this connection would send.
            move.clarus_xero_needs_reauth = conn.state == "needs_reauth" and (
                move.move_type in SALES_TYPES
                or (move.move_type in PURCHASE_TYPES and conn.send_vendor_bills))

    # --------------------------------------------------------------- outbox

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._clarus_xero_enqueue()
        posted._clarus_xero_update_purchase_orders()
        return posted

    def _clarus_xero_enqueue(self):
        """Queue posted customer invoices and credit notes, and vendor bills and refunds
        when the connection sends them, in the posting transaction."""
        if self.env.context.get(SYNC_CONTEXT_KEY):
            return
        moves = self.filtered(lambda m: m.move_type in SYNCED_TYPES and m.state == "posted")
        for company, company_moves in moves.grouped("company_id").items():
            found = company_moves._clarus_xero_connection_and_bound(company)
            if not found.conn or found.state not in ("connected", "needs_reauth"):
                continue
            types = SYNCED_TYPES if found.send_vendor_bills else SALES_TYPES
            todo = company_moves.filtered(
                lambda m, types=types: m.move_type in types and not m._clarus_xero_excluded())
            shipping = todo._clarus_xero_shipping_products(
                self.env["product.product"].browse(found.shipping_product_id))
            todo._clarus_xero_enqueue_on(found.conn, found.bound, shipping)

    def _clarus_xero_update_purchase_orders(self):
        """A posted bill changes its purchase orders in Xero (they become BILLED): the
        purchase order side queues that change, in the same transaction."""
        if self.env.context.get(SYNC_CONTEXT_KEY):
            return
        bills = self.filtered(lambda m: m.move_type in PURCHASE_TYPES)
        orders = bills.invoice_line_ids.purchase_line_id.order_id
        if orders and hasattr(orders, "_clarus_xero_queue_update"):
            orders._clarus_xero_queue_update()

    def _clarus_xero_prerequisites(self, shipping=None):
        """Customers, vendors and items these documents need in Xero first, in id order
        (so that transactions queueing the same contacts lock them in one order)."""
        return (self.partner_id.commercial_partner_id.sorted("id"),
                self._clarus_xero_products(shipping).sorted("id"))

    def _clarus_xero_shipping_products(self, shipping_product):
        """The products of these documents that are shipping and handling, read together:
        the connection's ``shipping_product`` and delivery carriers' charge products (the
        rule of ``clarus.xero.connection._is_shipping_product``)."""
        products = self.invoice_line_ids.product_id
        if not products:
            return products
        carriers = self.env["delivery.carrier"].sudo().with_context(active_test=False) \
            .search([("product_id", "in", products.ids)])
        return (products & shipping_product) | carriers.product_id

    def _clarus_xero_connection_and_bound(self, company):
        """The company's active connection, its state, what it sends, and which of these
        documents' contacts and items it already holds: one query, run at every posting."""
        partners, products = self._clarus_xero_prerequisites()
        self.env["clarus.xero.connection"].flush_model(
            ["company_id", "active", "state", "send_vendor_bills", "shipping_product_id"])
        self.env["clarus.xero.binding"].flush_model(
            ["connection_id", "res_model", "res_id", "active"])
        self.env.cr.execute(
            """
            SELECT conn.id, conn.state, conn.send_vendor_bills, conn.shipping_product_id,
                   binding.res_model, binding.res_id
              FROM clarus_xero_connection conn
              LEFT JOIN clarus_xero_binding binding ON binding.connection_id = conn.id
               AND binding.active
               AND ((binding.res_model = 'res.partner' AND binding.res_id = ANY(%s))
                    OR (binding.res_model = 'product.product' AND binding.res_id = ANY(%s)))
             WHERE conn.company_id = %s AND conn.active
            """,
            [partners.ids, products.ids, company.id],
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return ConnectionFound(self.env["clarus.xero.connection"], None, False, None, set())
        conn_id, state, send_vendor_bills, shipping_product_id = rows[0][:4]
        bound = {(model, res_id) for *_conn, model, res_id in rows if model}
        return ConnectionFound(self.env["clarus.xero.connection"].sudo().browse(conn_id),
                               state, send_vendor_bills, shipping_product_id, bound)

    @api.model
    def _clarus_xero_backlog(self, connection):
        """The company's posted documents this connection sends that Xero does not hold
        yet: customer invoices and credit notes, vendor bills and refunds."""
        move_types = SYNCED_TYPES if connection.send_vendor_bills else SALES_TYPES
        moves = self.search([
            ("company_id", "=", connection.company_id.id),
            ("move_type", "in", move_types), ("state", "=", "posted"),
            ("clarus_xero_no_sync", "=", False),
        ], order="invoice_date, id")
        bound = set(self.env["clarus.xero.binding"].search([
            ("connection_id", "=", connection.id), ("res_model", "=", "account.move"),
            ("res_id", "in", moves.ids)]).mapped("res_id"))
        return moves.filtered(lambda m: m.id not in bound and not m._clarus_xero_excluded())

    @api.model
    def _clarus_xero_queue_backlog(self, connection):
        """Queue the backlog, except the documents Xero would refuse for its lock date
        (the connection names those); returns how many were queued."""
        todo = self._clarus_xero_backlog(connection)
        todo -= connection._hold_back_locked(todo)
        todo._clarus_xero_enqueue()
        return len(todo)

    def _clarus_xero_excluded(self):
        """Flagged documents, customers, vendors or orders are never enqueued."""
        lines = self.invoice_line_ids
        return bool(
            self.clarus_xero_no_sync
            or self.partner_id.commercial_partner_id.clarus_xero_no_sync
            or any(lines.sale_line_ids.order_id.mapped("clarus_xero_no_sync"))
            or any(lines.purchase_line_id.order_id.mapped("clarus_xero_no_sync"))
        )

    def _clarus_xero_enqueue_on(self, conn, bound=None, shipping=None):
        """Queue these documents, and the contacts and items Xero does not hold yet
        (``bound``: ``(model, id)`` pairs it holds; looked up when not given), in one
        statement. ``shipping``: their shipping and handling products, which never
        become items (read from ``conn`` when not given)."""
        if not self:
            return self.env["clarus.xero.job"]
        if shipping is None:
            shipping = self._clarus_xero_shipping_products(conn.shipping_product_id)
        partners, products = self._clarus_xero_prerequisites(shipping)
        if bound is None:
            bound = {
                (binding.res_model, binding.res_id)
                for binding in self.env["clarus.xero.binding"].sudo().search_fetch([
                    ("connection_id", "=", conn.id),
                    ("res_model", "in", ["res.partner", "product.product"]),
                    ("res_id", "in", partners.ids + products.ids),
                ], ["res_model", "res_id"])
            }
        rows = [(record, kind, (), 10)
                for records, kind in ((partners, "contact"), (products, "item"))
                for record in records if (record._name, record.id) not in bound]
        for move in self:
            rows += move._clarus_xero_job_rows(shipping)
        return self.env["clarus.xero.job"].sudo()._enqueue_many(conn, rows)

    def _clarus_xero_job_rows(self, shipping=None):
        """The document's own jobs: itself, its allocation, its shipment note. A bill is
        an "invoice" (ACCPAY), a vendor refund a "credit_note" (ACCPAYCREDIT)."""
        self.ensure_one()
        depends = [f"res.partner,{self.partner_id.commercial_partner_id.id}"]
        depends += [f"product.product,{product.id}"
                    for product in self._clarus_xero_products(shipping)]
        kind = "invoice" if self.move_type in INVOICE_TYPES else "credit_note"
        origin = self.reversed_entry_id
        if kind == "credit_note" and origin:
            depends.append(f"account.move,{origin.id}")
        rows = [(self, kind, depends, 10)]
        if kind == "credit_note" and origin and origin.move_type in INVOICE_TYPES:
            rows.append((self, "allocation", [f"account.move,{origin.id}"], 10))
        if self.move_type == "out_invoice" and self._clarus_xero_shipments():
            rows.append((self, "history", (), 10))
        return rows

    def _clarus_xero_products(self, shipping=None):
        """Products that become Xero items: those with an internal reference, except the
        ``shipping`` and handling ones, which go with no item code."""
        return self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and line.product_id.default_code
            and not line.product_id.clarus_xero_no_sync
        ).product_id - (shipping or self.env["product.product"])

    def _clarus_xero_shipments(self):
        """Done outgoing deliveries behind this invoice that carry a tracking reference."""
        if "clarus_picking_ids" in self._fields and self.clarus_picking_ids:
            # An invoice of what shipped names its deliveries: the earlier shipments of the
            # same order lines were noted on their own invoices.
            pickings = self.clarus_picking_ids
        else:
            pickings = self.invoice_line_ids.sale_line_ids.move_ids.picking_id
        return pickings.filtered(
            lambda p: p.state == "done"
            and p.picking_type_code == "outgoing"
            and p.carrier_tracking_ref
            and not p.clarus_xero_no_sync
        )

    # ------------------------------------------------------- lock after export

    @api.model
    def _clarus_xero_sent_fields_in(self, vals):
        """``(model, field)`` pairs of ``vals`` that Xero holds a copy of. Lines are
        changed through commands: only updates of fields not sent leave them alone."""
        changed = {("account.move", name) for name in MOVE_FIELDS_SENT.intersection(vals)
                   if name not in LINE_COMMAND_FIELDS}
        for name in LINE_COMMAND_FIELDS:
            for command in vals.get(name) or ():
                if isinstance(command, (list, tuple)) and command[0] == Command.UPDATE:
                    changed |= {("account.move.line", line_field)
                                for line_field in LINE_FIELDS_SENT.intersection(command[2])}
                else:
                    changed.add(("account.move", name))
        return changed

    def _clarus_xero_locked(self, changed):
        """The posted documents in Xero whose connection locks them and sends one of the
        ``changed`` fields. Anything else is filtered out before the one look-up."""
        synced = self.filtered(lambda m: m.state == "posted" and m.move_type in SYNCED_TYPES)
        if not synced or not changed:
            return self.browse()
        self.env["clarus.xero.binding"].flush_model()
        self.env["clarus.xero.connection"].flush_model()
        self.env.cr.execute(
            """
            SELECT binding.res_id, conn.company_id, conn.tracking_source,
                   conn.include_product_description
              FROM clarus_xero_binding binding
              JOIN clarus_xero_connection conn ON conn.id = binding.connection_id
             WHERE binding.res_model = 'account.move' AND binding.res_id = ANY(%s)
               AND binding.active AND conn.active AND conn.lock_after_export
            """,
            [synced.ids],
        )
        locked_ids = {
            res_id for res_id, company_id, tracking_source, with_description
            in self.env.cr.fetchall()
            if changed - fields_not_sent(tracking_source, with_description,
                                         synced.browse(res_id).move_type)
            and synced.browse(res_id).company_id.id == company_id
        }
        return synced.filtered(lambda m: m.id in locked_ids)

    def _clarus_xero_check_unlocked(self, changed, what=None):
        locked = self._clarus_xero_locked(changed)
        if not locked:
            return
        if what is None:
            labels = sorted({
                self.env[model]._fields[name]._description_string(self.env)
                for model, name in changed if name in self.env[model]._fields
            })
            what = self.env._("cannot be changed (%s is sent to Xero)", ", ".join(labels))
        raise UserError(self.env._(
            "%(moves)s is already in Xero and locked: it %(what)s. Correct it with a "
            "credit note.", moves=", ".join(locked.mapped("name")), what=what,
        ))

    def write(self, vals):
        if not self.env.context.get(SYNC_CONTEXT_KEY):
            changed = self._clarus_xero_sent_fields_in(vals)
            if changed:
                self._clarus_xero_check_unlocked(changed)
        return super().write(vals)

    def button_draft(self):
        self._clarus_xero_check_unlocked(
            {("account.move", "state")}, self.env._("cannot go back to draft"))
        return super().button_draft()
