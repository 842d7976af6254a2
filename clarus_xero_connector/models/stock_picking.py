from odoo import models


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "clarus.xero.no.sync.mixin"]

    def write(self, vals):
        res = super().write(vals)
        if "carrier_tracking_ref" in vals:
            self._clarus_xero_queue_history()
        return res

    def _clarus_xero_invoices(self):
        """Posted customer invoices that bill these deliveries."""
        invoices = self.move_ids.sale_line_id.invoice_lines.move_id
        if "clarus_picking_ids" in self.env["account.move"]._fields:
            invoices |= self.env["account.move"].search([("clarus_picking_ids", "in", self.ids)])
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
