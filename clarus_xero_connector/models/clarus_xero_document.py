import logging

from odoo import api, models

from clarus_sync_engine import client, contacts, guards, mapping, totals, updates
from clarus_sync_engine.pacing import PacingStop
from clarus_sync_engine.retry import LookupNotFound

from .clarus_xero_binding_sync import SENT_KEY
from .clarus_xero_connection import XERO_CALL_ERRORS
from .clarus_xero_job import SYNC_CONTEXT_KEY

_logger = logging.getLogger(__name__)

PURCHASE_TYPES = ("in_invoice", "in_refund")
CREDIT_TYPES = ("out_refund", "in_refund")
# What ``_move_data`` and ``_line_data`` read: once a document is in Xero, these are the
# fields that would make Odoo and Xero disagree if they changed (see account.move's lock).
MOVE_FIELDS_SENT = frozenset({
    "name", "move_type", "partner_id", "commercial_partner_id", "company_id", "currency_id",
    "invoice_currency_rate", "invoice_date", "invoice_date_due", "invoice_payment_term_id",
    "invoice_cash_rounding_id", "reversed_entry_id", "invoice_line_ids", "line_ids", "state",
    "team_id", "ref",
})
LINE_FIELDS_SENT = frozenset({
    "move_id", "display_type", "product_id", "name", "quantity", "price_unit", "discount",
    "account_id", "tax_ids", "analytic_distribution", "sale_line_ids", "purchase_line_id",
    "currency_id",
})


def fields_not_sent(tracking_source, include_product_description, move_type=None):
    """``(model, field)`` pairs of the sets above that a connection with these settings
    leaves out of the payload of a ``move_type`` document. Only a bill sends its
    reference (the vendor's number becomes Xero's InvoiceNumber)."""
    skipped = set()
    if move_type not in PURCHASE_TYPES:
        skipped.add(("account.move", "ref"))
    if tracking_source != "team":
        skipped.add(("account.move", "team_id"))
    if tracking_source != "analytic":
        skipped.add(("account.move.line", "analytic_distribution"))
    if not include_product_description:
        skipped.add(("account.move.line", "name"))
    return skipped


class ClarusXeroDocument(models.AbstractModel):
    """Odoo records -> plain data -> Xero elements, for one connection.

    Reads records and mappings; the mapping decisions live in ``clarus_sync_engine``.
    Each builder returns ``(element, problems)``: a non-empty ``problems`` list means the
    record is not sent and fails alone with those sentences; ``(None, [])`` means there is
    nothing left to send (the job is done, ``_settled`` says why).
    """

    _name = "clarus.xero.document"
    _description = "Xero document builder"

    # ---------------------------------------------------------------- context

    @api.model
    def _context_for(self, connection):
        """What every builder needs, read once per run: mappings and Xero's reference data
        (as the last import stored it), the organisation's lock dates and no-tax rate."""
        Reference = self.env["clarus.xero.reference"]
        refs = Reference.search([("connection_id", "=", connection.id)])
        known = {}
        if refs:
            active = refs.filtered(lambda r: (r.status or "ACTIVE") == "ACTIVE")
            by_kind = {}
            for ref in active:
                by_kind.setdefault(ref.kind, self.env["clarus.xero.reference"])
                by_kind[ref.kind] |= ref
            accounts = by_kind.get("account", Reference)
            rates = by_kind.get("tax_rate", Reference)
            known = {
                "currencies": set(by_kind.get("currency", Reference).mapped("code")),
                "account_codes": set(accounts.mapped("code")),
                "tax_types": set(rates.mapped("code")),
                "tax_rates": {r.code: r.rate for r in rates},
                # Raw Xero dicts: each line's tax rate is checked against its account.
                "accounts": {r.code: r._xero_account() for r in accounts},
                "tax_rate_records": {r.code: r._xero_tax_rate() for r in rates},
            }
        if connection.period_lock_date or connection.end_of_year_lock_date:
            known["organisation"] = connection._organisation_lock_dates()
        return {
            "connection": connection,
            "maps": self.env["clarus.xero.mapping"]._lookup(connection),
            "known": known,
            "no_tax_type": connection.no_tax_type_code or None,
        }

    def _binding_id(self, ctx, record):
        cache = ctx.setdefault("bindings", {})
        key = (record._name, record.id)
        if key not in cache:
            binding = self.env["clarus.xero.binding"]._get(ctx["connection"], record)
            cache[key] = binding.xero_id if binding else None
        return cache[key]

    @api.model
    def _prefetch_bindings(self, ctx, records):
        """Read the Xero IDs a batch of documents points at in one query."""
        moves = self.env["account.move"].union(
            *[r for (model, _id), r in records.items() if model == "account.move"])
        if not moves:
            return
        wanted = {("res.partner", p.id) for p in moves.partner_id.commercial_partner_id}
        wanted |= {("account.move", m.id) for m in moves | moves.reversed_entry_id}
        cache = ctx.setdefault("bindings", {})
        cache.update(dict.fromkeys(wanted))
        for binding in self.env["clarus.xero.binding"].search([
            ("connection_id", "=", ctx["connection"].id),
            ("res_model", "in", ["res.partner", "account.move"]),
            ("res_id", "in", [res_id for _model, res_id in wanted]),
        ]):
            if (binding.res_model, binding.res_id) in wanted:
                cache[(binding.res_model, binding.res_id)] = binding.xero_id

    # ---------------------------------------------------------------- contacts

    @api.model
    def _imported_contacts_by_email(self, ctx):
        """Xero contacts from the last import, by email (read once per run)."""
        if "contacts_by_email" not in ctx:
            refs = self.env["clarus.xero.reference"].search([
                ("connection_id", "=", ctx["connection"].id), ("kind", "=", "contact"),
                ("email", "!=", False)])
            ctx["contacts_by_email"] = {
                ref.email: {"ContactID": ref.xero_id, "Name": ref.name,
                            "EmailAddress": ref.email, "ContactStatus": ref.status,
                            "ContactNumber": ref.code if ref.code != ref.xero_id else None}
                for ref in refs
            }
        return ctx["contacts_by_email"]

    @api.model
    def _contact_element(self, ctx, partner, taken_names=()):
        data = partner._clarus_xero_contact_data()
        if not (data["name"] or "").strip():
            # Xero's contact needs a name, and Odoo lets addresses go without one.
            return {}, [self.env._(
                "This contact has no name, and Xero needs one. Give %(contact)s a name "
                "(or use its company on the document), then retry.",
                contact=partner.display_name or partner.email or f"#{partner.id}")]
        data["ref"] = data["contact_number"]
        data["name"] = contacts.disambiguate_name(data["name"], taken_names, data["ref"])
        notes = []
        payload = mapping.contact_payload(data, notes)
        if notes and not ctx.get("clarus_xero_dry_run"):
            # Xero refuses the whole contact for a bad e-mail: it goes without one, and
            # the partner says why.
            partner._message_log(body=self.env._("Xero: %s", " ".join(notes)))
        binding = self.env["clarus.xero.binding"].sudo()._get(ctx["connection"], partner)
        if binding:
            # An update of the contact Xero holds, by its ID: what Odoo left empty is
            # cleared there, and a field still in conflict keeps Xero's value until a
            # person decides.
            payload["ContactID"] = binding.xero_id
            updates.clearing_update(payload)
            for conflict in self.env["clarus.xero.conflict"].sudo().search([
                    ("connection_id", "=", ctx["connection"].id),
                    ("partner_id", "=", partner.id), ("state", "=", "open")]):
                updates.set_contact_value(payload, conflict.field, conflict.xero_data)
        return self._unless_held(ctx, "contact", partner, binding, payload), []

    def _unless_held(self, ctx, kind, record, binding, payload):
        """``payload``, or None when Xero already holds exactly it (the job is then done
        without a call, ``_settled`` says why). What is sent is remembered for the bind
        (``clarus.xero.binding._store_sent``)."""
        digest = updates.digest(kind, payload)
        key = (record._name, record.id)
        if binding and binding.sync_digest == digest:
            ctx.setdefault("settled", {})[key] = self.env._(
                "Xero already holds these values: nothing to update.")
            return None
        # The element itself: a new contact may still be renamed before it goes.
        ctx.setdefault(SENT_KEY, {})[key] = (digest, payload)
        return payload

    # ------------------------------------------------------------------- items

    @api.model
    def _item_element(self, ctx, product):
        conn = ctx["connection"]
        data = product._clarus_xero_item_data()
        tracked = bool(conn.tracked_items and data["is_storable"])
        tax = product.taxes_id.filtered(lambda t: t.company_id == conn.company_id)[:1]
        supplier_tax = product.supplier_taxes_id.filtered(
            lambda t: t.company_id == conn.company_id)[:1]
        accounts = {
            "sales_account": self._account_code(ctx, product.property_account_income_id)
            or conn.default_sales_account_code,
            "sales_tax_type": ctx["maps"]["tax"].get(tax.id) or conn.default_tax_type or None,
            "purchase_tax_type": ctx["maps"]["tax"].get(supplier_tax.id),
            "purchase_account": conn.default_expense_account_code,
            "cogs_account": conn.default_expense_account_code,
            "inventory_account": conn.inventory_account_code,
        }
        binding = self.env["clarus.xero.binding"].sudo()._get(conn, product)
        payload = mapping.item_payload(
            {
                # An item Xero holds is updated by its ID, even after a change of code.
                "xero_id": binding.xero_id if binding else None,
                "default_code": data["code"],
                "name": data["name"],
                "description": data["description"],
                "purchase_description": data["purchase_description"],
                "list_price": data["sale_price"],
                "standard_price": data["cost"],
                "sale_ok": product.sale_ok,
                "purchase_ok": product.purchase_ok,
            },
            tracked,
            accounts,
        )
        problems = mapping.validate_item(payload, ctx["known"])
        if problems:
            return payload, problems
        return self._unless_held(ctx, "item", product, binding, payload), []

    def _account_code(self, ctx, account):
        return ctx["maps"]["account"].get(account.id) if account else None

    # -------------------------------------------------- invoices, credit notes

    @api.model
    def _move_element(self, ctx, move):
        conn = ctx["connection"]
        data = self._move_data(ctx, move)
        # The payload builders fit Xero's arithmetic to Odoo's totals (per-line TaxAmount,
        # or a rounding line); what cannot be fitted comes back in ``problems``.
        problems = self._line_problems(move)
        if move.move_type in CREDIT_TYPES:
            payload = mapping.credit_note_payload(data, problems)
        else:
            payload = mapping.invoice_payload(data, problems)
        problems += mapping.validate_invoice(payload, ctx["known"])
        if not ctx["no_tax_type"] and data["line_amount_types"] != "NoTax" and any(
                not line.tax_ids for line in self._product_lines(move)):
            problems.append(self.env._(
                "Some lines have no tax, and the Xero organisation's no-tax rate is not "
                "known. Import the reference data from Xero, or choose the no-tax rate in "
                "the Xero settings."))
        if conn.invoice_status == "DRAFT":
            payload["Status"] = "DRAFT"
        payload.update(conn._branding_theme_element(move))
        return payload, problems

    def _move_data(self, ctx, move):
        """A customer document is ACCREC, named by its sale orders; a bill or vendor
        refund is ACCPAY, numbered with the vendor's reference (Xero's Reference is
        ACCREC-only: a bill names its purchase orders in its line descriptions)."""
        conn = ctx["connection"]
        bill = move.move_type in PURCHASE_TYPES
        orders = move.invoice_line_ids.sale_line_ids.order_id
        return {
            "number": move.name,
            "type": "ACCPAY" if bill else "ACCREC",
            "vendor_ref": ((move.ref or "").strip() or None) if bill else None,
            "sale_order_ref": ", ".join(orders.mapped("name")) or None,
            "origin_ref": move.reversed_entry_id.name or None,
            "date": move.invoice_date,
            "due_date": move.invoice_date_due,
            "currency": move.currency_id.name,
            "rate": self._currency_rate(move),
            "contact_id": self._binding_id(ctx, move.partner_id.commercial_partner_id),
            "status": conn.invoice_status,
            "line_amount_types": self._line_amount_types(move),
            "rounding": move.company_id.tax_calculation_rounding_method,
            "amount_untaxed": move.amount_untaxed,
            "amount_total": move.amount_total,
            "amount_tax": move.amount_tax,
            "no_tax_type": ctx["no_tax_type"],
            "rounding_account_code": conn.rounding_account_code or None,
            "lines": [self._line_data(ctx, move, line) for line in self._product_lines(move)],
        }

    def _product_lines(self, move):
        return move.invoice_line_ids.filtered(lambda line: line.display_type == "product")

    def _currency_rate(self, move):
        if move.currency_id == move.company_id.currency_id or not move.amount_total_signed:
            return None
        # Xero's CurrencyRate: document-currency units per one unit of the base currency.
        return round(abs(move.amount_total / move.amount_total_signed), 6)

    def _line_amount_types(self, move):
        taxes = move.invoice_line_ids.tax_ids
        if not taxes:
            return "NoTax"
        return "Inclusive" if all(taxes.mapped("price_include")) else "Exclusive"

    def _line_data(self, ctx, move, line):
        conn = ctx["connection"]
        product = line.product_id
        bill = move.move_type in PURCHASE_TYPES
        shipping = self._is_shipping(ctx, product)
        tax = line.tax_ids[:1]
        # The connection's default tax type is a sales rate: purchase lines never fall
        # back to it (Xero would refuse it on an expense account).
        tax_type = (ctx["maps"]["tax"].get(tax.id) if tax else ctx["no_tax_type"]) \
            or (conn.default_tax_type if tax and not bill else None)
        return {
            "item_code": None if shipping or product.clarus_xero_no_sync
            else product.default_code or None,
            "description": self._line_description(conn, line, bill),
            "quantity": line.quantity,
            "price_unit": line.price_unit,
            "discount": line.discount,
            "account_code": self._line_account_code(ctx, line, bill, shipping),
            "tax_type": tax_type,
            "tax_rate": self._tax_rate(ctx, tax, tax_type),
            "tracking": self._tracking(ctx, move, line),
        }

    def _is_shipping(self, ctx, product):
        """Is ``product`` shipping and handling for this connection (read once per run)?"""
        if not product:
            return False
        cache = ctx.setdefault("shipping_products", {})
        if product.id not in cache:
            cache[product.id] = ctx["connection"]._is_shipping_product(product)
        return cache[product.id]

    def _line_description(self, conn, line, bill):
        """The line's label (or its product's name, when the connection sends no
        descriptions). A bill line starts with its purchase order's number, so finance
        sees the order in Xero."""
        product = line.product_id
        description = line.name or product.display_name or ""
        if not conn.include_product_description and product:
            description = product.display_name
        order = line.purchase_line_id.order_id.name if bill else None
        if order and order not in description:
            description = f"{order}: {description}"
        return description

    def _line_account_code(self, ctx, line, bill, shipping):
        """Shipping and handling on the connection's shipping account; a tracked item
        bought on its inventory asset account (where Xero keeps its cost); any other
        line on its account's mapping, else the connection's default."""
        conn = ctx["connection"]
        if shipping:
            return (conn.shipping_expense_account_code if bill
                    else conn.shipping_revenue_account_code) or None
        product = line.product_id
        if bill and conn.tracked_items and product.is_storable and product.default_code \
                and not product.clarus_xero_no_sync:
            return conn.inventory_account_code or None
        return self._account_code(ctx, line.account_id) or (
            conn.default_expense_account_code if bill else conn.default_sales_account_code)

    def _tax_rate(self, ctx, tax, tax_type):
        """The percent Xero will apply to the line: the imported rate of its TaxType, else
        Odoo's. A Xero rate that differs from Odoo's tax then fails before sending
        (``totals.fit_to_odoo``), instead of a document saved in Xero with other totals."""
        xero_rates = ctx["known"].get("tax_rates") or {}
        if tax_type in xero_rates:
            return xero_rates[tax_type]
        if not tax:
            return 0
        return tax.amount if tax.amount_type == "percent" else None

    def _line_problems(self, move):
        problems = []
        for index, line in enumerate(self._product_lines(move), start=1):
            if len(line.tax_ids) > 1:
                problems.append(self.env._(
                    "Line %(index)s (%(name)s) has %(count)s taxes; Xero takes one tax rate "
                    "per line. Use a single (group) tax mapped to one Xero tax rate.",
                    index=index, name=line.name or "", count=len(line.tax_ids),
                ))
        return problems

    def _tracking(self, ctx, move, line):
        conn = ctx["connection"]
        maps = ctx["maps"]
        option = None
        if conn.tracking_source == "warehouse":
            # Sales by their order's warehouse, purchases by the warehouse received into.
            warehouse = line.sale_line_ids.order_id.warehouse_id[:1] \
                or line.purchase_line_id.order_id.picking_type_id.warehouse_id[:1]
            option = maps["warehouse"].get(warehouse.id)
        elif conn.tracking_source == "team":
            option = maps["team"].get(move.team_id.id)
        elif conn.tracking_source == "analytic":
            for account_id in (line.analytic_distribution or {}):
                first_id = int(str(account_id).split(",")[0])
                option = maps["analytic"].get(first_id)
                if option:
                    break
        return [{"name": option[0], "option": option[1]}] if option else []

    # ------------------------------------------------ allocation and history

    @api.model
    def _allocation_element(self, ctx, credit_note):
        origin = credit_note.reversed_entry_id
        cn_id = self._binding_id(ctx, credit_note)
        inv_id = self._binding_id(ctx, origin)
        if not cn_id or not inv_id:
            return None, [self.env._("The credit note or its invoice is not in Xero yet.")]
        amount = min(credit_note.amount_total, origin.amount_total)
        capped = self._cap_allocation(ctx, amount, inv_id, cn_id)
        if not capped.amount:
            # Nothing left to allocate: the job is done without a call (see ``_settled``).
            ctx.setdefault("settled", {})[(credit_note._name, credit_note.id)] = capped.note
            return None, []
        if capped.note:
            credit_note._message_log(body=self.env._("Xero: %s", capped.note))
        return mapping.allocation_payload(cn_id, inv_id, capped.amount,
                                          credit_note.invoice_date), []

    def _cap_allocation(self, ctx, amount, invoice_id, credit_note_id):
        """Xero rule: an allocation never exceeds the invoice's AmountDue nor the credit
        note's RemainingCredit, as Xero holds them now (someone may have paid the invoice
        in Xero). When Xero cannot be read now (an error, or the pacer holding calls
        back), the amount goes uncapped: the send then meets the same pacer, or Xero
        refuses an excess itself and the job fails with its message."""
        gateway, tenant = ctx["gateway"], ctx["connection"].tenant_id
        try:
            invoice = gateway.read_by_ids("invoice", tenant, [invoice_id]).get(invoice_id)
            credit_note = gateway.read_by_ids(
                "credit_note", tenant, [credit_note_id]).get(credit_note_id)
        except (*XERO_CALL_ERRORS, PacingStop, LookupNotFound) as exc:
            _logger.info("Reading the documents of an allocation from Xero failed: %s", exc)
            invoice = credit_note = None
        return guards.cap_allocation(amount, invoice, credit_note)

    @api.model
    def _settled(self, ctx, record):
        """Why a builder sent nothing for ``record`` (e.g. "already paid in Xero"), or None."""
        return ctx.get("settled", {}).get((record._name, record.id))

    @api.model
    def _answer_problem(self, ctx, kind, record, raw_element):
        """After a create or update: a message when Xero saved other totals than Odoo's
        (naming both), else None.

        Xero's answer is what counts, whatever was predicted. The document is still
        bound to what Xero saved, so a retry updates it instead of creating a second one.
        """
        if kind not in ("invoice", "credit_note") or not record:
            return None
        odoo = totals.odoo_figures(record.amount_untaxed, record.amount_tax,
                                   record.amount_total)
        problem = totals.answer_mismatch(raw_element, odoo)
        if not problem:
            return None
        result = client.element_result(kind, raw_element)
        if result.xero_id:
            self.env["clarus.xero.binding"].with_context(**{SYNC_CONTEXT_KEY: True})._bind_many(
                ctx["connection"], [(record, result.xero_id, result.number, result.status)])
        return problem

    @api.model
    def _history_element(self, ctx, move):
        xero_id = self._binding_id(ctx, move)
        if not xero_id:
            return None, [self.env._("The invoice is not in Xero yet.")]
        notes = [
            mapping.history_note(
                picking.carrier_id.name, picking.carrier_tracking_ref, picking.name
            )
            for picking in move._clarus_xero_shipments()
        ]
        details = "; ".join(notes) or self.env._("Shipped")
        return mapping.history_payload("invoice", xero_id, details), []
