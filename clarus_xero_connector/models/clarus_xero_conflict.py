from odoo import fields, models
from odoo.exceptions import UserError

from clarus_sync_engine import updates

from .clarus_xero_job import SYNC_CONTEXT_KEY

CONFLICT_FIELDS = [
    ("name", "Name"),
    ("email", "E-mail"),
    ("phone", "Phone"),
    ("address", "Address"),
    ("vat", "Tax number"),
]
CONFLICT_STATES = [
    ("open", "To decide"),
    ("kept_odoo", "Kept Odoo's"),
    ("took_xero", "Took Xero's"),
    ("agreed", "Both sides agree"),
]


class ClarusXeroConflict(models.Model):
    """A contact field edited in Odoo and in Xero since the last sync, each side with
    its own value: neither is overwritten until a person decides."""

    _name = "clarus.xero.conflict"
    _description = "Xero contact conflict"
    _order = "id desc"
    _rec_name = "partner_id"

    connection_id = fields.Many2one(
        "clarus.xero.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    partner_id = fields.Many2one("res.partner", "Contact", required=True, ondelete="cascade",
                                 index=True)
    field = fields.Selection(CONFLICT_FIELDS, required=True)
    odoo_value = fields.Char("Odoo's value", readonly=True)
    xero_value = fields.Char("Xero's value", readonly=True)
    xero_data = fields.Json(readonly=True, help="Xero's value as the sync reads it.")
    state = fields.Selection(CONFLICT_STATES, default="open", required=True, index=True)
    resolved_by_id = fields.Many2one("res.users", "Decided by", readonly=True)
    resolved_at = fields.Datetime("Decided on", readonly=True)

    _open_uniq = models.UniqueIndex(
        "(connection_id, partner_id, field) WHERE state = 'open'",
        "A contact field has one open conflict per Xero organisation.",
    )

    def _open_ones(self):
        return self.filtered(lambda c: c.state == "open")

    def _check_open(self):
        todo = self._open_ones()
        if not todo:
            raise UserError(self.env._("These conflicts are already decided."))
        return todo

    def _bindings(self):
        Binding = self.env["clarus.xero.binding"].sudo()
        return {(c.id): Binding._get(c.connection_id, c.partner_id) for c in self}

    def _acknowledge_xero(self, bindings):
        """Xero's value becomes the last synced value of the field: the next pull sees no
        new change there."""
        for conflict in self:
            binding = bindings.get(conflict.id)
            if binding:
                snapshot = dict(binding.sync_snapshot or {})
                snapshot[conflict.field] = conflict.xero_data
                binding.with_context(**{SYNC_CONTEXT_KEY: True}).sync_snapshot = snapshot

    def _close(self, state):
        self.write({"state": state, "resolved_by_id": self.env.user.id,
                    "resolved_at": fields.Datetime.now()})

    def action_keep_odoo(self):
        """Odoo's value stays and goes to Xero: the contact's update is queued."""
        todo = self._check_open()
        bindings = todo._bindings()
        todo._acknowledge_xero(bindings)
        todo._close("kept_odoo")
        Job = self.env["clarus.xero.job"].sudo()
        for connection, conflicts in todo.grouped("connection_id").items():
            Job._enqueue_many(connection, [(partner, "contact", (), 10)
                                           for partner in conflicts.partner_id])
        for conflict in todo:
            conflict.partner_id._message_log(body=self.env._(
                "Xero conflict on %(field)s: %(user)s kept Odoo's value (%(value)s); it "
                "goes to Xero.", field=conflict._field_label(), user=self.env.user.name,
                value=conflict.odoo_value or "-"))
        return True

    def action_take_xero(self):
        """Xero's value is written on the partner; nothing goes back to Xero."""
        todo = self._check_open()
        bindings = todo._bindings()
        Partner = self.env["res.partner"]
        for conflict in todo:
            vals = Partner._clarus_xero_partner_vals(conflict.field, conflict.xero_data)
            conflict.partner_id.with_context(**{SYNC_CONTEXT_KEY: True}).write(vals)
        todo._acknowledge_xero(bindings)
        todo._close("took_xero")
        for conflict in todo:
            conflict.partner_id._message_log(body=self.env._(
                "Xero conflict on %(field)s: %(user)s took Xero's value (%(value)s).",
                field=conflict._field_label(), user=self.env.user.name,
                value=conflict.xero_value or "-"))
        return True

    def _field_label(self):
        return dict(self._fields["field"]._description_selection(self.env)).get(
            self.field, self.field)

    def _record(self, connection, partner, field, odoo_value, xero_value):
        """Open (or bring up to date) the conflict of ``partner``'s ``field``."""
        vals = {"odoo_value": updates.display(field, odoo_value),
                "xero_value": updates.display(field, xero_value), "xero_data": xero_value}
        conflict = self.search([("connection_id", "=", connection.id),
                                ("partner_id", "=", partner.id), ("field", "=", field),
                                ("state", "=", "open")], limit=1)
        if conflict:
            conflict.write(vals)
            return conflict
        return self.create(dict(vals, connection_id=connection.id, partner_id=partner.id,
                                field=field))
