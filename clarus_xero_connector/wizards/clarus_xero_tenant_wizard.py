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
        """The organisations offered by the connections waiting for a choice.

        The web client describes the field without the action's context, so the choices
        cannot depend on it: they come from every connection of the user's companies
        that waits for a choice (usually one). Confirming checks that the organisation
        belongs to the wizard's own connection."""
        Connection = self.env["clarus.xero.connection"]
        conns = Connection.browse(self.env.context.get("default_connection_id")).exists()
        conns |= Connection.search(
            [("state", "=", "choose_tenant"), ("company_id", "in", self.env.companies.ids)]
        )
        choices = {}
        for conn in conns:
            for tenant in conn.available_tenants or []:
                choices.setdefault(tenant["tenantId"], tenant.get("tenantName")
                                   or tenant["tenantId"])
        return list(choices.items())

    def action_confirm(self):
        self.ensure_one()
        self.connection_id._select_tenant(self.tenant_id)
        return {"type": "ir.actions.act_window_close"}
