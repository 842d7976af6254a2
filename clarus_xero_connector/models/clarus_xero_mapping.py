from odoo import api, fields, models
from odoo.exceptions import ValidationError

from clarus_sync_engine import taxes

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
    allowed_reference_ids = fields.Many2many(
        "clarus.xero.reference", compute="_compute_allowed_reference_ids",
        help="What Xero accepts here: tax rates that apply to the account the tax is used "
             "on, accounts a document line may be coded to.")
    xero_reference_id = fields.Many2one(
        "clarus.xero.reference",
        "Xero",
        required=True,
        domain="[('id', 'in', allowed_reference_ids)]",
    )
    xero_code = fields.Char(related="xero_reference_id.code")
    problem = fields.Char(
        compute="_compute_problem",
        help="Why Xero would refuse this mapping now (after a new import, or a change of "
             "the connection's default accounts).")

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

    @api.depends("kind", "connection_id", "tax_id.type_tax_use",
                 "connection_id.default_sales_account_code",
                 "connection_id.default_expense_account_code")
    def _compute_allowed_reference_ids(self):
        Reference = self.env["clarus.xero.reference"]
        offered = {}
        for mapping in self:
            if not mapping.kind or not mapping.connection_id:
                mapping.allowed_reference_ids = Reference
                continue
            key = (mapping.connection_id.id, mapping.kind, mapping._tax_account_code(),
                   mapping.tax_id.type_tax_use)
            if key not in offered:
                candidates = Reference.search([
                    ("connection_id", "=", mapping.connection_id.id),
                    ("kind", "=", TARGET_KIND[mapping.kind]),
                    ("status", "in", (False, "ACTIVE")),
                ])
                offered[key] = candidates.filtered(lambda ref, m=mapping: not m._refusal(ref))
            mapping.allowed_reference_ids = offered[key]

    @api.depends("kind", "xero_reference_id", "tax_id.type_tax_use",
                 "connection_id.default_sales_account_code",
                 "connection_id.default_expense_account_code")
    def _compute_problem(self):
        for mapping in self:
            ref = mapping.xero_reference_id
            problem = mapping._refusal(ref) if ref and mapping.kind else ""
            if ref and not ref.active:
                problem = self.env._(
                    "%s is no longer in the Xero organisation (not returned by the last "
                    "import).", ref.display_name)
            mapping.problem = problem or False

    @api.constrains("kind", "xero_reference_id", "tax_id", "account_id")
    def _check_target(self):
        for mapping in self:
            if mapping.xero_reference_id.kind != TARGET_KIND[mapping.kind]:
                raise ValidationError(
                    self.env._("A %(kind)s mapping must point at a Xero %(target)s.",
                               kind=mapping.kind, target=TARGET_KIND[mapping.kind])
                )
            refusal = mapping._refusal(mapping.xero_reference_id)
            if refusal:
                raise ValidationError(refusal)

    # ----------------------------------------------------------- Xero's rules

    def _tax_account_code(self):
        """The Xero account a mapped tax codes lines on: the connection's expense account
        for purchase taxes, its sales account otherwise (what the document builder uses
        when a line's account is not mapped)."""
        self.ensure_one()
        if self.kind != "tax":
            return None
        conn = self.connection_id
        if self.tax_id.type_tax_use == "purchase":
            return conn.default_expense_account_code or None
        return conn.default_sales_account_code or None

    def _tax_account(self):
        """That account as ``GET /Accounts`` would return it: the imported one, or only its
        code and the class such lines take when the import did not find it."""
        self.ensure_one()
        code = self._tax_account_code()
        account = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", self.connection_id.id), ("kind", "=", "account"),
            ("code", "=", code)], limit=1) if code else None
        if account:
            return account._xero_account()
        klass = "EXPENSE" if self.tax_id.type_tax_use == "purchase" else "REVENUE"
        return {"Code": code, "Class": klass}

    def _refusal(self, ref):
        """Why Xero would refuse ``ref`` as this mapping's target ("" when it accepts it):
        a tax rate that does not apply to the account it codes, an account a document
        line cannot be coded to."""
        self.ensure_one()
        if self.kind == "tax" and ref.kind == "tax_rate":
            return taxes.tax_rate_fits(ref._xero_tax_rate(), self._tax_account())[1]
        if self.kind == "account" and ref.kind == "account":
            return ref._line_coding_refusal()
        return ""

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
