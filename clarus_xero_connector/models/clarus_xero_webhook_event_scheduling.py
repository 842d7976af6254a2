from odoo import api, fields, models

from clarus_sync_engine import retry

from .clarus_xero_connection import XERO_CALL_ERRORS
from .clarus_xero_connection_scheduling import BUSY_RETRY


class ClarusXeroWebhookEvent(models.Model):
    """Webhook events are read back one organisation at a time, under its lock: by the
    connection's own scheduled action, or by the global one for every connection."""

    _inherit = "clarus.xero.webhook.event"

    @api.model
    def _process_all(self, commit=None):
        """Read back every connected organisation's new events. An organisation another
        worker is busy with is left to its own action, which comes back soon."""
        connections = self.sudo().search([("state", "=", "new")]).connection_id.filtered(
            lambda conn: conn.state == "connected")
        for connection in connections:
            with connection._organisation_lock() as mine:
                if mine:
                    self._process_connection(connection, commit)
                else:
                    connection._schedule("webhooks", fields.Datetime.now() + BUSY_RETRY)

    @api.model
    def _process_connection(self, connection, commit=None):
        """One organisation's new events, and the import jobs queued for a read-back by
        ID (by events, or retried); a failure is recorded on its connection."""
        events = self.sudo().search([("state", "=", "new"),
                                     ("connection_id", "=", connection.id)])
        try:
            with self.env.cr.savepoint():
                events._process(connection)
        except XERO_CALL_ERRORS as exc:
            connection.last_error = self.env._(
                "Reading back Xero's notifications failed: %s", retry.classify(exc).message)
        if commit:
            commit(len(events))
