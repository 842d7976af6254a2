from odoo import fields, models


class ClarusXeroBinding(models.Model):
    """One row per (Xero organisation, Odoo record): the record's identity in Xero.

    Partners and products shared across companies get one binding per connection, so
    each organisation keeps its own Xero ID.
    """

    _name = "clarus.xero.binding"
    _description = "Xero Binding"
    _order = "id desc"

    connection_id = fields.Many2one(
        "clarus.xero.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    res_model = fields.Char(required=True, index=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True, index=True)
    xero_id = fields.Char("Xero ID", required=True)
    xero_number = fields.Char()
    xero_status = fields.Char()
    exported_at = fields.Datetime("Last Export")
    allocated = fields.Boolean(help="A credit note allocated to its invoice in Xero.")
    history_sent = fields.Boolean(help="The shipment note reached the invoice's Xero history.")

    _record_uniq = models.UniqueIndex(
        "(connection_id, res_model, res_id)", "A record is bound once per Xero organisation."
    )
    _xero_uniq = models.UniqueIndex(
        "(connection_id, res_model, xero_id)", "A Xero record is bound to one Odoo record."
    )

    def _get(self, connection, record):
        return self.search(
            [
                ("connection_id", "=", connection.id),
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
            ],
            limit=1,
        )

    def _bind_many(self, connection, rows):
        """Bind ``(record, xero_id, number, status)`` rows: one search, one create."""
        now = fields.Datetime.now()
        keys = {(record._name, record.id) for record, *_rest in rows}
        existing = {
            (b.res_model, b.res_id): b
            for b in self.search([
                ("connection_id", "=", connection.id),
                ("res_model", "in", list({model for model, _id in keys})),
                ("res_id", "in", [res_id for _model, res_id in keys]),
            ])
        }
        to_create = []
        for record, xero_id, number, status in rows:
            vals = {"xero_id": xero_id, "xero_number": number, "xero_status": status,
                    "exported_at": now}
            binding = existing.get((record._name, record.id))
            if binding:
                binding.write(vals)
            else:
                to_create.append(dict(vals, connection_id=connection.id,
                                      res_model=record._name, res_id=record.id))
        return self.create(to_create)
