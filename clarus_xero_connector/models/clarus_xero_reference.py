from odoo import api, fields, models

REFERENCE_KINDS = [
    ("account", "Account"),
    ("tax_rate", "Tax rate"),
    ("currency", "Currency"),
    ("tracking_option", "Tracking option"),
    ("item", "Item"),
    ("contact", "Contact"),
]


class ClarusXeroReference(models.Model):
    """Reference data imported from Xero: what mappings may point at.

    A one-off import (refreshable), not a live sync.
    """

    _name = "clarus.xero.reference"
    _description = "Xero Reference Data"
    _order = "kind, code, name"

    connection_id = fields.Many2one(
        "clarus.xero.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    kind = fields.Selection(REFERENCE_KINDS, required=True, index=True)
    xero_id = fields.Char("Xero ID")
    code = fields.Char(index=True)
    name = fields.Char()
    status = fields.Char()
    category = fields.Char(help="Account type, or the tracking category of an option.")
    email = fields.Char()
    rate = fields.Float(digits=(16, 4), help="Effective rate of a tax rate, in percent.")

    _ref_uniq = models.UniqueIndex(
        "(connection_id, kind, code)", "Reference codes are unique per organisation and kind."
    )

    @api.depends("code", "name")
    def _compute_display_name(self):
        for ref in self:
            ref.display_name = " ".join(p for p in (ref.code, ref.name) if p) or ref.xero_id

    @api.model
    def _upsert(self, connection, kind, rows):
        """Insert or update imported rows (dicts with the fields above) by code."""
        existing = {
            r.code: r
            for r in self.search([("connection_id", "=", connection.id), ("kind", "=", kind)])
        }
        to_create = []
        for row in rows:
            ref = existing.get(row["code"])
            if ref:
                ref.write(row)
            else:
                to_create.append(dict(row, connection_id=connection.id, kind=kind))
        self.create(to_create)
        return len(rows)

    # ------------------------------------------------------------------ import

    @api.model
    def _import_from_xero(self, connection):
        """Read Xero's reference data once and store it; returns counts per kind."""
        data = connection._gateway().get_reference_data(connection.tenant_id)
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
        }
        return {kind: self._upsert(connection, kind, values) for kind, values in rows.items()}

    def _account_row(self, account):
        return {"code": account["Code"], "name": account.get("Name"),
                "xero_id": account.get("AccountID"), "category": account.get("Type"),
                "status": account.get("Status")}

    def _tax_row(self, tax):
        return {"code": tax["TaxType"], "name": tax.get("Name"), "status": tax.get("Status"),
                "rate": float(tax.get("EffectiveRate") or tax.get("DisplayTaxRate") or 0)}
