from odoo import api, fields, models

from clarus_sync_engine import retry, webhooks

from .clarus_xero_connection import XERO_CALL_ERRORS

# Xero event category -> (Odoo model bound to it, binding kind read back).
CATEGORY_MODELS = {
    "INVOICE": "account.move",
    "CREDITNOTE": "account.move",
    "CONTACT": "res.partner",
}
# Xero event category -> (engine kind read back by ID, status field of the answer).
READERS = {
    "INVOICE": ("invoice", "Status"),
    "CREDITNOTE": ("credit_note", "Status"),
    "CONTACT": ("contact", "ContactStatus"),
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
        cron = self.env["ir.cron"]
        self._process_all(commit=lambda processed=0: cron._commit_progress(processed))

    @api.model
    def _process_all(self, commit=None):
        """Read back every connected organisation's new events. One organisation's
        failure is recorded on its connection and never stops the others; ``commit``
        (the cron's ``_commit_progress``) keeps each organisation's progress."""
        events = self.sudo().search([("state", "=", "new")])
        connections = events.connection_id.filtered(lambda c: c.state == "connected")
        for connection in connections:
            todo = events.filtered(lambda e, c=connection: e.connection_id == c)
            try:
                with self.env.cr.savepoint():
                    todo._process(connection)
            except XERO_CALL_ERRORS as exc:
                connection.last_error = self.env._(
                    "Reading back Xero's notifications failed: %s",
                    retry.classify(exc).message)
            if commit:
                commit(len(todo))

    def _process(self, connection):
        """Read back the records these events name and store their Xero status."""
        connection._ensure_fresh_token()
        gateway = connection._gateway()
        for category, events in self.grouped("category").items():
            if category not in READERS:
                events.write({"state": "ignored", "result": "category not synced"})
                continue
            kind, status_field = READERS[category]
            # IDs cut to Xero's URL limit: a burst of changes never becomes a 404.
            found = gateway.read_by_ids(kind, connection.tenant_id,
                                        sorted(set(events.mapped("resource_id"))))
            current = {xero_id: raw.get(status_field) for xero_id, raw in found.items()}
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
