from odoo import fields, models
from odoo.tools import SQL

# The stored columns of ``clarus.xero.synced.mixin`` a bind fills: the list columns and
# filters of invoices, contacts, products and orders.
BOUND_COLUMNS = ("clarus_xero_last_number", "clarus_xero_last_export")


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
    # A binding belongs to the Xero organisation it was made in, not to the connection:
    # a connection re-authorised to another organisation (test first, then live) must
    # not reuse the first one's contacts, items or documents. Bindings of an organisation
    # the connection left are archived, and come back if it returns.
    tenant_id = fields.Char("Xero Tenant ID", index=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    res_model = fields.Char(required=True, index=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True, index=True)
    xero_id = fields.Char("Xero ID", required=True)
    xero_number = fields.Char()
    xero_status = fields.Char()
    exported_at = fields.Datetime("Last Export")
    allocated = fields.Boolean(help="A credit note allocated to its invoice in Xero.")
    history_sent = fields.Boolean(help="The shipment note reached the invoice's Xero history.")
    created_by_import = fields.Boolean(
        readonly=True,
        help="The Odoo record was created from Xero by the import of contacts and items; "
             "running that import again updates it from Xero.")

    _record_uniq = models.UniqueIndex(
        "(connection_id, res_model, res_id) WHERE active",
        "A record is bound once per Xero organisation.",
    )
    _xero_uniq = models.UniqueIndex(
        "(connection_id, res_model, xero_id) WHERE active",
        "A Xero record is bound to one Odoo record.",
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
                                      tenant_id=connection.tenant_id,
                                      res_model=record._name, res_id=record.id))
        created = self.create(to_create)
        self._notify_bound(connection, [record for record, *_rest in rows])
        return created

    def _notify_bound(self, connection, records):
        """Keep the Xero number and export time of freshly bound records in their stored
        columns (every model with the synced mixin). Records that keep more in stored
        fields define ``_clarus_xero_bound(connection)``: called once per model after
        their bindings changed."""
        by_model = {}
        for record in records:
            by_model.setdefault(record._name, []).append(record.id)
        for model, ids in by_model.items():
            records = self.env[model].browse(ids)
            if all(name in records._fields for name in BOUND_COLUMNS):
                self._store_bound_columns(connection, records)
            if hasattr(records, "_clarus_xero_bound"):
                records._clarus_xero_bound(connection)

    def _store_bound_columns(self, connection, records):
        """One UPDATE per model: a push binds hundreds of documents at once, and a write
        per document would run the whole of ``account.move.write`` for two columns.
        What depends on the columns (a sale order's invoice numbers) is recomputed."""
        self.flush_model()
        self.env.cr.execute(SQL(
            """
            UPDATE %(table)s AS rec
               SET clarus_xero_last_number = binding.xero_number,
                   clarus_xero_last_export = binding.exported_at
              FROM clarus_xero_binding AS binding
             WHERE binding.connection_id = %(connection)s
               AND binding.res_model = %(model)s
               AND binding.active
               AND binding.res_id = rec.id
               AND rec.id = ANY(%(ids)s)
            """,
            table=SQL.identifier(records._table), connection=connection.id,
            model=records._name, ids=records.ids,
        ))
        records.invalidate_recordset(BOUND_COLUMNS)
        records.modified(BOUND_COLUMNS)

    def _follow_tenant(self, connection):
        """The connection now points at ``connection.tenant_id``: archive the bindings of
        any other organisation and bring back those of this one. Returns the archived
        bindings (what will be sent again)."""
        every = self.with_context(active_test=False).search(
            [("connection_id", "=", connection.id)])
        leaving = every.filtered(lambda b: b.active and b.tenant_id != connection.tenant_id)
        leaving.active = False
        returning = every.filtered(
            lambda b: not b.active and b.tenant_id == connection.tenant_id)
        returning.active = True
        return leaving
