from decimal import Decimal

from odoo import api, fields, models

from clarus_sync_engine import journals


class ClarusXeroDocument(models.AbstractModel):
    """Stock valuation journals -> Xero ManualJournals (POSTED)."""

    _inherit = "clarus.xero.document"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _manual_journal_element(self, ctx, journal):
        moves = journal.move_ids.filtered(lambda m: m.state == "posted")._clarus_journalled()
        entries, problems = [], {}
        for move in moves:
            unmapped = move._clarus_valuation_lines().account_id.filtered(
                lambda account: not self._account_code(ctx, account))
            if unmapped:
                problems[move.name] = self.env._(
                    "%(entry)s: no Xero account is mapped to the Odoo account %(accounts)s. "
                    "Map it under Mappings (kind Account), then retry.", entry=move.name,
                    accounts=", ".join(unmapped.mapped("display_name")))
            else:
                entries += self._valuation_entries(ctx, move)
        plan = journals.plan(entries, journal.mode)
        for entry in entries:
            if entry.id in plan.errors:
                problems.setdefault(entry.reference, plan.errors[entry.id])
        if problems:
            if journal.mode == journals.DAILY and len(problems) < len(moves):
                # A refused entry waits alone, with its reason, in a journal of its own;
                # the rest of the day goes.
                self._split_refused(ctx, journal, moves.filtered(lambda m: m.name in problems))
                return self._manual_journal_element(ctx, journal)
            return None, [problems[name] for name in sorted(problems)]
        if not plan.journals:
            ctx.setdefault("settled", {})[(journal._name, journal.id)] = self.env._(
                "The valuation entries net to nothing: no journal to send.")
            return None, []
        planned = plan.journals[0]
        if len(plan.journals) > 1:
            return None, [self.env._(
                "These valuation entries fall on %(count)s dates; a journal takes one date.",
                count=len(plan.journals))]
        journal.key = planned.key
        payload = planned.payload()
        for line in payload["JournalLines"]:
            line["LineAmount"] = float(line["LineAmount"])
        return payload, []

    def _split_refused(self, ctx, journal, moves):
        journal.move_ids = [fields.Command.unlink(move.id) for move in moves]
        for move in moves:
            single = journal.create({"connection_id": journal.connection_id.id,
                                     "date": move.date, "mode": journals.PER_OPERATION,
                                     "move_ids": [fields.Command.link(move.id)]})
            self.env["clarus.xero.job"]._enqueue(journal.connection_id, single,
                                                 "manual_journal")

    def _valuation_entries(self, ctx, move):
        """The entry's lines as debit/credit pairs on the mapped Xero accounts (the sums
        per account are kept; ``journals.plan`` adds them up again per account)."""
        debits, credits = [], []
        for line in move._clarus_valuation_lines().sorted("id"):
            amount = Decimal(str(line.balance))
            if amount > 0:
                debits.append([line, amount])
            elif amount < 0:
                credits.append([line, -amount])
        tracking = self._valuation_tracking(ctx, move)
        entries = []
        d = c = 0
        while d < len(debits) and c < len(credits):
            debit, credit = debits[d], credits[c]
            amount = min(debit[1], credit[1])
            entries.append(journals.Entry(
                id="aml%s-%s" % (debit[0].id, credit[0].id), date=move.date,
                reference=move.name,
                debit_account=self._journal_account(ctx, debit[0].account_id),
                credit_account=self._journal_account(ctx, credit[0].account_id),
                amount=amount, tracking=tracking))
            debit[1] -= amount
            credit[1] -= amount
            d += not debit[1]
            c += not credit[1]
        return entries

    def _journal_account(self, ctx, account):
        return self._account_code(ctx, account)

    def _valuation_tracking(self, ctx, move):
        conn = ctx["connection"]
        if conn.tracking_source != "warehouse":
            return ()
        warehouses = [m.location_dest_id.warehouse_id or m.location_id.warehouse_id
                      for m in move.stock_move_ids]
        # An invoice's cost of goods sold: the warehouse of the order it bills.
        warehouses += move.invoice_line_ids.sale_line_ids.order_id.warehouse_id
        for warehouse in warehouses:
            option = ctx["maps"]["warehouse"].get(warehouse.id)
            if option:
                return ((option[0], option[1]),)
        return ()

