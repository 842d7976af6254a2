from odoo import api, fields, models

from clarus_sync_engine import states

LINK_ORIGINS = [("odoo", "Registered in Odoo"), ("xero", "Made in Xero")]
LINK_KINDS = [
    ("payment", "Payment"),
    ("overpayment", "Overpayment"),
    ("prepayment", "Prepayment"),
    ("credit_note", "Credit note allocation"),
]


class ClarusXeroPaymentLink(models.Model):
    """One Xero payment (or allocation) and the Odoo payment and document it stands for.

    A payment in Xero pays one document; an Odoo payment may pay several. Each pair
    (Odoo payment, paid document) is one Xero payment, so each has its own link. The
    origin says which side made it: what came from Xero is never sent back, and what
    Odoo sent is never applied again when Xero reports it.
    """

    _name = "clarus.xero.payment.link"
    _description = "Xero Payment Link"
    _order = "id desc"

    connection_id = fields.Many2one(
        "clarus.xero.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    payment_id = fields.Many2one("account.payment", ondelete="set null", index=True)
    move_id = fields.Many2one("account.move", "Document", ondelete="set null", index=True)
    amount = fields.Float(digits=(16, 2))
    xero_payment_id = fields.Char("Xero Payment ID", index=True)
    origin = fields.Selection(LINK_ORIGINS, required=True)
    kind = fields.Selection(LINK_KINDS, required=True, default="payment")
    state = fields.Selection([("active", "Active"), ("deleted", "Deleted")],
                             default="active", required=True)

    sync_state = fields.Selection(
        [("queued", "Queued"), ("sent", "In Xero"), ("error", "Error"),
         ("deleted", "Deleted in Xero"), ("received", "Made in Xero")],
        "Xero", compute="_compute_sync_state",
        help="Where this payment stands with Xero: waiting to go, in Xero, refused, or "
             "deleted in Xero after it was undone here.")
    error_message = fields.Text("Xero Error", compute="_compute_sync_state")

    _xero_uniq = models.UniqueIndex(
        "(connection_id, xero_payment_id, move_id) WHERE xero_payment_id IS NOT NULL",
        "A Xero payment is linked once per document.",
    )

    @api.depends("payment_id", "move_id", "amount")
    def _compute_display_name(self):
        for link in self:
            link.display_name = "%s → %s" % (link.payment_id.display_name or "?",
                                             link.move_id.display_name or "?")

    @api.depends("state", "origin", "xero_payment_id")
    def _compute_sync_state(self):
        jobs = self.env["clarus.xero.job"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids)], order="id desc")
        latest = {}
        for job in jobs:
            latest.setdefault(job.res_id, job)
        for link in self:
            job = latest.get(link.id)
            link.error_message = job.error_message if job and job.state == states.FAILED \
                else False
            if link.origin == "xero":
                link.sync_state = "received"
            elif link.state == "deleted":
                link.sync_state = "deleted"
            elif job and job.state == states.FAILED:
                link.sync_state = "error"
            elif link.xero_payment_id and not (job and job.state in states.BLOCKING_STATES):
                link.sync_state = "sent"
            else:
                link.sync_state = "queued"

    def _message_log_batch(self, bodies, **kwargs):
        """What the sync says about a link (a refusal by Xero) goes to the chatter of the
        Odoo payment it belongs to, where the person who registered it looks."""
        by_payment = {}
        for link in self.browse(list(bodies)).exists():
            if link.payment_id:
                by_payment.setdefault(link.payment_id.id, []).append(
                    "%s: %s" % (link.move_id.display_name, bodies[link.id]))
        payments = self.env["account.payment"].browse(list(by_payment))
        return payments._message_log_batch(
            {pid: "\n".join(texts) for pid, texts in by_payment.items()}, **kwargs)

    def _clarus_xero_queue_deletion(self, conn):
        """These links no longer stand for a payment in Odoo: what never reached Xero is
        cancelled here, what Xero holds (or may hold: a send under way, or whose answer
        was lost) gets a deletion, which goes after the send (same record)."""
        if not self:
            return
        Job = self.env["clarus.xero.job"].sudo()
        jobs = Job.search([("res_model", "=", self._name), ("res_id", "in", self.ids),
                           ("kind", "=", "payment")])
        to_delete = self.browse()
        for link in self:
            own = jobs.filtered(lambda job, link=link: job.res_id == link.id)
            if link.xero_payment_id or any(job.state == states.RUNNING or job.outcome_unknown
                                           for job in own):
                to_delete |= link
                continue
            own.filtered(lambda job: job.state in (
                states.PENDING, states.WAITING, states.FAILED))._move_to(
                states.CANCELLED, done_at=fields.Datetime.now(),
                error_message=self.env._("The payment was undone in Odoo before it was sent."))
            link.state = "deleted"
        Job._enqueue_many(conn, [(link, "payment_delete", [], 10) for link in to_delete])

    def _clarus_xero_pending_deletions(self):
        """``{link id: deletion job}`` for these links' deletions not done yet."""
        jobs = self.env["clarus.xero.job"].sudo().search([
            ("res_model", "=", self._name), ("res_id", "in", self.ids),
            ("kind", "=", "payment_delete"), ("state", "in", list(states.BLOCKING_STATES))])
        return {job.res_id: job for job in jobs}

    def _clarus_xero_keep(self, deletions):
        """These links stand for a payment again (reconciled again before their deletion
        was sent): the deletion that waits is cancelled, Xero keeps its payment."""
        waiting = self.env["clarus.xero.job"].sudo().union(*[
            deletions[link.id] for link in self
            if link.id in deletions and deletions[link.id].state != states.RUNNING])
        waiting._move_to(states.CANCELLED, done_at=fields.Datetime.now(), error_message=self.env._(
            "The payment was reconciled again before its deletion was sent."))
