import logging

from xero_python.exceptions import HTTPStatusException

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from clarus_sync_engine import settlement, urls

from .clarus_xero_job import SYNC_CONTEXT_KEY

PREPAYMENT_ID_FIELDS = {"overpayment": "OverpaymentID", "prepayment": "PrepaymentID"}
PREPAYMENT_LABELS = {"overpayment": "Overpayment", "prepayment": "Prepayment"}
# Context flag of a caller that applies the changed ``Payments`` after the documents (the
# scheduled pull): a document's new payments are then left to ``_apply_payment``, which
# has their bank account, instead of reading each one back (one call per paid document).
PAYMENTS_FOLLOW_KEY = "clarus_xero_payments_follow"

_logger = logging.getLogger(__name__)


class ClarusXeroPaymentIn(models.AbstractModel):
    """Payments, allocations and statuses made in Xero, applied to bound Odoo documents.

    The decisions (what is new, what is gone, what is left to reconcile) come from
    ``clarus_sync_engine.settlement``; this model registers, reconciles and cancels.
    Each entry point returns a short text of what it did ("" when nothing), and raises
    UserError when it cannot apply, so the Xero record fails alone with its reason.
    Everything it writes carries ``SYNC_CONTEXT_KEY``: nothing made here is sent back.
    """

    _name = "clarus.xero.payment.in"
    _inherit = ["clarus.xero.inbound.mixin"]
    _description = "Payments and statuses from Xero"

    # ------------------------------------------------------------ entry points

    @api.model
    def _apply_document(self, connection, kind, element, move):
        """Apply what Xero lists on an invoice, bill or credit note (``kind`` "invoice"
        or "credit_note"): its status, its payments and its allocations."""
        me, connection, move = self._as_sync(connection, move)
        return me._apply_document_synced(connection, kind, element, move)

    def _apply_document_synced(self, connection, kind, element, move):
        skipped = self._skipped(move)
        if skipped:
            return skipped
        done = [self._apply_status(connection, element, move)]
        done += self._apply_listed_payments(connection, element, move)
        done += self._apply_listed_allocations(connection, kind, element, move)
        text = "\n".join(text for text in done if text)
        if text:
            self._mark_imported(move)
        return text

    @api.model
    def _apply_payment(self, connection, element):
        """Apply one ``Payments`` element: a deleted one cancels its Odoo payment, a new
        one on a bound document is registered."""
        me, connection = self._as_sync(connection)
        return me._apply_payment_synced(connection, element)

    def _apply_payment_synced(self, connection, element):
        entry = settlement.entry_of_payment(element)
        if element.get("Status") == "DELETED":
            links = self._links(connection, [("xero_payment_id", "=", entry.xero_id),
                                             ("state", "=", "active")])
            return "\n".join(self._cancel_link(link) for link in links)
        move = self._bound_move(connection, element.get("Invoice") or element.get("CreditNote"))
        if not move:
            return ""
        skipped = self._skipped(move)
        if skipped:
            return skipped
        if self._links(connection, [("xero_payment_id", "=", entry.xero_id)]):
            return ""
        _links, plan = self._payment_plan(connection, {"Payments": [element]}, move)
        if plan.held:
            return self._held_text(move, entry)
        text = self._register_xero_payment(connection, move, entry)
        self._mark_imported(move)
        return text

    def _held_text(self, move, entry):
        return self.env._(
            "Xero payment %(ref)s of %(amount)s on %(doc)s is left for now: it may be the "
            "payment Odoo sent whose answer has not come back yet.",
            ref=entry.reference or entry.xero_id, amount=self._amount(move, entry.amount),
            doc=move.display_name)

    @api.model
    def _apply_prepayment(self, connection, kind, element):
        """Apply one ``Overpayments`` or ``Prepayments`` element (``kind`` "overpayment"
        or "prepayment"): the money as an Odoo payment whose unallocated part stays the
        partner's credit, and each allocation reconciled with its invoice."""
        me, connection = self._as_sync(connection)
        return me._apply_prepayment_synced(connection, kind, element)

    def _apply_prepayment_synced(self, connection, kind, element):
        xero_id = element.get(PREPAYMENT_ID_FIELDS[kind])
        if not xero_id:
            raise UserError(self.env._("This Xero %(kind)s has no %(field)s.", kind=kind,
                                       field=PREPAYMENT_ID_FIELDS[kind]))
        if element.get("Status") in settlement.GONE_STATUSES:
            links = self._links(connection, [("xero_payment_id", "=", xero_id),
                                             ("state", "=", "active")])
            return "\n".join(self._cancel_link(link) for link in links)
        money_link = self._links(connection, [("xero_payment_id", "=", xero_id),
                                              ("move_id", "=", False), ("kind", "=", kind)])
        done = []
        if not money_link:
            money_link = self._register_prepayment(connection, kind, xero_id, element)
            done.append(self.env._("%(label)s %(payment)s registered from Xero.",
                                   label=PREPAYMENT_LABELS[kind],
                                   payment=money_link.payment_id.display_name))
        source = money_link.payment_id.move_id
        if money_link.state != "active" or not source:
            return "\n".join(done)
        applied = settlement.applied_by_id(settlement.allocation_entries(element, kind), kind)
        for invoice_id, amount in applied.items():
            move = self._bound_move(connection, {"InvoiceID": invoice_id})
            if not move:
                continue
            done.append(self._skipped(move) or self._match_allocation(
                connection, kind, xero_id, source, move, amount))
        gone = self._links(connection, [
            ("xero_payment_id", "=", xero_id), ("kind", "=", kind), ("origin", "=", "xero"),
            ("state", "=", "active"), ("move_id", "!=", False)])
        done += [self._match_allocation(connection, kind, xero_id, source, link.move_id, 0)
                 for link in gone if link.move_id.clarus_xero_id not in applied]
        return "\n".join(text for text in done if text)

    # ------------------------------------------------------------ statuses

    def _apply_status(self, connection, element, move):
        """Keep the binding's Xero status; a document voided or deleted in Xero gets an
        activity for its responsible user and a note, and nothing is cancelled."""
        status = element.get("Status")
        binding = move._clarus_xero_binding(connection)
        if not status or not binding or binding.xero_status == status:
            return ""
        old = binding.xero_status
        binding.sudo().xero_status = status
        if settlement.status_change(old, status) != "flag" or move.state == "cancel":
            # A document cancelled here was voided in Xero by the push: nothing to decide.
            return ""
        word = self.env._("voided") if status == "VOIDED" else self.env._("deleted")
        summary = self.env._("%(doc)s was %(word)s in Xero", doc=move.display_name, word=word)
        note = self.env._(
            "%(doc)s was %(word)s in Xero. Odoo changed nothing: decide whether to reverse "
            "or cancel it here, or to restore it in Xero.", doc=move.display_name, word=word)
        user = move.invoice_user_id or move.create_uid
        move.sudo().activity_schedule("mail.mail_activity_data_todo", summary=summary,
                                      note=note, user_id=user.id)
        move.message_post(body=note)
        return summary

    # ------------------------------------------------------------ payments

    def _payment_plan(self, connection, element, move):
        """``(links, settlement.PaymentPlan)`` of the payments Xero lists on ``move``."""
        links = self._links(connection, [("move_id", "=", move.id),
                                         ("kind", "=", "payment")])
        return links, settlement.plan_payments(element, [
            settlement.Link(link.xero_payment_id or None, link.origin, link.state,
                            link.create_date, link.amount)
            for link in links])

    def _apply_listed_payments(self, connection, element, move):
        links, plan = self._payment_plan(connection, element, move)
        done = [self._cancel_link(link) for link in links
                if link.state == "active" and link.xero_payment_id in plan.cancel]
        done += [self._held_text(move, entry) for entry in plan.held]
        entries = plan.register
        if self.env.context.get(PAYMENTS_FOLLOW_KEY):
            entries = [e for e in entries if e.account_code or e.account_id]
        entries = self._with_accounts(connection, entries)
        done += [self._register_xero_payment(connection, move, entry) for entry in entries]
        return done

    def _with_accounts(self, connection, entries):
        """The entries with their bank account: a document lists its payments without
        one, so those are read from ``GET /Payments`` in URL-sized chunks."""
        missing = [e.xero_id for e in entries if not (e.account_code or e.account_id)]
        if not missing:
            return entries
        gateway = self._gateway(connection)
        clauses = [urls.guid_clause("PaymentID", xero_id) for xero_id in missing]
        read = gateway._chunked_get("get_payments", connection.tenant_id, "Payments", "where",
                                    clauses, urls.or_join)
        full = {raw.get("PaymentID"): settlement.entry_of_payment(raw) for raw in read}
        return [full.get(e.xero_id, e) if e.xero_id in missing else e for e in entries]

    def _register_xero_payment(self, connection, move, entry):
        """One Xero payment as a posted Odoo payment in the mapped journal, dated and
        referenced as in Xero, reconciled with ``move`` and linked."""
        vals, open_lines = self._registration_vals(connection, move, entry)
        payment = self._create_payments([vals])
        self.env["clarus.xero.reconcile"]._reconcile_amount(payment.move_id, move,
                                                            float(entry.amount))
        return self._registered(connection, [(move, entry, payment)])[0]

    def _registration_vals(self, connection, move, entry, journals=None):
        """``(payment values, open lines)`` of one Xero payment on ``move``; raises
        UserError naming what stops it (document not posted, more than is open, bank
        account mapped to no journal). ``journals`` caches journals by bank account."""
        if move.state != "posted":
            raise UserError(self.env._(
                "Xero payment %(ref)s pays %(doc)s, which is not posted in Odoo: post it, "
                "then import again.", ref=entry.reference or entry.xero_id,
                doc=move.display_name))
        open_lines = self.env["clarus.xero.reconcile"]._settled_lines(move)
        open_amount = abs(sum(open_lines.mapped("amount_residual_currency")))
        if float_compare(float(entry.amount), open_amount,
                         precision_rounding=move.currency_id.rounding) > 0:
            raise UserError(self.env._(
                "Xero payment %(ref)s of %(amount)s on %(doc)s is more than the %(open)s "
                "still open in Odoo: a payment registered here may not have reached "
                "Xero. Remove the duplicate on one side, then import again.",
                ref=entry.reference or entry.xero_id, amount=self._amount(move, entry.amount),
                doc=move.display_name, open=self._amount(move, open_amount)))
        account_key = (entry.account_code, entry.account_id)
        journals = {} if journals is None else journals
        if account_key not in journals:
            journals[account_key] = self._journal_for(connection, *account_key)
        payment_type, partner_type = settlement.payment_direction(
            settlement.XERO_TYPE_OF_MOVE[move.move_type])
        vals = self._payment_vals(journals[account_key], move.commercial_partner_id,
                                  payment_type, partner_type, entry, move.currency_id,
                                  entry.reference or move.display_name,
                                  open_lines[:1].account_id)
        vals["invoice_ids"] = [Command.link(move.id)]
        return vals, open_lines

    def _registered(self, connection, registered):
        """Link payments just registered: ``registered`` is a list of ``(move, entry,
        payment)``; returns the text of each, in order. The text is the import job's
        summary in History; the document shows the payment in its own payment widget,
        so no chatter note is added (one per payment costs more than the payment's
        reconciliation)."""
        self.env["clarus.xero.payment.link"].create([{
            "connection_id": connection.id, "payment_id": payment.id, "move_id": move.id,
            "amount": float(entry.amount), "xero_payment_id": entry.xero_id,
            "origin": "xero", "kind": "payment"} for move, entry, payment in registered])
        texts = []
        for move, entry, payment in registered:
            text = self.env._("Payment of %(amount)s made in Xero on %(date)s registered as "
                              "%(payment)s in %(journal)s.",
                              amount=self._amount(move, entry.amount), date=entry.date,
                              payment=payment.display_name,
                              journal=payment.journal_id.display_name)
            texts.append(text)
        moves = self.env["account.move"].concat(*(move for move, _e, _p in registered))
        self._mark_imported(moves)
        return texts

    def _register_many(self, connection, items):
        """Register a page's new Xero payments in one pass: one create and one post of
        every payment, one reconciliation plan. ``items``: ``(key, move, element)``, each a
        new ``Payments`` element on a bound document.

        Returns ``({key: text}, left)``: what was registered, and the items left to be
        applied one by one (held, refused with a reason, a second payment of the same
        document in the page, or partial against a document paid in instalments), which
        the caller applies alone so each fails alone. When the pass itself fails, nothing
        of it stays and every item is left."""
        me, connection = self._as_sync(connection)
        ready, left, seen, journals = [], [], set(), {}
        links = me._links(connection, [("move_id", "in", [move.id for _k, move, _e in items]),
                                       ("kind", "=", "payment")]).grouped("move_id")
        for key, move, element in items:
            move = move.with_env(me.env)
            entry = settlement.entry_of_payment(element)
            plan = settlement.plan_payments({"Payments": [element]}, [
                settlement.Link(link.xero_payment_id or None, link.origin, link.state,
                                link.create_date, link.amount)
                for link in links.get(move, ())])
            if move in seen or move.clarus_xero_no_import or not plan.register:
                left.append((key, move, element))
                continue
            try:
                vals, open_lines = me._registration_vals(connection, move, entry, journals)
            except UserError:
                left.append((key, move, element))
                continue
            seen.add(move)
            ready.append((key, move, entry, vals, open_lines, element))
        if not ready:
            return {}, left
        try:
            with self.env.cr.savepoint():
                texts = me._register_ready(connection, ready)
        except Exception as exc:  # noqa: BLE001 - each payment is then applied alone
            _logger.info("Registering %s Xero payments in one pass failed (%s): applying "
                         "them one by one.", len(ready), exc)
            self.env.invalidate_all()
            return {}, left + [(key, move, element) for key, move, _e, _v, _o, element in ready]
        return texts, left

    def _register_ready(self, connection, ready):
        payments = self._create_payments([item[3] for item in ready])
        plan, partial = [], []
        for (_key, move, entry, _vals, open_lines, _el), payment in zip(ready, payments,
                                                                         strict=True):
            open_amount = abs(sum(open_lines.mapped("amount_residual_currency")))
            lines = (payment.move_id.line_ids | open_lines).filtered_domain(
                [("account_id", "=", open_lines[:1].account_id.id)])
            if float_compare(float(entry.amount), open_amount,
                             precision_rounding=move.currency_id.rounding) == 0:
                plan.append(lines)
            else:
                partial.append((payment, move, entry))
        if plan:
            self.env["account.move.line"].with_context(tracking_disable=True)._reconcile_plan(
                plan)
        for payment, move, entry in partial:
            self.env["clarus.xero.reconcile"]._reconcile_amount(payment.move_id, move,
                                                                float(entry.amount))
        texts = self._registered(connection, [(item[1], item[2], payment) for item, payment
                                              in zip(ready, payments, strict=True)])
        return {key: text for (key, *_rest), text in zip(ready, texts, strict=True)}

    def _new_payment(self, journal, partner, payment_type, partner_type, entry, currency, memo,
                     account):
        """A posted payment with its journal entry."""
        return self._create_payments([self._payment_vals(
            journal, partner, payment_type, partner_type, entry, currency, memo, account)])

    def _payment_vals(self, journal, partner, payment_type, partner_type, entry, currency,
                      memo, account):
        methods = journal._get_available_payment_method_lines(payment_type)
        if not methods:
            raise UserError(self.env._(
                "Journal %(journal)s has no %(way)s payment method: add one to take payments "
                "from Xero.", journal=journal.display_name, way=payment_type))
        vals = {
            "date": entry.date or fields.Date.context_today(self),
            "amount": float(entry.amount),
            "payment_type": payment_type,
            "partner_type": partner_type,
            "memo": memo,
            "journal_id": journal.id,
            "company_id": journal.company_id.id,
            "currency_id": currency.id,
            "partner_id": partner.id,
            "payment_method_line_id": methods[:1].id,
        }
        if account:
            vals["destination_account_id"] = account.id
        return vals

    def _create_payments(self, vals_list):
        """Posted payments with their journal entries, in one create and one post
        (``force_payment_move``: the reconciliation needs an entry even where Odoo would
        wait for the bank statement). The payments' own creation message and field
        tracking are left out: the note on the document and the import job say where
        each came from."""
        quiet = {SYNC_CONTEXT_KEY: True, "tracking_disable": True}
        payments = self.env["account.payment"].with_context(
            **quiet, force_payment_move=True).create(vals_list)
        payments.with_context(**quiet).action_post()
        return payments.with_context(**{SYNC_CONTEXT_KEY: True})

    def _cancel_link(self, link):
        """A payment deleted or reversed in Xero: un-reconcile and cancel its Odoo
        payment (only un-reconcile it from this document when it pays others too), note
        it on the document, and mark the link deleted."""
        sync = {SYNC_CONTEXT_KEY: True}
        payment, move = link.payment_id.with_context(**sync), link.move_id
        others = self._links(link.connection_id, [
            ("payment_id", "=", payment.id), ("state", "=", "active"),
            ("id", "!=", link.id), ("move_id", "!=", False)]) if payment else link.browse()
        if payment and move and others:
            self.env["clarus.xero.reconcile"]._partials_between(payment.move_id, move).unlink()
        elif payment and payment.state != "canceled":
            payment.move_id.line_ids.with_context(**sync).remove_move_reconcile()
            payment.action_cancel()
        link.state = "deleted"
        if not move:
            return self.env._("%(payment)s cancelled: deleted in Xero.",
                              payment=payment.display_name)
        text = self.env._(
            "The %(kind)s of %(amount)s was deleted or reversed in Xero: %(payment)s was "
            "un-reconciled from %(doc)s and cancelled.", kind=link.kind,
            amount=self._amount(move, link.amount), payment=payment.display_name or "",
            doc=move.display_name)
        move.message_post(body=text)
        return text

    # ------------------------------------------------------------ allocations

    def _apply_listed_allocations(self, connection, kind, element, move):
        """Credit notes, overpayments and prepayments Xero applied to this document."""
        entries = settlement.document_entries(element)
        done = []
        for other_id, amount in settlement.applied_by_id(entries, "credit_note").items():
            other = self._bound_move(connection, {"CreditNoteID": other_id, "InvoiceID": other_id})
            if not other:
                continue
            if kind == "credit_note":
                credit_note, invoice, note_id = move, other, element.get("CreditNoteID")
            else:
                credit_note, invoice, note_id = other, move, other_id
            done.append(self._skipped(other) or self._match_allocation(
                connection, "credit_note", note_id, credit_note, invoice, amount))
        for prepayment_kind in ("overpayment", "prepayment"):
            applied = settlement.applied_by_id(entries, prepayment_kind)
            for xero_id, amount in applied.items():
                done.append(self._apply_listed_prepayment(connection, prepayment_kind, xero_id,
                                                          move, amount))
        done += self._unapply_removed(connection, kind, element, move, entries)
        return done

    def _unapply_removed(self, connection, kind, element, move, entries):
        """Allocations made in Xero and applied here that Xero no longer lists (deleted
        there): un-reconciled. Only what came from Xero is undone this way."""
        domain = [("origin", "=", "xero"), ("state", "=", "active"), ("move_id", "!=", False)]
        if kind == "credit_note":
            listed = settlement.applied_by_id(entries, "credit_note")
            links = self._links(connection, domain + [
                ("kind", "=", "credit_note"),
                ("xero_payment_id", "=", element.get("CreditNoteID"))])
            return [self._match_allocation(connection, "credit_note", link.xero_payment_id,
                                           move, link.move_id, 0)
                    for link in links if link.move_id.clarus_xero_id not in listed]
        links = self._links(connection, domain + [
            ("move_id", "=", move.id),
            ("kind", "in", ("credit_note", "overpayment", "prepayment"))])
        done = []
        for link in links:
            if link.xero_payment_id in settlement.applied_by_id(entries, link.kind):
                continue
            source = self._bound_move(connection, {"CreditNoteID": link.xero_payment_id}) \
                if link.kind == "credit_note" else link.payment_id.move_id
            if source:
                done.append(self._match_allocation(connection, link.kind, link.xero_payment_id,
                                                   source, move, 0))
        return done

    def _apply_listed_prepayment(self, connection, kind, xero_id, move, amount):
        """An overpayment or prepayment listed on ``move``: when Odoo does not hold it
        yet, or not for that amount, read it from Xero and apply it whole."""
        link = self._links(connection, [("xero_payment_id", "=", xero_id),
                                        ("move_id", "=", move.id), ("kind", "=", kind)])
        if link and settlement.to_reconcile(amount, link.amount) == 0:
            return ""
        method = {"overpayment": "get_overpayment", "prepayment": "get_prepayment"}[kind]
        gateway = self._gateway(connection)
        data, _headers, _status = gateway._call(gateway.accounting, method,
                                                connection.tenant_id, xero_id)
        collection = {"overpayment": "Overpayments", "prepayment": "Prepayments"}[kind]
        for element in (data or {}).get(collection) or []:
            return self._apply_prepayment(connection, kind, element)
        return ""

    def _match_allocation(self, connection, kind, xero_id, source, move, amount):
        """Reconcile ``source`` (a credit note or an overpayment's entry) with ``move``
        until Odoo holds what Xero applied. An allocation Odoo made itself and Xero does
        not hold yet is left for the push to send."""
        reconciled = self.env["clarus.xero.reconcile"]._reconciled_between(source, move)
        delta = settlement.to_reconcile(amount, reconciled)
        link = self._links(connection, [("xero_payment_id", "=", xero_id),
                                        ("move_id", "=", move.id), ("kind", "=", kind)])
        if delta == 0 or (delta < 0 and link.origin != "xero"):
            return ""
        if delta < 0:
            self.env["clarus.xero.reconcile"]._partials_between(source, move).unlink()
            delta = settlement.money(amount)
        if delta > 0:
            self.env["clarus.xero.reconcile"]._reconcile_amount(source, move, float(delta))
        if link:
            link.write({"amount": float(amount),
                        "state": "active" if settlement.money(amount) > 0 else "deleted"})
        else:
            self._new_link(connection, source.origin_payment_id, move, amount, xero_id, kind)
        label = {"credit_note": self.env._("Credit note"),
                 "overpayment": self.env._("Overpayment"),
                 "prepayment": self.env._("Prepayment")}[kind]
        if settlement.money(amount) > 0:
            text = self.env._("%(label)s %(what)s applied to %(doc)s in Xero for %(amount)s: "
                              "reconciled here.", label=label, what=source.display_name,
                              doc=move.display_name, amount=self._amount(move, amount))
        else:
            text = self.env._("%(label)s %(what)s is no longer applied to %(doc)s in Xero: "
                              "un-reconciled here.", label=label, what=source.display_name,
                              doc=move.display_name)
        move.message_post(body=text)
        return text

    def _register_prepayment(self, connection, kind, xero_id, element):
        contact = (element.get("Contact") or {}).get("ContactID")
        partner = self._bound_record(connection, "res.partner", contact)
        if not partner:
            raise UserError(self.env._(
                "The contact %(name)s of this Xero %(kind)s is not linked to an Odoo "
                "partner: import or link the contact first.",
                name=(element.get("Contact") or {}).get("Name") or contact, kind=kind))
        try:
            payment_type, partner_type = settlement.payment_direction(
                element.get("Type"), prepayment=True)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        code, account_id = settlement.bank_account_of(element)
        if not (code or account_id):
            code, account_id = self._prepayment_bank_account(connection, kind, xero_id)
        journal = self._journal_for(connection, code, account_id, kind)
        currency = self.env["res.currency"].search(
            [("name", "=", element.get("CurrencyCode"))], limit=1) or journal.company_id.currency_id
        entry = settlement.Entry(kind, xero_id, settlement.money(element.get("Total")),
                                 settlement.parse_xero_date(element.get("Date")),
                                 element.get("Reference") or "", code, account_id)
        memo = self.env._("Xero %(label)s %(ref)s", label=PREPAYMENT_LABELS[kind].lower(),
                          ref=entry.reference).strip()
        payment = self._new_payment(journal, partner.commercial_partner_id, payment_type,
                                    partner_type, entry, currency, memo, None)
        return self._new_link(connection, payment, None, entry.amount, xero_id, kind)

    def _prepayment_bank_account(self, connection, kind, xero_id):
        """``(code, AccountID)`` of the bank account an overpayment or prepayment went
        through: Xero names it only on its bank transaction. ``(None, None)`` when this
        connection may not read bank transactions (no ``accounting.banktransactions``)."""
        gateway = self._gateway(connection)
        try:
            data, _headers, _status = gateway._call(
                gateway.accounting, "get_bank_transactions", connection.tenant_id,
                where=urls.guid_clause(PREPAYMENT_ID_FIELDS[kind], xero_id))
        except HTTPStatusException as exc:
            if getattr(exc, "status", None) not in (401, 403):
                raise
            return None, None
        for transaction in (data or {}).get("BankTransactions") or []:
            return settlement.bank_account_of(transaction)
        return None, None

    def _journal_for(self, connection, code, account_id, kind="payment"):
        """The Odoo journal mapped to a Xero bank account (kind "journal", read in
        reverse); an overpayment whose bank account cannot be read takes the only mapped
        journal."""
        mappings = self.env["clarus.xero.mapping"].search([
            ("connection_id", "=", connection.id), ("kind", "=", "journal")])
        found = mappings.filtered(lambda m: m.journal_id and (
            (code and m.xero_reference_id.code == code)
            or (account_id and m.xero_reference_id.xero_id == account_id)))
        if not code and not account_id and len(mappings) == 1:
            found = mappings
        if found:
            return found[0].journal_id
        if not code and not account_id:
            raise UserError(self.env._(
                "Xero names the bank account of an %(kind)s only on its bank transaction, "
                "which connection %(connection)s may not read: add the scope "
                "accounting.banktransactions.read to it and authorise again, or keep a "
                "single payment journal mapped.", kind=kind,
                connection=connection.display_name))
        account = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", connection.id), ("kind", "=", "account"), "|",
            ("code", "=", code or False), ("xero_id", "=", account_id or False)], limit=1)
        name = account.display_name or code or account_id or self.env._("(not given by Xero)")
        raise UserError(self.env._(
            "The Xero bank account %(account)s is mapped to no Odoo journal: on the "
            "connection %(connection)s, add a mapping of kind \"Payment journal → Xero bank "
            "account\" from the journal that takes these payments to %(account)s.",
            account=name, connection=connection.display_name))
