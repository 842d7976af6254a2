from odoo import api, fields, models
from odoo.exceptions import UserError

from clarus_sync_engine import states

from .clarus_xero_job import SYNC_CONTEXT_KEY

# What the Xero purchase order is built from: a change of one of these, once the order
# is in Xero (or due there), queues an update.
ORDER_FIELDS_SENT = frozenset({
    "state", "partner_id", "partner_ref", "currency_id", "date_order", "date_approve",
    "date_planned", "picking_type_id", "dest_address_id", "order_line", "clarus_xero_save",
    "clarus_xero_no_sync",
})
LINE_FIELDS_SENT = frozenset({
    "product_id", "name", "product_qty", "price_unit", "discount", "tax_ids", "date_planned",
    "product_uom_id", "analytic_distribution",
})
# Xero item codes are at most 30 characters; a longer reference cannot become an item
# (the order then fails alone, naming the line).
ITEM_CODE_MAX = 30
# States of an RFQ: sent to Xero as a draft only when the connection says so.
RFQ_STATES = ("draft", "sent", "to approve")
# Context key: products missing in Xero are created without asking (the dialog's choice).
CREATE_ITEMS_KEY = "clarus_xero_create_items"


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "clarus.xero.synced.mixin"]

    clarus_xero_save = fields.Boolean(
        "Save to Xero", compute="_compute_clarus_xero_save", store=True, readonly=False,
        precompute=True, copy=False, tracking=True,
        help="Send this order to Xero as a purchase order. The default comes from the Xero "
             "connection, unless the vendor says always or never.")
    clarus_xero_hold = fields.Selection(
        [("ask", "Products missing in Xero"), ("kept", "Kept back")],
        "Held back from Xero", copy=False, readonly=True,
        help="Products missing in Xero: someone must choose to create them or keep the "
             "order back. Kept back: the order is not sent until someone presses Send to "
             "Xero.")
    clarus_xero_hold_reason = fields.Char("Why held back", copy=False, readonly=True)
    clarus_xero_out_reason = fields.Char(
        "Not sent to Xero because", compute="_compute_clarus_xero_out_reason")
    clarus_xero_po_number = fields.Char("Xero PO Number", copy=False, readonly=True)
    clarus_xero_po_status = fields.Char("Xero PO Status", copy=False, readonly=True)
    clarus_xero_po_exported_at = fields.Datetime("Last Export to Xero", copy=False,
                                                 readonly=True)
    clarus_xero_has_error = fields.Boolean(
        "Xero error", compute="_compute_clarus_xero_has_error",
        search="_search_clarus_xero_has_error")

    @api.depends("partner_id", "company_id")
    def _compute_clarus_xero_save(self):
        Connection = self.env["clarus.xero.connection"].sudo()
        defaults = {}
        for order in self:
            choice = order.partner_id.commercial_partner_id.clarus_xero_po_save
            if choice in ("always", "never"):
                order.clarus_xero_save = choice == "always"
                continue
            company = order.company_id or self.env.company
            if company.id not in defaults:
                defaults[company.id] = bool(
                    Connection._for_company(company).purchase_order_save_default)
            order.clarus_xero_save = defaults[company.id]

    @api.depends("clarus_xero_no_sync", "clarus_xero_no_sync_reason", "clarus_xero_hold_reason",
                 "partner_id.commercial_partner_id.clarus_xero_no_sync",
                 "partner_id.commercial_partner_id.clarus_xero_no_sync_reason")
    def _compute_clarus_xero_out_reason(self):
        for order in self:
            vendor = order.partner_id.commercial_partner_id
            if order.clarus_xero_no_sync:
                reason = self.env._("Do not sync: %s", order.clarus_xero_no_sync_reason)
            elif vendor.clarus_xero_no_sync:
                reason = self.env._("The vendor %(vendor)s is not synced to Xero: %(reason)s",
                                    vendor=vendor.display_name,
                                    reason=vendor.clarus_xero_no_sync_reason)
            else:
                reason = order.clarus_xero_hold_reason or False
            order.clarus_xero_out_reason = reason

    def _compute_clarus_xero_has_error(self):
        failed = set(self._clarus_xero_failed_ids())
        for order in self:
            order.clarus_xero_has_error = order.id in failed

    def _search_clarus_xero_has_error(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        ids = self._clarus_xero_failed_ids(all_orders=True)
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", ids)]

    def _clarus_xero_failed_ids(self, all_orders=False):
        domain = [("res_model", "=", self._name), ("state", "=", states.FAILED)]
        if not all_orders:
            domain.append(("res_id", "in", self.ids))
        return self.env["clarus.xero.job"].sudo().search(domain).mapped("res_id")

    @api.ondelete(at_uninstall=False)
    def _unlink_except_clarus_xero_synced(self):
        """An order Xero still holds cannot be deleted here (cancelling it deletes it in
        Xero); one Xero deleted may go."""
        held = self.env["clarus.xero.binding"].sudo().with_context(active_test=False).search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids),
             ("xero_status", "!=", "DELETED")], limit=1)
        if held:
            raise UserError(self.env._(
                "%(order)s is in Xero (%(ref)s) and cannot be deleted here. Cancel it: Xero "
                "deletes it too, and then it can be deleted.",
                order=self.browse(held.res_id).display_name,
                ref=held.xero_number or held.xero_id))

    # ------------------------------------------------------------- triggers

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders._clarus_xero_queue_update()
        return orders

    def write(self, vals):
        result = super().write(vals)
        if ORDER_FIELDS_SENT.intersection(vals):
            self._clarus_xero_queue_update()
        return result

    def button_confirm(self):
        result = super().button_confirm()
        return self._clarus_xero_missing_items_action() or result

    def button_approve(self, force=False):
        result = super().button_approve(force=force)
        return self._clarus_xero_missing_items_action() or result

    def button_draft(self):
        # A new confirmation asks again about products missing in Xero.
        self.filtered("clarus_xero_hold").with_context(**{SYNC_CONTEXT_KEY: True}).write(
            {"clarus_xero_hold": False, "clarus_xero_hold_reason": False})
        return super().button_draft()

    def action_clarus_xero_send(self):
        """"Send to Xero" on an order held back: queue it now (asking again about the
        products still missing in Xero)."""
        self.with_context(**{SYNC_CONTEXT_KEY: True}).write(
            {"clarus_xero_hold": False, "clarus_xero_hold_reason": False})
        self._clarus_xero_queue_update()
        return self._clarus_xero_missing_items_action() or True

    def _clarus_xero_missing_items_action(self):
        """The dialog about products missing in Xero, for the orders waiting for it."""
        asking = self.filtered(lambda order: order.clarus_xero_hold == "ask")
        if not asking:
            return False
        return self.env["clarus.xero.missing.items.wizard"]._action_for(asking)

    # ---------------------------------------------------------------- outbox

    def _clarus_xero_queue_update(self):
        """Queue these orders for Xero, as they are now: new, changed, confirmed, billed or
        cancelled. Public: posting a vendor bill calls it on the bill's orders, so that
        the Xero order follows (BILLED). Runs in the business transaction (the outbox);
        several changes before the push make one job."""
        if self.env.context.get(SYNC_CONTEXT_KEY) or not self:
            return self.env["clarus.xero.job"]
        jobs = self.env["clarus.xero.job"]
        Connection = self.env["clarus.xero.connection"].sudo()
        for company, orders in self.grouped("company_id").items():
            conn = Connection._for_company(company)
            if conn and conn.state in ("connected", "needs_reauth"):
                jobs |= orders._clarus_xero_queue_on(conn)
        return jobs

    def _clarus_xero_queue_on(self, conn):
        live = self._clarus_xero_live_ids(conn)
        cancelled = self.filtered(lambda order: order.state == "cancel")
        cancelled._clarus_xero_cancel_on(conn, live)
        todo = (self - cancelled).filtered(lambda order: order._clarus_xero_wanted(conn, live))
        (self - cancelled - todo)._clarus_xero_drop_unsent(conn)
        missing = todo._clarus_xero_missing_products(conn)
        if missing and conn.missing_items_policy != "create" \
                and not self.env.context.get(CREATE_ITEMS_KEY):
            asking = todo.filtered(lambda order: order._clarus_xero_products(conn) & missing)
            asking._clarus_xero_hold_for(conn, missing)
            todo -= asking
            missing = todo._clarus_xero_missing_products(conn)
        return todo._clarus_xero_enqueue_on(conn, missing)

    def _clarus_xero_wanted(self, conn, live):
        """Is this (not cancelled) order due in Xero now?"""
        self.ensure_one()
        if not self.clarus_xero_save or self.clarus_xero_hold or self._clarus_xero_excluded():
            return False
        if self.state == "purchase" or self.id in live:
            return True
        return self.state in RFQ_STATES and conn.purchase_order_send_drafts

    def _clarus_xero_drop_unsent(self, conn):
        """Orders no longer due in Xero (flagged, held back, no longer saved there): their
        queued changes are dropped before they are sent; what Xero holds stays as it is."""
        if not self:
            return
        self.env["clarus.xero.job"].sudo().search([
            ("connection_id", "=", conn.id), ("res_model", "=", self._name),
            ("res_id", "in", self.ids), ("kind", "=", "purchase_order"),
            ("state", "in", list(states.CANCELLABLE_STATES))])._move_to(
            states.CANCELLED, done_at=fields.Datetime.now(),
            error_message=self.env._("The order is no longer to be sent to Xero."))

    def _clarus_xero_excluded(self):
        """Flagged orders, and orders of flagged vendors, are never sent."""
        return bool(self.clarus_xero_no_sync
                    or self.partner_id.commercial_partner_id.clarus_xero_no_sync)

    def _clarus_xero_live_ids(self, conn):
        """Orders Xero holds and has not deleted."""
        bindings = self.env["clarus.xero.binding"].sudo().search_fetch([
            ("connection_id", "=", conn.id), ("res_model", "=", self._name),
            ("res_id", "in", self.ids)], ["res_id", "xero_status"])
        return {b.res_id for b in bindings if b.xero_status != "DELETED"}

    def _clarus_xero_cancel_on(self, conn, live):
        """Cancelled orders: deleted in Xero when Xero holds them (or may soon, a send
        being under way); otherwise their queued jobs are dropped."""
        if not self:
            return
        Job = self.env["clarus.xero.job"].sudo()
        jobs = Job.search([
            ("connection_id", "=", conn.id), ("res_model", "=", self._name),
            ("res_id", "in", self.ids), ("kind", "=", "purchase_order"),
            ("state", "in", list(states.BLOCKING_STATES))])
        sending = set(jobs.filtered(lambda job: job.state == states.RUNNING).mapped("res_id"))
        to_delete = self.filtered(lambda order: order.id in live or order.id in sending)
        # A failed update is overtaken by the deletion; unsent jobs of orders Xero never
        # saw have nothing left to do.
        dropped = jobs.filtered(lambda job: job.state != states.RUNNING and (
            job.res_id not in to_delete.ids or job.state == states.FAILED))
        dropped._move_to(states.CANCELLED, done_at=fields.Datetime.now(),
                         error_message=self.env._("The order was cancelled in Odoo."))
        self.filtered("clarus_xero_hold").with_context(**{SYNC_CONTEXT_KEY: True}).write(
            {"clarus_xero_hold": False, "clarus_xero_hold_reason": False})
        if to_delete:
            Job._enqueue_many(conn, [(order, "purchase_order", (), 10) for order in to_delete])

    def _clarus_xero_products(self, conn):
        """Products of these orders that become Xero items (shipping and handling lines
        go without an item code; so do products without a usable reference)."""
        products = self.order_line.filtered(lambda line: not line.display_type).product_id
        return products.filtered(
            lambda p: p.default_code and len(p.default_code) <= ITEM_CODE_MAX
            and not p.clarus_xero_no_sync and not conn._is_shipping_product(p))

    def _clarus_xero_missing_products(self, conn):
        """Item products Xero does not hold and that no job is creating."""
        products = self._clarus_xero_products(conn)
        if not products:
            return products
        bound = self.env["clarus.xero.binding"].sudo().search_fetch([
            ("connection_id", "=", conn.id), ("res_model", "=", "product.product"),
            ("res_id", "in", products.ids)], ["res_id"]).mapped("res_id")
        coming = self.env["clarus.xero.job"].sudo().search_fetch([
            ("connection_id", "=", conn.id), ("res_model", "=", "product.product"),
            ("res_id", "in", products.ids), ("kind", "=", "item"),
            ("state", "in", list(states.BLOCKING_STATES))], ["res_id"]).mapped("res_id")
        return products.filtered(lambda p: p.id not in bound and p.id not in coming)

    def _clarus_xero_hold_for(self, conn, missing):
        for order in self:
            names = ", ".join(
                (order._clarus_xero_products(conn) & missing).mapped("display_name"))
            order.with_context(**{SYNC_CONTEXT_KEY: True}).write({
                "clarus_xero_hold": "ask",
                "clarus_xero_hold_reason": self.env._(
                    "Not sent to Xero: these products are not Xero items yet: %s. Create "
                    "them in Xero or keep the order back (Send to Xero asks again).", names),
            })

    def _clarus_xero_enqueue_on(self, conn, missing):
        """Queue the orders, their vendors Xero does not hold yet and the ``missing``
        items, in one statement; each order depends on its vendor and its items."""
        if not self:
            return self.env["clarus.xero.job"]
        vendors = self.partner_id.commercial_partner_id.sorted("id")
        bound_vendors = self.env["clarus.xero.binding"].sudo().search_fetch([
            ("connection_id", "=", conn.id), ("res_model", "=", "res.partner"),
            ("res_id", "in", vendors.ids)], ["res_id"]).mapped("res_id")
        rows = [(vendor, "contact", (), 10) for vendor in vendors
                if vendor.id not in bound_vendors]
        rows += [(product, "item", (), 10) for product in missing.sorted("id")]
        for order in self:
            depends = [f"res.partner,{order.partner_id.commercial_partner_id.id}"]
            depends += [f"product.product,{product.id}"
                        for product in order._clarus_xero_products(conn)]
            rows.append((order, "purchase_order", depends, 10))
        return self.env["clarus.xero.job"].sudo()._enqueue_many(conn, rows)

    # --------------------------------------------------------------- results

    def _clarus_xero_bound(self, connection):
        """The binding changed (the push saved the order in Xero): keep its number,
        status and export time on the order, for list columns and filters. An order fully
        billed before Xero held it was created AUTHORISED (Xero creates no BILLED order):
        it goes again to become BILLED."""
        bindings = self.env["clarus.xero.binding"].sudo().search([
            ("connection_id", "=", connection.id), ("res_model", "=", self._name),
            ("res_id", "in", self.ids)])
        again = self.browse()
        for binding in bindings:
            order = self.browse(binding.res_id)
            order.with_context(**{SYNC_CONTEXT_KEY: True}).write({
                "clarus_xero_po_number": binding.xero_number,
                "clarus_xero_po_status": binding.xero_status,
                "clarus_xero_po_exported_at": binding.exported_at,
            })
            if binding.xero_status == "AUTHORISED" and order.state == "purchase" \
                    and order.invoice_status == "invoiced":
                again |= order
        if again:
            again._clarus_xero_queue_on(connection)


class PurchaseOrderLine(models.Model):
    _inherit = "purchase.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id._clarus_xero_queue_update()
        return lines

    def write(self, vals):
        result = super().write(vals)
        if LINE_FIELDS_SENT.intersection(vals):
            self.order_id._clarus_xero_queue_update()
        return result

    def unlink(self):
        orders = self.order_id
        result = super().unlink()
        orders.exists()._clarus_xero_queue_update()
        return result
