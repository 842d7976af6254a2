from datetime import datetime, time, timedelta

from odoo import api, fields, models

from clarus_sync_engine import journals


class ClarusXeroStockJournal(models.Model):
    """One manual journal for Xero: the stock valuation entries it carries (one operation,
    or a day's), sent once. An entry belongs to at most one journal of a connection, so
    nothing in Xero's stock moves twice."""

    _name = "clarus.xero.stock.journal"
    _description = "Stock valuation journal for Xero"
    _order = "date desc, id desc"

    connection_id = fields.Many2one("clarus.xero.connection", required=True, index=True,
                                    ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    date = fields.Date(required=True)
    mode = fields.Selection([(journals.PER_OPERATION, "Per operation"),
                             (journals.DAILY, "Per day")], required=True)
    move_ids = fields.Many2many("account.move", string="Valuation entries")
    key = fields.Char(readonly=True, help="Sent in the journal's Narration: a resend after "
                                          "a lost answer finds the journal by it.")
    name = fields.Char(compute="_compute_name")
    job_ids = fields.One2many("clarus.xero.job", compute="_compute_job_ids")
    xero_state = fields.Char(compute="_compute_job_ids", string="Xero status")

    def _compute_name(self):
        for journal in self:
            if journal.mode == journals.DAILY:
                journal.name = self.env._("Stock valuation %(date)s", date=journal.date)
            else:
                journal.name = self.env._("Stock valuation %(entries)s",
                                          entries=", ".join(journal.move_ids.mapped("name")))

    def _compute_job_ids(self):
        for journal in self:
            jobs = self.env["clarus.xero.job"].search(
                [("res_model", "=", self._name), ("res_id", "=", journal.id)],
                order="id desc") if journal.id else self.env["clarus.xero.job"]
            journal.job_ids = jobs
            journal.xero_state = jobs[:1].state or False

    @api.model
    def _queue_moves(self, connection, moves):
        """Put posted valuation entries into journals and queue those for Xero: one per
        entry, or the day's open journal (its job not tried yet) for a daily summary,
        due once the day is over."""
        moves = moves - self.search([("connection_id", "=", connection.id),
                                     ("move_ids", "in", moves.ids)]).move_ids
        Job = self.env["clarus.xero.job"]
        rows, due = [], {}
        for move in moves.sorted(lambda m: (m.date, m.id)):
            if connection.stock_journal_mode == journals.PER_OPERATION:
                journal = self.create({"connection_id": connection.id, "date": move.date,
                                       "mode": journals.PER_OPERATION,
                                       "move_ids": [fields.Command.link(move.id)]})
                rows.append((journal, "manual_journal", (), 10))
                continue
            journal = self._open_day(connection, move.date)
            if journal:
                journal.move_ids = [fields.Command.link(move.id)]
                continue
            journal = self.create({"connection_id": connection.id, "date": move.date,
                                   "mode": journals.DAILY,
                                   "move_ids": [fields.Command.link(move.id)]})
            rows.append((journal, "manual_journal", (), 10))
            due[journal.id] = datetime.combine(move.date + timedelta(days=1), time.min)
        if rows:
            Job._enqueue_many(connection, rows)
        for journal_id, when in due.items():
            Job.search([("res_model", "=", self._name), ("res_id", "=", journal_id),
                        ("state", "=", "pending")]).next_attempt_at = when

    def _open_day(self, connection, day):
        """The day's journal still open to more entries: queued, never tried."""
        for journal in self.search([("connection_id", "=", connection.id),
                                    ("mode", "=", journals.DAILY), ("date", "=", day)]):
            jobs = journal.job_ids
            if jobs and all(job.state == "pending" and not job.attempts
                            and not job.outcome_unknown for job in jobs):
                return journal
        return self
