import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..models.clarus_xero_job import SYNC_CONTEXT_KEY

ACTIONS = [
    ("link", "Link"),
    ("create", "Create"),
    ("update", "Update"),
    ("choose", "To choose"),
    ("skip", "Skip"),
]
RESULTS = [
    ("created", "Created"),
    ("linked", "Linked"),
    ("updated", "Updated"),
    ("skipped", "Skipped"),
    ("failed", "Failed"),
]
PARTNER_FIELDS = ("name", "email", "vat", "phone", "street", "street2", "city", "zip")
PRODUCT_FIELDS = ("name", "default_code", "description_sale", "description_purchase",
                  "list_price", "standard_price", "sale_ok", "purchase_ok")


class ClarusXeroImportWizardLine(models.TransientModel):
    """One Xero contact or item in the import preview, and what became of it."""

    _name = "clarus.xero.import.wizard.line"
    _description = "Xero record to import"
    _order = "kind, label, id"

    wizard_id = fields.Many2one("clarus.xero.import.wizard", required=True,
                                ondelete="cascade")
    kind = fields.Selection([("contact", "Contact"), ("item", "Item")], required=True,
                            readonly=True)
    xero_id = fields.Char("Xero ID", required=True, readonly=True)
    xero_number = fields.Char("Xero code", readonly=True,
                              help="The contact's ContactNumber or the item's Code.")
    label = fields.Char("In Xero", readonly=True)
    proposed_action = fields.Selection(ACTIONS, readonly=True)
    action = fields.Selection(ACTIONS, required=True)
    partner_id = fields.Many2one("res.partner")
    product_id = fields.Many2one("product.product")
    candidate_partner_ids = fields.Many2many(
        "res.partner", "clarus_xero_import_line_partner_rel", string="Matching partners",
        readonly=True)
    candidate_product_ids = fields.Many2many(
        "product.product", "clarus_xero_import_line_product_rel", string="Matching products",
        readonly=True)
    reason = fields.Char("Matched by", readonly=True)
    note = fields.Char(readonly=True)
    is_customer = fields.Boolean("Customer", readonly=True)
    is_supplier = fields.Boolean("Supplier", readonly=True)
    xero_values = fields.Json(readonly=True, help="The record as Xero holds it.")
    result = fields.Selection(RESULTS, readonly=True)
    result_message = fields.Char("Why", readonly=True)

    @api.onchange("partner_id", "product_id")
    def _onchange_record_link(self):
        """Choosing a record means linking to it."""
        for line in self:
            if (line.partner_id or line.product_id) and line.action in ("choose", "create"):
                line.action = "link"

    # ------------------------------------------------------------------ apply

    def _record(self):
        return self.partner_id if self.kind == "contact" else self.product_id

    def _apply(self):
        """Apply this line in a savepoint of its own: a record Odoo refuses fails alone,
        with Odoo's reason."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                result, message = self._apply_action()
        except (UserError, ValidationError, psycopg2.Error) as exc:
            result, message = "failed", str(getattr(exc, "args", [exc])[0] or exc)
        self.write({"result": result, "result_message": message})

    def _apply_action(self):
        if self.action == "skip":
            return "skipped", self.note or ""
        if self.action == "choose":
            return "skipped", self.env._("Left to choose: no record was picked.")
        record = self._record()
        if self.action in ("link", "update") and not record:
            raise UserError(self.env._("Pick the %s to link.", self._kind_label()))
        if self.action == "update":
            return self._update(record)
        if self.action == "create":
            record = self._create_record()
            self._bind(record, created=True)
            return "created", ""
        return self._link(record)

    def _kind_label(self):
        return self.env._("partner") if self.kind == "contact" else self.env._("product")

    def _synced(self, records):
        # Writes made by the import come from Xero: they never queue an export.
        return records.with_context(**{SYNC_CONTEXT_KEY: True})

    def _create_record(self):
        company = self.wizard_id.connection_id.company_id
        if self.kind == "contact":
            # A Xero contact is who the documents go to: an organisation (or a person
            # billed on their own), never a contact person under another partner.
            vals = dict(self._partner_vals(), company_id=company.id, is_company=True,
                        customer_rank=int(self.is_customer), supplier_rank=int(self.is_supplier))
            model = "res.partner"
        else:
            vals = dict(self._product_vals(), company_id=company.id, type="consu",
                        is_storable=bool((self.xero_values or {}).get("is_storable")))
            model = "product.product"
        if not vals.get("name"):
            raise UserError(self.env._("Xero holds no name for this %s.", self._kind_label()))
        return self._synced(self.env[model]).create(
            dict(vals, clarus_xero_last_import=fields.Datetime.now()))

    def _update(self, record):
        """Refresh a record an earlier import created, unless it says not to."""
        if record.clarus_xero_no_import:
            return "skipped", self.env._(
                "Do not import from Xero: %s", record.clarus_xero_no_import_reason)
        vals = self._partner_vals() if self.kind == "contact" else self._product_vals()
        if self.kind == "contact":
            vals.update(self._rank_vals(record))
        self._synced(record).write(dict(vals, clarus_xero_last_import=fields.Datetime.now()))
        return "updated", ""

    def _link(self, record):
        connection = self.wizard_id.connection_id
        binding = self.env["clarus.xero.binding"].search([
            ("connection_id", "=", connection.id), ("res_model", "=", record._name),
            ("res_id", "=", record.id)], limit=1)
        if binding and binding.xero_id != self.xero_id:
            raise UserError(self.env._(
                "%(record)s is already linked to another Xero record (%(ref)s).",
                record=record.display_name, ref=binding.xero_number or binding.xero_id))
        if self.kind == "item":
            self._take_item_code(record)
        self._bind(record, created=False)
        if record.clarus_xero_no_import:
            return "linked", self.env._(
                "Linked only; nothing copied from Xero: %s", record.clarus_xero_no_import_reason)
        vals = self._rank_vals(record) if self.kind == "contact" else {}
        self._synced(record).write(dict(vals, clarus_xero_last_import=fields.Datetime.now()))
        return "linked", ""

    def _take_item_code(self, product):
        """Document lines carry the product's code as the ItemCode: a linked product must
        have the code Xero knows, so one without a code takes Xero's."""
        code = (self.xero_number or "").strip()
        own = (product.default_code or "").strip()
        if own and own != code:
            raise UserError(self.env._(
                "%(product)s has the code %(own)s in Odoo and %(code)s in Xero; invoices "
                "carry the code, so make them the same first.",
                product=product.display_name, own=own, code=code))
        if not own:
            self._synced(product).default_code = code

    def _bind(self, record, created):
        """Bind ``record`` to this Xero record. A new binding says the record came from
        Xero: it was never exported, so its Last Export stays empty."""
        Binding = self.env["clarus.xero.binding"].sudo()
        connection = self.wizard_id.connection_id
        new = Binding._bind_many(connection, [(record, self.xero_id, self.xero_number,
                                               "ACTIVE")])
        if new:
            new.write({"exported_at": False, "created_by_import": created})
            Binding._notify_bound(connection, [record])

    def _rank_vals(self, partner):
        """Customers and suppliers told apart: Xero's IsCustomer / IsSupplier make the
        partner one, never less than Odoo already has it."""
        vals = {}
        if self.is_customer and not partner.customer_rank:
            vals["customer_rank"] = 1
        if self.is_supplier and not partner.supplier_rank:
            vals["supplier_rank"] = 1
        return vals

    def _partner_vals(self):
        values = self.xero_values or {}
        vals = {field: values.get(field) or False for field in PARTNER_FIELDS}
        vals["country_id"] = self._country(values.get("country_code")).id
        return vals

    def _product_vals(self):
        values = self.xero_values or {}
        vals = {field: values.get(field) for field in PRODUCT_FIELDS
                if values.get(field) is not None}
        for field in ("default_code", "description_sale", "description_purchase"):
            vals.setdefault(field, False)
        return vals

    def _country(self, text):
        """Xero keeps the country as typed: an ISO code or a name."""
        Country = self.env["res.country"]
        if not text:
            return Country
        return (Country.search([("code", "=ilike", text)], limit=1)
                or Country.search([("name", "=ilike", text)], limit=1))
