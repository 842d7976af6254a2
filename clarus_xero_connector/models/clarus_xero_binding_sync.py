from odoo import fields, models

from clarus_sync_engine import updates

# What a contact or item builder leaves in the run's context for the bind: its key.
SENT_KEY = "clarus_xero_sent"


class ClarusXeroBinding(models.Model):
    """What Xero holds of a bound contact or item, as last sent or taken from Xero: the
    update path compares with it, so an edit that changes nothing Xero holds is not
    sent, and a contact edited on both sides is told apart from one edited on one."""

    _inherit = "clarus.xero.binding"  # pylint: disable=consider-merging-classes-inherited

    sync_digest = fields.Char(
        "Digest of what Xero holds", readonly=True,
        help="Fingerprint of the contact or item as Xero holds it after the last send or "
             "the last change taken from Xero.")
    sync_snapshot = fields.Json(
        "Values last synced", readonly=True,
        help="A contact's name, e-mail, phone, address and tax number as both sides last "
             "agreed: a field changed on both sides since is a conflict.")

    def _store_sent(self, ctx, kind, records):
        """After the push bound ``records`` (contacts or items it sent or found in Xero):
        keep the digest of what was sent, and for a contact the values it carried."""
        sent = ctx.get(SENT_KEY) or {}
        wanted = {(record._name, record.id): sent.pop((record._name, record.id))
                  for record in records if (record._name, record.id) in sent}
        if not wanted:
            return
        bindings = self.search([
            ("connection_id", "=", ctx["connection"].id),
            ("res_model", "in", list({model for model, _id in wanted})),
            ("res_id", "in", [res_id for _model, res_id in wanted]),
        ])
        for binding in bindings:
            entry = wanted.get((binding.res_model, binding.res_id))
            if not entry:
                continue
            digest, element = entry
            vals = {"sync_digest": digest}
            if kind == "contact":
                vals["sync_snapshot"] = updates.contact_values(element)
            binding.write(vals)
