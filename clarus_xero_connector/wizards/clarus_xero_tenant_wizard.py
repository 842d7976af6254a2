from odoo import api, fields, models


class ClarusXeroTenantWizard(models.TransientModel):
    """Pick one organisation when an authorisation granted several."""

    _name = "clarus.xero.tenant.wizard"
    _description = "Choose a Xero organisation"

    connection_id = fields.Many2one("clarus.xero.connection", required=True)
    tenant_id = fields.Selection(selection="_tenant_selection", string="Organisation",
                                 required=True)

    @api.model
    def _tenant_selection(self):
        conn = self.env["clarus.xero.connection"].browse(
            self.env.context.get("default_connection_id")
        ).exists()
        return [(t["tenantId"], t.get("tenantName") or t["tenantId"])
                for t in (conn.available_tenants or [])]

    def action_confirm(self):
        self.ensure_one()
        self.connection_id._select_tenant(self.tenant_id)
        return {"type": "ir.actions.act_window_close"}
