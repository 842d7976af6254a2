import json

from odoo import fields, models

from clarus_sync_engine.pacing import new_shared_state

STATE_KEYS = tuple(new_shared_state())


class ClarusXeroPacing(models.Model):
    """What every worker knows about one organisation's rate limits: the calls of the
    last minute and of the day, the last remaining counts Xero sent, and any wait Xero
    asked for. One row per connection, read and written by ``DatabasePacingStore`` in
    short transactions of their own, so that two servers pace one organisation as one."""

    _name = "clarus.xero.pacing"
    _description = "Xero rate-limit state of an organisation"
    _rec_name = "connection_id"

    connection_id = fields.Many2one(
        "clarus.xero.connection", required=True, ondelete="cascade", readonly=True)
    state = fields.Json(readonly=True)
    minute_remaining = fields.Integer(readonly=True)
    day_remaining = fields.Integer(readonly=True)
    calls_today = fields.Integer(readonly=True)
    blocked_until = fields.Datetime("Waiting for Xero until", readonly=True)
    blocked_reason = fields.Char(readonly=True)

    _connection_uniq = models.UniqueIndex("(connection_id)")


class DatabasePacingStore:
    """The store of ``SharedRatePacer`` for one connection, in ``clarus_xero_pacing``.

    Each step is one short transaction on a cursor of its own: the row is locked
    (``SELECT ... FOR UPDATE``), the pacer decides on it with the database's clock, and
    the row is written back and committed at once. The run's own transaction never
    touches this row, so its commits, rollbacks and long calls neither hold nor lose it.
    """

    def __init__(self, registry, connection_id):
        self.registry = registry
        self.connection_id = connection_id

    def transact(self, fn):
        with self.registry.cursor() as cr:
            row = self._locked_row(cr)
            if row is None:
                cr.execute(
                    """INSERT INTO clarus_xero_pacing (connection_id, state, create_date,
                                                       write_date)
                       VALUES (%s, '{}', now() at time zone 'UTC', now() at time zone 'UTC')
                       ON CONFLICT (connection_id) DO NOTHING""",
                    [self.connection_id])
                row = self._locked_row(cr)
            stored, now = row
            state = new_shared_state()
            state.update({key: value for key, value in (stored or {}).items()
                          if key in STATE_KEYS})
            result = fn(state, now)
            self._write(cr, state, now)
        return result

    def _locked_row(self, cr):
        cr.execute(
            """SELECT state, extract(epoch FROM clock_timestamp())::float
                 FROM clarus_xero_pacing WHERE connection_id = %s FOR UPDATE""",
            [self.connection_id])
        return cr.fetchone()

    def _write(self, cr, state, now):
        blocked = max(state["blocked_until"] or 0, state["day_blocked_until"] or 0)
        cr.execute(
            """UPDATE clarus_xero_pacing
                  SET state = %s, minute_remaining = %s, day_remaining = %s,
                      calls_today = %s,
                      blocked_until = CASE WHEN %s > %s THEN to_timestamp(%s)
                                           AT TIME ZONE 'UTC' END,
                      blocked_reason = %s, write_date = now() at time zone 'UTC'
                WHERE connection_id = %s""",
            [json.dumps(state), state["minute_left"], state["day_left"], state["day_calls"],
             blocked, now, blocked,
             state["blocked_reason"] if (state["blocked_until"] or 0) > now else
             ("Xero day limit reached" if (state["day_blocked_until"] or 0) > now else None),
             self.connection_id])
