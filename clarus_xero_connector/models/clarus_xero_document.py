import logging

from odoo import api, models

from clarus_sync_engine import client, contacts, guards, mapping, taxes, totals

from .clarus_xero_connection import XERO_CALL_ERRORS
from .clarus_xero_job import SYNC_CONTEXT_KEY

_logger = logging.getLogger(__name__)

# What ``_move_data`` and ``_line_data`` read: once a document is in Xero, these are the
# fields that would make Odoo and Xero disagree if they changed (see account.move's lock).
MOVE_FIELDS_SENT = frozenset({
    "name", "move_type", "partner_id", "commercial_partner_id", "company_id", "currency_id",
    "invoice_currency_rate", "invoice_date", "invoice_date_due", "invoice_payment_term_id",
    "invoice_cash_rounding_id", "reversed_entry_id", "invoice_line_ids", "line_ids", "state",
    "team_id",
})
LINE_FIELDS_SENT = frozenset({
    "move_id", "display_type", "product_id", "name", "quantity", "price_unit", "discount",
    "account_id", "tax_ids", "analytic_distribution", "sale_line_ids", "currency_id",
})

# Imported reference fields -> the Xero keys ``validation`` and ``taxes`` read (fields
# the import does not store are skipped).
ACCOUNT_KEYS = {"account_class": "Class", "system_account": "SystemAccount"}
TAX_FLAG_FIELDS = {
    "can_apply_to_revenue": "CanApplyToRevenue",
    "can_apply_to_expenses": "CanApplyToExpenses",
    "can_apply_to_assets": "CanApplyToAssets",
    "can_apply_to_liabilities": "CanApplyToLiabilities",
    "can_apply_to_equity": "CanApplyToEquity",
}


def fields_not_sent(tracking_source, include_product_description):
    """``(model, field)`` pairs of the sets above that a connection with these settings
    leaves out of the payload."""
    skipped = set()
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
    record is not sent and fails alone with those sentences.
    """

    _name = "clarus.xero.document"
    _description = "Xero document builder"

    # ---------------------------------------------------------------- context

    @api.model
    def _context_for(self, connection):
        """What every builder needs, read once per run: mappings and Xero's reference data."""
        Reference = self.env["clarus.xero.reference"]
        refs = Reference.search([("connection_id", "=", connection.id)])
        known = {}
        if refs:
            active = refs.filtered(lambda r: (r.status or "ACTIVE") == "ACTIVE")
            by_kind = {}
            for ref in active:
                by_kind.setdefault(ref.kind, self.env["clarus.xero.reference"])
                by_kind[ref.kind] |= ref
            known = {
                "currencies": set(by_kind.get("currency", Reference).mapped("code")),
                "account_codes": set(by_kind.get("account", Reference).mapped("code")),
                "tax_types": set(by_kind.get("tax_rate", Reference).mapped("code")),
                "tax_rates": {r.code: r.rate for r in by_kind.get("tax_rate", Reference)},
                "accounts": {r.code: self._raw_account(r)
                             for r in by_kind.get("account", Reference)},
            }
            rates = [self._raw_tax_rate(r) for r in by_kind.get("tax_rate", Reference)]
            # A rate whose CanApplyTo* flags were not imported cannot be checked against
            # an account: leave it out rather than refuse every line.
            flagged = {r["TaxType"]: r for r in rates
                       if any(flag in r for flag in taxes.CLASS_FLAG.values())}
            if flagged:
                known["tax_rate_records"] = flagged
        organisation = self._raw_organisation(connection)
        if organisation:
            known["organisation"] = organisation
        return {
            "connection": connection,
            "maps": self.env["clarus.xero.mapping"]._lookup(connection),
            "known": known,
            "no_tax_type": self._no_tax_type(connection, refs),
        }

    def _raw_account(self, ref):
        """An imported account as the ``GET /Accounts`` dict the engine reads."""
        raw = {"Code": ref.code, "Name": ref.name, "Type": ref.category,
               "Status": ref.status or "ACTIVE"}
        for field, key in ACCOUNT_KEYS.items():
            if field in ref._fields and ref[field]:
                raw[key] = ref[field]
        return raw

    def _raw_tax_rate(self, ref):
        """An imported tax rate as the ``GET /TaxRates`` dict the engine reads."""
        raw = {"TaxType": ref.code, "Name": ref.name, "Status": ref.status or "ACTIVE",
               "EffectiveRate": ref.rate}
        for field, key in TAX_FLAG_FIELDS.items():
            if field in ref._fields:
                raw[key] = bool(ref[field])
        return raw

    def _raw_organisation(self, connection):
        """The organisation's lock dates, as ``GET /Organisation`` names them (empty when
        none is known)."""
        dates = {key: connection[field] for field, key in (
            ("period_lock_date", "PeriodLockDate"),
            ("end_of_year_lock_date", "EndOfYearLockDate"),
        ) if field in connection._fields and connection[field]}
        return dates

    def _no_tax_type(self, connection, refs):
        """The organisation's "no tax" TaxType: the connection's setting, else the one the
        imported tax rates name (NONE, or BASEXCLUDED in Australia, ``taxes.no_tax_type``)."""
        code = connection.no_tax_type_code if "no_tax_type_code" in connection._fields \
            else None
        if code:
            return code
        rates = [self._raw_tax_rate(r) for r in refs if r.kind == "tax_rate"]
        return taxes.no_tax_type(rates) or "NONE"

    def _rounding_account_code(self, connection):
        if "rounding_account_code" in connection._fields:
            return connection.rounding_account_code or None
        return None

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
        data["ref"] = data["contact_number"]
        data["name"] = contacts.disambiguate_name(data["name"], taken_names, data["ref"])
        notes = []
        payload = mapping.contact_payload(data, notes)
        if notes:
            # Xero refuses the whole contact for a bad e-mail: it goes without one, and
            # the partner says why.
            partner._message_log(body=self.env._("Xero: %s", " ".join(notes)))
        return payload, []

    # ------------------------------------------------------------------- items

    @api.model
    def _item_element(self, ctx, product):
        conn = ctx["connection"]
        data = product._clarus_xero_item_data()
        tracked = bool(conn.tracked_items and data["is_storable"])
        tax = product.taxes_id.filtered(lambda t: t.company_id == conn.company_id)[:1]
        accounts = {
            "sales_account": self._account_code(ctx, product.property_account_income_id)
            or conn.default_sales_account_code,
            "sales_tax_type": ctx["maps"]["tax"].get(tax.id) or conn.default_tax_type or None,
            "purchase_account": conn.default_expense_account_code,
            "cogs_account": conn.default_expense_account_code,
            "inventory_account": conn.inventory_account_code,
        }
        payload = mapping.item_payload(
            {
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
        return payload, mapping.validate_item(payload, ctx["known"])

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
        if move.move_type == "out_refund":
            payload = mapping.credit_note_payload(data, problems)
        else:
            payload = mapping.invoice_payload(data, problems)
        problems += mapping.validate_invoice(payload, ctx["known"])
        if conn.invoice_status == "DRAFT":
            payload["Status"] = "DRAFT"
        return payload, problems

    def _move_data(self, ctx, move):
        conn = ctx["connection"]
        orders = move.invoice_line_ids.sale_line_ids.order_id
        return {
            "number": move.name,
            "type": "ACCREC",
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
            "rounding_account_code": self._rounding_account_code(conn),
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
        description = line.name or product.display_name
        if not conn.include_product_description and product:
            description = product.display_name
        tax = line.tax_ids[:1]
        return {
            "item_code": (product.default_code or None)
            if not product.clarus_xero_no_sync else None,
            "description": description,
            "quantity": line.quantity,
            "price_unit": line.price_unit,
            "discount": line.discount,
            "account_code": self._account_code(ctx, line.account_id)
            or conn.default_sales_account_code,
            "tax_type": (ctx["maps"]["tax"].get(tax.id) if tax else ctx["no_tax_type"])
            or (conn.default_tax_type if tax else None),
            "tax_rate": self._tax_rate(tax),
            "tracking": self._tracking(ctx, move, line),
        }

    def _tax_rate(self, tax):
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
            warehouse = line.sale_line_ids.order_id.warehouse_id[:1]
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
        in Xero). When Xero cannot be read, the amount goes uncapped: Xero then refuses
        an excess itself, and the job fails with its message."""
        gateway, tenant = ctx["gateway"], ctx["connection"].tenant_id
        try:
            invoice = gateway.read_by_ids("invoice", tenant, [invoice_id]).get(invoice_id)
            credit_note = gateway.read_by_ids(
                "credit_note", tenant, [credit_note_id]).get(credit_note_id)
        except XERO_CALL_ERRORS as exc:
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
