from odoo import api, fields, models
from odoo.exceptions import ValidationError

MAPPING_KINDS = [
    ("tax", "Tax → Xero tax type"),
    ("account", "Account → Xero account code"),
    ("tracking", "Warehouse / team / analytic → tracking option"),
    ("journal", "Payment journal → Xero bank account"),
]
# The Xero reference kind each mapping kind points at.
TARGET_KIND = {
    "tax": "tax_rate",
    "account": "account",
    "tracking": "tracking_option",
    "journal": "account",
}


class ClarusXeroMapping(models.Model):
    _name = "clarus.xero.mapping"
    _description = "Xero Mapping"
    _order = "kind, id"

    connection_id = fields.Many2one(
        "clarus.xero.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    kind = fields.Selection(MAPPING_KINDS, required=True)
    tax_id = fields.Many2one("account.tax", ondelete="cascade")
    account_id = fields.Many2one("account.account", ondelete="cascade")
    warehouse_id = fields.Many2one("stock.warehouse", ondelete="cascade")
    team_id = fields.Many2one("crm.team", ondelete="cascade")
    analytic_account_id = fields.Many2one("account.analytic.account", ondelete="cascade")
    journal_id = fields.Many2one("account.journal", ondelete="cascade")
    target_kind = fields.Char(compute="_compute_target_kind")
    xero_reference_id = fields.Many2one(
        "clarus.xero.reference",
        "Xero",
        required=True,
        domain="[('connection_id', '=', connection_id), ('kind', '=', target_kind)]",
    )
    xero_code = fields.Char(related="xero_reference_id.code")

    _tax_uniq = models.UniqueIndex("(connection_id, tax_id) WHERE tax_id IS NOT NULL")
    _account_uniq = models.UniqueIndex(
        "(connection_id, account_id) WHERE account_id IS NOT NULL AND kind = 'account'"
    )
    _warehouse_uniq = models.UniqueIndex(
        "(connection_id, warehouse_id) WHERE warehouse_id IS NOT NULL"
    )
    _journal_uniq = models.UniqueIndex("(connection_id, journal_id) WHERE journal_id IS NOT NULL")

    @api.depends("kind")
    def _compute_target_kind(self):
        for mapping in self:
            mapping.target_kind = TARGET_KIND.get(mapping.kind)

    @api.constrains("kind", "xero_reference_id")
    def _check_target(self):
        for mapping in self:
            if mapping.xero_reference_id.kind != TARGET_KIND[mapping.kind]:
                raise ValidationError(
                    self.env._("A %(kind)s mapping must point at a Xero %(target)s.",
                               kind=mapping.kind, target=TARGET_KIND[mapping.kind])
                )

    @api.model
    def _lookup(self, connection):
        """All mappings of a connection, as plain dicts keyed by Odoo record id."""
        result = {"tax": {}, "account": {}, "warehouse": {}, "team": {}, "analytic": {},
                  "journal": {}}
        for m in self.search([("connection_id", "=", connection.id)]):
            code = m.xero_reference_id.code
            if m.kind == "tax" and m.tax_id:
                result["tax"][m.tax_id.id] = code
            elif m.kind == "account" and m.account_id:
                result["account"][m.account_id.id] = code
            elif m.kind == "journal" and m.journal_id:
                result["journal"][m.journal_id.id] = code
            elif m.kind == "tracking":
                option = (m.xero_reference_id.category, m.xero_reference_id.name)
                if m.warehouse_id:
                    result["warehouse"][m.warehouse_id.id] = option
                if m.team_id:
                    result["team"][m.team_id.id] = option
                if m.analytic_account_id:
                    result["analytic"][m.analytic_account_id.id] = option
        return result
