from odoo import api, fields, models
from odoo.exceptions import UserError

from clarus_sync_engine import mapping, updates

from .clarus_xero_job import SYNC_CONTEXT_KEY

# The partner fields a Xero contact carries (``_clarus_xero_contact_data``): an edit of
# one of them on a partner Xero holds may need an update there.
CONTACT_SOURCE_FIELDS = frozenset({
    "name", "ref", "email", "vat", "phone", "street", "street2", "city", "zip", "country_id",
    "is_company", "parent_id",
})
FIELD_LABELS = {"name": "Name", "email": "E-mail", "phone": "Phone", "address": "Address",
                "vat": "Tax number"}


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "clarus.xero.synced.mixin"]

    clarus_xero_po_save = fields.Selection(
        [("default", "Use the connection's default"), ("always", "Always"),
         ("never", "Never")],
        "Save purchase orders to Xero", default="default",
        help="Whether new purchase orders from this vendor are sent to Xero: the Xero "
             "connection's default, always or never. Each order can still be changed.")
    clarus_xero_conflict_count = fields.Integer(
        "Xero conflicts", compute="_compute_clarus_xero_conflict_count",
        help="Fields changed both here and in Xero since the last sync, waiting for a "
             "decision.")

    def _clarus_xero_contact_number(self):
        """Our key for the contact in Xero ("Contact Code"): stable, unique, <= 50 chars."""
        self.ensure_one()
        return (self.ref or f"ODOO-{self.id}")[:50]

    def _clarus_xero_contact_data(self):
        """Plain data for the sync engine's contact mapping."""
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "contact_number": self._clarus_xero_contact_number(),
            "email": self.email or None,
            "vat": self.vat or None,
            "phone": self.phone or None,
            "street": self.street or None,
            "street2": self.street2 or None,
            "city": self.city or None,
            "zip": self.zip or None,
            "country_code": self.country_id.code or None,
            "ref": self.ref or None,
        }

    # ------------------------------------------------------------ conflicts

    def _compute_clarus_xero_conflict_count(self):
        # Read as superuser (a salesperson opens contacts too), for their companies only.
        counts = dict(self.env["clarus.xero.conflict"].sudo()._read_group(
            [("partner_id", "in", self.ids), ("state", "=", "open"),
             ("company_id", "in", self._clarus_xero_visible_company_ids())],
            ["partner_id"], ["__count"]))
        for partner in self:
            partner.clarus_xero_conflict_count = counts.get(partner, 0)

    def action_view_clarus_xero_conflicts(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Xero conflicts"),
            "res_model": "clarus.xero.conflict",
            "view_mode": "list,form",
            "domain": [("partner_id", "=", self.id)],
            "context": {"search_default_open": 1},
        }

    # ------------------------------------------------------ updates to Xero

    def write(self, vals):
        result = super().write(vals)
        if CONTACT_SOURCE_FIELDS.intersection(vals) and not self.env.context.get(
                SYNC_CONTEXT_KEY):
            self._clarus_xero_refresh_conflicts()
            self._clarus_xero_queue_updates()
        return result

    def _clarus_xero_refresh_conflicts(self):
        """Open conflicts show Odoo's value as it is now; one Odoo now agrees on with
        Xero is closed (nothing is left to decide)."""
        conflicts = self.env["clarus.xero.conflict"].sudo().search([
            ("partner_id", "in", self.commercial_partner_id.ids), ("state", "=", "open")])
        for partner, partner_conflicts in conflicts.grouped("partner_id").items():
            odoo = updates.contact_values(partner._clarus_xero_current_element())
            for conflict in partner_conflicts:
                value = odoo[conflict.field]
                if updates.same_value(value, conflict.xero_data, conflict.field):
                    conflict.write({"state": "agreed", "resolved_by_id": self.env.uid,
                                    "resolved_at": fields.Datetime.now()})
                else:
                    conflict.odoo_value = updates.display(conflict.field, value)

    def _clarus_xero_queue_updates(self):
        """Queue an update of the contacts Xero holds for these partners, one per
        organisation, when what Xero would receive differs from what it holds."""
        partners = self.commercial_partner_id.filtered(lambda p: not p.clarus_xero_no_sync)
        if not partners:
            return
        bindings = self.env["clarus.xero.binding"].sudo().search([
            ("res_model", "=", "res.partner"), ("res_id", "in", partners.ids),
            ("connection_id.active", "=", True)])
        Document = self.env["clarus.xero.document"].sudo()
        for connection, conn_bindings in bindings.grouped("connection_id").items():
            ctx = {"connection": connection, "clarus_xero_dry_run": True}
            todo = [partner for partner in partners.browse(conn_bindings.mapped("res_id"))
                    if Document._contact_element(ctx, partner) != (None, [])]
            if todo:
                self.env["clarus.xero.job"].sudo()._enqueue_many(
                    connection, [(partner, "contact", (), 10) for partner in todo])

    # ---------------------------------------------------- changes from Xero

    @api.model
    def _clarus_xero_apply_contact(self, connection, element, partner):
        """Apply a contact as Xero holds it (``element``, Xero's JSON) to ``partner``,
        which is bound to it on ``connection``. Returns a short text of what changed,
        "" when nothing did.

        Only the fields chosen on the connection flow back. A field changed on both
        sides since the last sync, differently, is not overwritten: a conflict is opened
        for a person to decide, and the other fields still apply. A contact merged in
        Xero moves the binding to the contact it was merged into. Nothing written here
        is sent back to Xero."""
        partner = partner.exists()
        if not partner:
            raise UserError(self.env._(
                "The Odoo contact of the Xero contact %s no longer exists.",
                element.get("Name") or element.get("ContactID")))
        Binding = self.env["clarus.xero.binding"].sudo().with_context(
            **{SYNC_CONTEXT_KEY: True})
        binding = Binding._get(connection, partner)
        if not binding:
            raise UserError(self.env._(
                "%(partner)s is not linked to a contact of the Xero organisation "
                "%(connection)s, so its changes in Xero cannot be applied.",
                partner=partner.display_name, connection=connection.name))
        now = fields.Datetime.now()
        merged_into = element.get("MergedToContactID")
        if merged_into and element.get("ContactStatus") == "ARCHIVED":
            return partner._clarus_xero_follow_merge(connection, binding, merged_into, now)
        if element.get("ContactID") and element["ContactID"] != binding.xero_id:
            raise UserError(self.env._(
                "%(partner)s is linked to the Xero contact %(bound)s, not %(other)s.",
                partner=partner.display_name, bound=binding.xero_id,
                other=element["ContactID"]))
        if partner.clarus_xero_no_import:
            return self.env._(
                "Not applied: %(partner)s is marked \"Do not import from Xero\" (%(reason)s).",
                partner=partner.display_name, reason=partner.clarus_xero_no_import_reason)
        return partner._clarus_xero_merge_contact(connection, binding, element, now)

    def _clarus_xero_follow_merge(self, connection, binding, merged_into, now):
        """Xero merged this partner's contact into ``merged_into``: bind to that one."""
        self.ensure_one()
        taken = self.env["clarus.xero.binding"].sudo().search([
            ("connection_id", "=", connection.id), ("res_model", "=", "res.partner"),
            ("xero_id", "=", merged_into), ("id", "!=", binding.id)], limit=1)
        if taken:
            other = self.browse(taken.res_id)
            raise UserError(self.env._(
                "Xero merged the contact of %(partner)s into the contact of %(other)s. Merge "
                "the two contacts in Odoo too (or link %(partner)s to another Xero "
                "contact); until then its documents cannot be sent.",
                partner=self.display_name, other=other.display_name))
        binding.write({"xero_id": merged_into, "xero_status": "ACTIVE"})
        text = self.env._("Merged in Xero into the contact %s: now linked to it.", merged_into)
        self.with_context(**{SYNC_CONTEXT_KEY: True}).write(
            {"clarus_xero_last_import": now})
        self._message_log(body=self.env._("Xero: %s", text))
        return text

    def _clarus_xero_merge_contact(self, connection, binding, element, now):
        """The three-way merge of the chosen fields (``updates.merge``), applied."""
        self.ensure_one()
        chosen = connection._contact_import_fields()
        xero = updates.contact_values(element)
        odoo = updates.contact_values(self._clarus_xero_current_element())
        base = binding.sync_snapshot or None
        decisions = updates.merge(base, odoo, xero, chosen)
        snapshot = dict(base or odoo)
        vals, changed, conflicts = {}, [], []
        Conflict = self.env["clarus.xero.conflict"].sudo()
        open_conflicts = Conflict.search([
            ("connection_id", "=", connection.id), ("partner_id", "=", self.id),
            ("state", "=", "open")])
        for field, (decision, value) in decisions.items():
            if decision == updates.CONFLICT:
                Conflict._record(connection, self, field, odoo[field], value)
                conflicts.append(FIELD_LABELS[field])
                continue
            snapshot[field] = value
            if decision == updates.TAKE_XERO:
                vals.update(self._clarus_xero_partner_vals(field, value))
                changed.append(self.env._(
                    "%(field)s: %(old)s → %(new)s", field=FIELD_LABELS[field],
                    old=updates.display(field, odoo[field]) or "-",
                    new=updates.display(field, value) or "-"))
            if updates.same_value(value, odoo[field], field):
                # Someone made both sides agree: nothing is left to decide.
                open_conflicts.filtered(lambda c, f=field: c.field == f).write({
                    "state": "agreed", "resolved_at": now})
        vals["clarus_xero_last_import"] = now
        self.with_context(**{SYNC_CONTEXT_KEY: True}).write(vals)
        binding.write({"sync_snapshot": snapshot, "sync_digest": updates.digest(
            "contact", element), "xero_status": element.get("ContactStatus") or "ACTIVE"})
        parts = list(changed)
        if conflicts:
            parts.append(self.env._(
                "changed on both sides, for a person to decide: %s", ", ".join(conflicts)))
        text = "; ".join(parts)
        if text:
            self._message_log(body=self.env._("Changed in Xero: %s", text))
        return text

    def _clarus_xero_current_element(self):
        """The contact as Odoo would send it now, for comparing with Xero's."""
        data = self._clarus_xero_contact_data()
        data["ref"] = data["contact_number"]
        return mapping.contact_payload(data)

    @api.model
    def _clarus_xero_partner_vals(self, field, value):
        """Partner values for one contact field as ``updates.contact_values`` reads it."""
        if field == "address":
            value = value or {}
            return {"street": value.get("street") or False,
                    "street2": value.get("street2") or False,
                    "city": value.get("city") or False, "zip": value.get("zip") or False,
                    "country_id": self._clarus_xero_country(value.get("country")).id}
        if field == "name":
            if not value:
                raise UserError(self.env._("Xero sent a contact without a name."))
            return {"name": value}
        return {field: value or False}

    @api.model
    def _clarus_xero_country(self, text):
        """The country Xero names (a code such as "NZ", or a name), or no country."""
        if not text:
            return self.env["res.country"]
        Country = self.env["res.country"]
        country = Country.search([("code", "=ilike", text)], limit=1) if len(text) == 2 \
            else Country
        country = country or Country.search([("name", "=ilike", text)], limit=1)
        if not country:
            raise UserError(self.env._(
                "Xero's address names the country \"%s\", which Odoo does not know. Correct "
                "the country in Xero; the contact is read again with its next change.",
                text))
        return country
