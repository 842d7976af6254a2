from collections import Counter

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from clarus_sync_engine import imports, matching, retry

from ..models.clarus_xero_connection import XERO_CALL_ERRORS
from .clarus_xero_import_wizard_line import ACTIONS, RESULTS


class ClarusXeroImportWizard(models.TransientModel):
    """Import contacts and items from Xero: a preview first, nothing created until a
    person confirms.

    One line per active Xero contact and per Xero item, with what the import proposes
    (``clarus_sync_engine.matching``): link to the partner or product that matches and
    why, create a new one, update the one an earlier import created, or leave it to the
    person when several match. Confirming applies each line on its own: a bad record
    fails alone with its reason, the rest goes through. What is linked or created is
    bound to its ContactID or ItemID, so it is never sent to Xero again as new, and a
    second run finds it bound.
    """

    _name = "clarus.xero.import.wizard"
    _description = "Import contacts and items from Xero"

    connection_id = fields.Many2one("clarus.xero.connection", required=True, readonly=True,
                                    ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id")
    state = fields.Selection([("preview", "Preview"), ("done", "Done")], default="preview",
                             required=True, readonly=True)
    line_ids = fields.One2many("clarus.xero.import.wizard.line", "wizard_id")
    contact_line_ids = fields.One2many("clarus.xero.import.wizard.line", "wizard_id",
                                       domain=[("kind", "=", "contact")], string="Contacts")
    item_line_ids = fields.One2many("clarus.xero.import.wizard.line", "wizard_id",
                                    domain=[("kind", "=", "item")], string="Items")
    summary = fields.Char(compute="_compute_summary")

    @api.depends("state", "line_ids.action", "line_ids.result")
    def _compute_summary(self):
        for wizard in self:
            if wizard.state == "done":
                counts = Counter(wizard.line_ids.mapped("result"))
                labels = dict(RESULTS)
            else:
                counts = Counter(wizard.line_ids.mapped("action"))
                labels = dict(ACTIONS)
            wizard.summary = ", ".join(
                f"{labels[key]}: {counts[key]}" for key in labels if counts.get(key))

    # ------------------------------------------------------------------ preview

    @api.model
    def _open_preview(self, connection):
        if not self.env.user.has_group("account.group_account_manager"):
            raise UserError(self.env._("Only accounting managers import from Xero."))
        connection._check_ready()
        try:
            connection._ensure_fresh_token()
            gateway = connection._gateway()
            contacts = imports.read_contacts(gateway, connection.tenant_id)
            items = imports.read_items(gateway, connection.tenant_id)
        except XERO_CALL_ERRORS as exc:
            raise UserError(self.env._(
                "Xero did not answer the import: %s", retry.classify(exc).message)) from exc
        wizard = self.create({"connection_id": connection.id})
        Line = self.env["clarus.xero.import.wizard.line"]
        Line.create(wizard._contact_lines(contacts) + wizard._item_lines(items))
        return wizard._reopen()

    @api.model
    def _action_open_for_company(self):
        """The menu entry: the preview for the Xero connection of the current company."""
        connection = self.env["clarus.xero.connection"]._for_company(self.env.company)
        if not connection:
            raise UserError(self.env._(
                "%s has no Xero connection: connect it first.", self.env.company.name))
        return self._open_preview(connection)

    def _bound(self, model):
        bindings = self.env["clarus.xero.binding"].search([
            ("connection_id", "=", self.connection_id.id), ("res_model", "=", model)])
        return {b.xero_id: matching.Bound(b.res_id, b.created_by_import) for b in bindings}

    def _company_domain(self):
        return [("company_id", "in", [False, self.connection_id.company_id.id])]

    def _contact_lines(self, contacts):
        # Xero contacts are organisations or people billed on their own: companies and
        # partners without a parent, never a contact person of another partner.
        partners = self.env["res.partner"].search_read(
            [("parent_id", "=", False), *self._company_domain()], ["name", "email", "vat"])
        proposals = matching.match_contacts(contacts, partners, self._bound("res.partner"))
        by_id = {c["ContactID"]: c for c in contacts}
        lines = []
        for proposal in proposals:
            contact = by_id[proposal.xero_id]
            values = imports.partner_values(contact)
            lines.append(dict(
                self._line_vals(proposal), kind="contact", partner_id=proposal.record_id,
                candidate_partner_ids=[Command.set(proposal.candidate_ids)],
                xero_number=contact.get("ContactNumber"), xero_values=values,
                is_customer=values["is_customer"], is_supplier=values["is_supplier"]))
        return lines

    def _item_lines(self, items):
        products = self.env["product.product"].search_read(
            self._company_domain(), ["name", "default_code"])
        proposals = matching.match_items(items, products, self._bound("product.product"))
        by_id = {i["ItemID"]: i for i in items}
        return [dict(self._line_vals(proposal), kind="item", product_id=proposal.record_id,
                     candidate_product_ids=[Command.set(proposal.candidate_ids)],
                     xero_number=by_id[proposal.xero_id].get("Code"),
                     xero_values=imports.product_values(by_id[proposal.xero_id]))
                for proposal in proposals]

    def _line_vals(self, proposal):
        return {"wizard_id": self.id, "xero_id": proposal.xero_id, "label": proposal.label,
                "action": proposal.action, "proposed_action": proposal.action,
                "reason": matching.reasons_text(proposal.reasons), "note": proposal.note}

    def _reopen(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Import contacts and items from Xero"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    # ------------------------------------------------------------------ confirm

    def action_confirm(self):
        """Apply every line, each on its own; then say what was done."""
        self.ensure_one()
        if self.state != "preview":
            raise UserError(self.env._("This import was already confirmed."))
        for line in self.line_ids:
            line._apply()
        self.state = "done"
        self.connection_id.message_post(body=self.env._(
            "Contacts and items imported from Xero: %s.", self.summary))
        return self._reopen()
