from odoo import api, fields, models

from clarus_sync_engine import imports, taxes

REFERENCE_KINDS = [
    ("account", "Account"),
    ("tax_rate", "Tax rate"),
    ("currency", "Currency"),
    ("tracking_option", "Tracking option"),
    ("item", "Item"),
    ("contact", "Contact"),
    ("branding_theme", "Branding theme"),
]
# Reference field -> the CanApplyTo* flag of ``GET /TaxRates`` it keeps.
TAX_FLAGS = {
    "can_apply_to_revenue": "CanApplyToRevenue",
    "can_apply_to_expenses": "CanApplyToExpenses",
    "can_apply_to_assets": "CanApplyToAssets",
    "can_apply_to_liabilities": "CanApplyToLiabilities",
    "can_apply_to_equity": "CanApplyToEquity",
}


class ClarusXeroReference(models.Model):
    """Reference data imported from Xero: what mappings may point at.

    A one-off import (refreshable), not a live sync. A row Xero no longer returns (deleted
    there, or the connection now talks to another organisation) is archived by the next
    import and no longer offered.
    """

    _name = "clarus.xero.reference"
    _description = "Xero Reference Data"
    _order = "kind, code, name"

    connection_id = fields.Many2one(
        "clarus.xero.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    active = fields.Boolean(
        default=True, help="Cleared when the last import from Xero no longer returned it.")
    kind = fields.Selection(REFERENCE_KINDS, required=True, index=True)
    xero_id = fields.Char("Xero ID")
    code = fields.Char(index=True)
    name = fields.Char()
    status = fields.Char()
    category = fields.Char(help="Account type, or the tracking category of an option.")
    email = fields.Char()
    rate = fields.Float(digits=(16, 4), help="Effective rate of a tax rate, in percent.")
    # What Xero's rules read (XERO_API §8): an account's Class and SystemAccount, and the
    # account classes a tax rate applies to.
    account_class = fields.Char(help="Xero account class: REVENUE, EXPENSE, ASSET...")
    system_account = fields.Char(
        help="Xero system account (DEBTORS, CREDITORS, GST, ROUNDING...): document lines "
             "cannot be coded to most of them.")
    can_apply_to_revenue = fields.Boolean()
    can_apply_to_expenses = fields.Boolean()
    can_apply_to_assets = fields.Boolean()
    can_apply_to_liabilities = fields.Boolean()
    can_apply_to_equity = fields.Boolean()

    _ref_uniq = models.UniqueIndex(
        "(connection_id, kind, code)", "Reference codes are unique per organisation and kind."
    )

    @api.depends("kind", "code", "name")
    def _compute_display_name(self):
        for ref in self:
            # A branding theme's code is its Xero ID: people know it by its name.
            parts = (ref.name,) if ref.kind == "branding_theme" else (ref.code, ref.name)
            ref.display_name = " ".join(p for p in parts if p) or ref.xero_id

    # ------------------------------------------------------- as Xero sends it

    def _xero_account(self):
        """This account as the ``GET /Accounts`` dict ``clarus_sync_engine.taxes`` reads."""
        self.ensure_one()
        return {"Code": self.code, "Name": self.name, "Type": self.category,
                "Class": self.account_class, "Status": self.status or "ACTIVE",
                "SystemAccount": self.system_account}

    def _xero_tax_rate(self):
        """This tax rate as the ``GET /TaxRates`` dict ``clarus_sync_engine.taxes`` reads."""
        self.ensure_one()
        rate = {"TaxType": self.code, "Name": self.name, "Status": self.status or "ACTIVE",
                "EffectiveRate": self.rate}
        rate.update({key: self[field] for field, key in TAX_FLAGS.items()})
        return rate

    def _line_coding_refusal(self):
        """Why a document line cannot be coded to this account ("" when it can): Xero
        refuses system accounts and bank accounts (XERO_API §8; strict reading: its
        Rounding system account too, as the emulator does)."""
        self.ensure_one()
        if self.system_account:
            return self.env._(
                "Account %(account)s is a Xero system account (%(system)s); document lines "
                "cannot be coded to it.", account=self.display_name, system=self.system_account)
        if self.category == "BANK":
            return self.env._(
                "Account %s is a bank account; document lines cannot be coded to it.",
                self.display_name)
        return ""

    # ------------------------------------------------------------------ import

    @api.model
    def _upsert(self, connection, kind, rows):
        """Insert, update or reactivate imported rows (dicts with the fields above) by
        code; archive the rows of this kind the import did not return."""
        existing = {
            r.code: r
            for r in self.with_context(active_test=False).search(
                [("connection_id", "=", connection.id), ("kind", "=", kind)])
        }
        to_create = []
        for row in rows:
            ref = existing.pop(row["code"], None)
            if ref:
                ref.write(dict(row, active=True))
            else:
                to_create.append(dict(row, connection_id=connection.id, kind=kind))
        self.create(to_create)
        gone = self.browse([ref.id for ref in existing.values() if ref.active])
        gone.active = False
        return len(rows)

    @api.model
    def _import_from_xero(self, connection):
        """Read Xero's reference data once and store it; returns counts per kind."""
        gateway = connection._gateway()
        data = gateway.get_reference_data(connection.tenant_id)
        connection._refresh_organisation(gateway)
        rows = {
            "account": [self._account_row(a) for a in data["accounts"] if a.get("Code")],
            "tax_rate": [self._tax_row(t) for t in data["tax_rates"]],
            "currency": [{"code": c["Code"], "name": c.get("Description"), "status": "ACTIVE"}
                         for c in data["currencies"]],
            "tracking_option": [
                {"code": f"{cat['Name']}/{opt['Name']}", "name": opt["Name"],
                 "category": cat["Name"], "xero_id": opt.get("TrackingOptionID"),
                 "status": opt.get("Status") or "ACTIVE"}
                for cat in data["tracking_categories"] if cat.get("Status", "ACTIVE") == "ACTIVE"
                for opt in cat.get("Options") or []
            ],
            "item": [{"code": i["Code"], "name": i.get("Name"), "xero_id": i.get("ItemID"),
                      "status": "ACTIVE"} for i in data["items"] if i.get("Code")],
            "contact": [{"code": c.get("ContactNumber") or c["ContactID"], "name": c.get("Name"),
                         "email": c.get("EmailAddress"), "xero_id": c["ContactID"],
                         "status": c.get("ContactStatus")} for c in data["contacts"]],
            "branding_theme": [
                {"code": t["BrandingThemeID"], "name": t.get("Name"),
                 "xero_id": t["BrandingThemeID"], "status": "ACTIVE"}
                for t in imports.read_branding_themes(gateway, connection.tenant_id)],
        }
        counts = {kind: self._upsert(connection, kind, values) for kind, values in rows.items()}
        connection._apply_reference_defaults(data["accounts"], data["tax_rates"])
        return counts

    def _account_row(self, account):
        return {"code": account["Code"], "name": account.get("Name"),
                "xero_id": account.get("AccountID"), "category": account.get("Type"),
                "status": account.get("Status"),
                "account_class": taxes.account_class(account) or False,
                "system_account": account.get("SystemAccount") or False}

    def _tax_row(self, tax):
        row = {"code": tax["TaxType"], "name": tax.get("Name"), "status": tax.get("Status"),
               "rate": float(tax.get("EffectiveRate") or tax.get("DisplayTaxRate") or 0)}
        row.update({field: bool(tax.get(key)) for field, key in TAX_FLAGS.items()})
        return row
