from odoo import api, fields, models

from clarus_sync_engine import webhooks

# Xero event category -> (Odoo model bound to it, import job it queues).
CATEGORIES = {
    "INVOICE": ("account.move", "import_invoice"),
    "CREDITNOTE": ("account.move", "import_credit_note"),
    "CONTACT": ("res.partner", "import_contact"),
}


class ClarusXeroWebhookEvent(models.Model):
    """A signed notification from Xero, stored once, then read back from Xero.

    Xero delivers at least once and its events are thin: the event only says which
    record changed. An event for a record Odoo holds queues that record's import job at
    once; the connection's read-back reads the queued records by ID, one call per
    collection, and applies them as the pull does (``clarus.xero.pull``). An event for
    a record Odoo does not hold is marked "not ours".
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
    job_id = fields.Many2one("clarus.xero.job", "Import job", ondelete="set null",
                             readonly=True)

    _event_uniq = models.UniqueIndex("(connection_id, category, resource_id, event_date)")

    @api.model
    def _receive(self, connection, raw_body, signature):
        """Verify and store a delivery. Returns False when the signature is wrong.

        Xero has one webhook URL and one key per app, for every organisation the app
        serves (XERO_API §8): a delivery to one connection's URL may carry events of
        the other organisations this database connects through the same app. Each
        event goes to the connection of its tenant among those sharing the app's
        client ID and webhook key; events of organisations not connected here are
        dropped."""
        conn = connection.sudo()
        if not conn.webhook_key or not webhooks.verify_signature(
            raw_body, signature or "", conn.webhook_key
        ):
            return False
        by_tenant = {c.tenant_id: c for c in self._same_app_connections(conn)}
        by_tenant[conn.tenant_id] = conn
        reached = self.env["clarus.xero.connection"].sudo()
        for event in webhooks.parse_events(raw_body):
            target = by_tenant.get(event.tenant_id)
            if not target:
                continue
            reached |= target
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
                [target.id, target.company_id.id, event.category, event.event_type,
                 event.resource_id, event.event_date or ""],
            )
        for target in reached or conn:
            self._queue_imports(target, self.sudo().search(
                [("connection_id", "=", target.id), ("state", "=", "new"),
                 ("job_id", "=", False)]))
            target._schedule("webhooks")
        self.env.ref("clarus_xero_connector.ir_cron_clarus_xero_webhooks")._trigger()
        return True

    @api.model
    def _same_app_connections(self, connection):
        """Connected connections of the same Xero app (client ID and webhook key)."""
        if not connection.client_id:
            return connection.browse()
        return connection.search([
            ("id", "!=", connection.id), ("state", "=", "connected"),
            ("client_id", "=", connection.client_id),
        ]).filtered(lambda c: c.webhook_key == connection.webhook_key and c.tenant_id)

    def _queue_imports(self, connection, events):
        """Events for records Odoo holds queue their import job (one pending job per
        record, however many events); the others are marked "not ours"."""
        Job = self.env["clarus.xero.job"].sudo()
        for category, group in events.grouped("category").items():
            if category not in CATEGORIES:
                group.write({"state": "ignored", "result": self.env._("Not synced.")})
                continue
            model, kind = CATEGORIES[category]
            bindings = self.env["clarus.xero.binding"].sudo().search([
                ("connection_id", "=", connection.id), ("res_model", "=", model),
                ("xero_id", "in", group.mapped("resource_id"))])
            by_xero_id = {binding.xero_id: binding for binding in bindings}
            records = self.env[model].sudo().browse(bindings.mapped("res_id")).exists()
            for event in group:
                binding = by_xero_id.get(event.resource_id)
                if not binding or binding.res_id not in records.ids:
                    event.write({"state": "ignored",
                                 "result": self.env._("Not ours: Odoo holds no such record.")})
                    continue
                job = Job._enqueue(connection, records.browse(binding.res_id), kind)
                job.xero_id = event.resource_id
                event.job_id = job

    @api.model
    def _cron_process(self):
        cron = self.env["ir.cron"]
        self._process_all(commit=lambda processed=0: cron._commit_progress(processed))

    def _process(self, connection, commit=None):
        """Read back the records these events name and apply them; each event ends
        with what its record's import job did."""
        self._queue_imports(connection, self.filtered(lambda e: e.state == "new"
                                                      and not e.job_id))
        self.env["clarus.xero.pull"]._read_back_pending(connection, commit)
        self._close_read()

    def _close_read(self):
        """Events whose import job ended are done, with the job's outcome."""
        for event in self.filtered(lambda e: e.state == "new" and e.job_id):
            job = event.job_id
            if job.state == "done":
                event.write({"state": "done", "result": (job.response_summary or "")[:250]})
            elif job.state == "failed":
                event.write({"state": "done", "result": (job.error_message or "")[:250]})
            elif job.state == "cancelled":
                event.write({"state": "done", "result": self.env._("Its import was cancelled.")})
