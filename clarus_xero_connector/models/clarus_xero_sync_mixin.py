from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from clarus_sync_engine import states


class ClarusXeroNoSyncMixin(models.AbstractModel):
    """A do-not-sync flag with a mandatory reason: flagged records are never enqueued."""

    _name = "clarus.xero.no.sync.mixin"
    _description = "Xero do-not-sync flag"

    clarus_xero_no_sync = fields.Boolean("Do not export to Xero", copy=False, tracking=True)
    clarus_xero_no_sync_reason = fields.Char("Reason not exported", copy=False, tracking=True)

    @api.constrains("clarus_xero_no_sync", "clarus_xero_no_sync_reason")
    def _check_clarus_xero_no_sync_reason(self):
        for record in self:
            if record.clarus_xero_no_sync and not (record.clarus_xero_no_sync_reason or "").strip():
                raise ValidationError(
                    self.env._("Say why %s must not be sent to Xero.", record.display_name)
                )


class ClarusXeroSyncedMixin(models.AbstractModel):
    """What a synced record shows: its Xero identity, status, last export and last error."""

    _name = "clarus.xero.synced.mixin"
    _inherit = ["clarus.xero.no.sync.mixin"]
    _description = "Synced to Xero"

    clarus_xero_id = fields.Char("Xero ID", compute="_compute_clarus_xero_sync")
    clarus_xero_number = fields.Char("Xero Number", compute="_compute_clarus_xero_sync")
    clarus_xero_status = fields.Char("Xero Status", compute="_compute_clarus_xero_sync")
    clarus_xero_exported_at = fields.Datetime("Last Export", compute="_compute_clarus_xero_sync")
    clarus_xero_last_error = fields.Text("Last Xero Error", compute="_compute_clarus_xero_sync")
    clarus_xero_sync_state = fields.Selection(
        [("not_synced", "Not synced"), ("queued", "Queued"), ("synced", "Synced"),
         ("error", "Error"), ("excluded", "Do not sync")],
        compute="_compute_clarus_xero_sync",
        string="Xero Sync",
    )
    clarus_xero_job_count = fields.Integer(compute="_compute_clarus_xero_sync")
    # The inbound half: what Xero changed is applied here unless this flag says not to.
    clarus_xero_no_import = fields.Boolean("Do not import from Xero", copy=False, tracking=True)
    clarus_xero_no_import_reason = fields.Char("Reason not imported", copy=False, tracking=True)
    # Stored, so lists filter and sort by them: the import writes the first, every bind
    # (``clarus.xero.binding._notify_bound``) the other two. The computed number and
    # export time above are those of the organisations of the user's companies; these
    # are the last ones, whichever organisation.
    clarus_xero_last_import = fields.Datetime("Last Import Date", copy=False, readonly=True)
    clarus_xero_last_export = fields.Datetime("Last Export Date", copy=False, readonly=True)
    clarus_xero_last_number = fields.Char("Last Xero Number", copy=False, readonly=True)

    @api.constrains("clarus_xero_no_import", "clarus_xero_no_import_reason")
    def _check_clarus_xero_no_import_reason(self):
        for record in self:
            if record.clarus_xero_no_import and not (
                    record.clarus_xero_no_import_reason or "").strip():
                raise ValidationError(
                    self.env._("Say why changes made in Xero must not reach %s.",
                               record.display_name)
                )

    def _compute_clarus_xero_sync(self):
        jobs_by_id = self._clarus_xero_jobs_by_record()
        bindings = self.env["clarus.xero.binding"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids),
             ("company_id", "in", self._clarus_xero_visible_company_ids())]
        )
        binding_by_id = {b.res_id: b for b in bindings}
        for record in self:
            binding = binding_by_id.get(record.id)
            jobs = jobs_by_id.get(record.id, self.env["clarus.xero.job"])
            failed = jobs.filtered(lambda j: j.state == states.FAILED)[:1]
            record.clarus_xero_id = binding.xero_id if binding else False
            record.clarus_xero_number = binding.xero_number if binding else False
            record.clarus_xero_status = binding.xero_status if binding else False
            record.clarus_xero_exported_at = binding.exported_at if binding else False
            record.clarus_xero_last_error = failed.error_message if failed else False
            record.clarus_xero_job_count = len(jobs)
            record.clarus_xero_sync_state = record._clarus_xero_sync_state(binding, jobs, failed)

    def _clarus_xero_visible_company_ids(self):
        """The companies whose Xero status this user may see: those selected and allowed."""
        return (self.env.companies & self.env.user.company_ids).ids

    def _clarus_xero_sync_state(self, binding, jobs, failed):
        if self.clarus_xero_no_sync:
            return "excluded"
        if failed:
            return "error"
        if jobs.filtered(lambda j: j.state in (states.PENDING, states.WAITING, states.RUNNING)):
            return "queued"
        return "synced" if binding else "not_synced"

    def _clarus_xero_jobs_by_record(self):
        result = {}
        if not self.ids:
            return result
        # Jobs are read as superuser for speed, so the company filter is explicit: a
        # customer or product shared between companies shows only the jobs (and error
        # texts) of the companies this user works in.
        jobs = self.env["clarus.xero.job"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids),
             ("company_id", "in", self._clarus_xero_visible_company_ids())], order="id desc"
        )
        for job in jobs:
            result.setdefault(job.res_id, self.env["clarus.xero.job"].sudo())
            result[job.res_id] |= job
        return result

    def action_view_clarus_xero_jobs(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Xero jobs"),
            "res_model": "clarus.xero.job",
            "view_mode": "list,form",
            "domain": [("res_model", "=", self._name), ("res_id", "=", self.id)],
        }

    def _clarus_xero_binding(self, connection):
        return self.env["clarus.xero.binding"].sudo()._get(connection, self)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_clarus_xero_synced(self):
        """A record Xero holds cannot be deleted here: Xero would keep pointing at it."""
        # Also what an organisation this connection left still holds.
        bound = self.env["clarus.xero.binding"].sudo().with_context(active_test=False).search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids)], limit=1
        )
        if bound:
            record = self.browse(bound.res_id)
            raise UserError(self.env._(
                "%(record)s exists in Xero (%(ref)s) and cannot be deleted here. Archive it "
                "instead; for an invoice, issue a credit note.",
                record=record.display_name, ref=bound.xero_number or bound.xero_id,
            ))
