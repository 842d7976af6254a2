from odoo import api, fields, models

from clarus_sync_engine import webhooks

# Xero event category -> (Odoo model bound to it, binding kind read back).
CATEGORY_MODELS = {
    "INVOICE": "account.move",
    "CREDITNOTE": "account.move",
    "CONTACT": "res.partner",
}
READERS = {
    "INVOICE": ("get_invoices", "Invoices", "InvoiceID", "Status"),
    "CREDITNOTE": ("get_credit_notes", "CreditNotes", "CreditNoteID", "Status"),
    "CONTACT": ("get_contacts", "Contacts", "ContactID", "ContactStatus"),
}


class ClarusXeroWebhookEvent(models.Model):
    """A signed notification from Xero, stored once, then read back from Xero.

    Xero delivers at least once and its events are thin: the event only says what
    changed; the processing cron fetches the record's current status in one call per
    category and updates what Odoo shows (for example, an invoice paid in Xero).
    """

    _name = "clarus.xero.webhook.event"
    _description = "Xero Webhook Event"
    _order = "id desc"

    connection_id = fields.Many2one(
        "clarus.xero.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    category = fields.Char(required=True)
    event_type = fields.Char()
    resource_id = fields.Char(required=True)
    event_date = fields.Char(required=True)
    state = fields.Selection(
        [("new", "New"), ("done", "Done"), ("ignored", "Not ours")], default="new", index=True
    )
    result = fields.Char()

    _event_uniq = models.UniqueIndex("(connection_id, category, resource_id, event_date)")

    @api.model
    def _receive(self, connection, raw_body, signature):
        """Verify and store a delivery. Returns False when the signature is wrong."""
        if not connection.sudo().webhook_key or not webhooks.verify_signature(
            raw_body, signature or "", connection.sudo().webhook_key
        ):
            return False
        for event in webhooks.parse_events(raw_body):
            if event.tenant_id != connection.tenant_id:
                continue
            # Xero delivers at least once: a repeated event is dropped by the index.
            self.env.cr.execute(
                """
                INSERT INTO clarus_xero_webhook_event
                    (connection_id, company_id, category, event_type, resource_id,
                     event_date, state, create_date, write_date)
                VALUES (%s, %s, %s, %s, %s, %s, 'new', now() at time zone 'UTC',
                        now() at time zone 'UTC')
                ON CONFLICT DO NOTHING
                """,
                [connection.id, connection.company_id.id, event.category, event.event_type,
                 event.resource_id, event.event_date or ""],
            )
        self.env.ref("clarus_xero_connector.ir_cron_clarus_xero_webhooks")._trigger()
        return True

    @api.model
    def _cron_process(self):
        events = self.sudo().search([("state", "=", "new")])
        for connection in events.connection_id:
            if connection.state == "connected":
                events.filtered(lambda e, c=connection: e.connection_id == c)._process(connection)

    def _process(self, connection):
        """Read back the records these events name and store their Xero status."""
        connection._ensure_fresh_token()
        gateway = connection._gateway()
        for category, events in self.grouped("category").items():
            if category not in READERS:
                events.write({"state": "ignored", "result": "category not synced"})
                continue
            method, collection, id_field, status_field = READERS[category]
            ids = sorted(set(events.mapped("resource_id")))
            data, _h, _s = gateway._call(gateway.accounting, method, connection.tenant_id,
                                         i_ds=ids)
            current = {r[id_field]: r.get(status_field) for r in (data or {}).get(collection, [])}
            self._store_statuses(connection, CATEGORY_MODELS[category], current)
            for event in events:
                status = current.get(event.resource_id)
                event.write({"state": "done" if status else "ignored", "result": status or ""})

    def _store_statuses(self, connection, model, statuses):
        bindings = self.env["clarus.xero.binding"].sudo().search([
            ("connection_id", "=", connection.id), ("res_model", "=", model),
            ("xero_id", "in", list(statuses)),
        ])
        for binding in bindings:
            status = statuses[binding.xero_id]
            if status and status != binding.xero_status:
                binding.xero_status = status
                record = self.env[model].browse(binding.res_id)
                record.message_post(body=self.env._("Xero status is now %s.", status))
