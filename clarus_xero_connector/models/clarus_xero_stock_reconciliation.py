"""Stock in Odoo beside stock in Xero (``clarus_sync_engine.stock_reconciliation``).

A check is one run for one connection: a line per product when Xero tracks inventory
(its ``QuantityOnHand`` and ``TotalCostPool`` from ``GET /Items``, one call), or one
line for the inventory account when it does not (Xero's trial balance beside the
balance of Odoo's stock valuation accounts). Odoo is the master: "Correct Xero" on a
tracked line queues the zero-total bill or supplier credit note of the stock engine
(job kinds ``stock_adjustment`` / ``stock_adjustment_credit``) for the difference.

Xero's Items carry no quantity per tracking option, so tracked lines are per product;
the warehouse breakdown is Odoo's and shows in the pivot.
"""

from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError

from clarus_sync_engine import stock
from clarus_sync_engine import stock_reconciliation as recon

RECON_PREFIX = "STK-REC-"
# The granular scope of GET /Reports/TrialBalance (XERO_API §1).
TRIAL_BALANCE_SCOPE = "accounting.reports.trialbalance.read"


class ClarusXeroStockReconciliation(models.Model):
    _name = "clarus.xero.stock.reconciliation"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Stock check against Xero"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    connection_id = fields.Many2one("clarus.xero.connection", required=True,
                                    ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    checked_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    mode = fields.Selection([("tracked", "Xero tracks inventory"),
                             ("untracked", "Inventory account balance")], readonly=True)
    line_ids = fields.One2many("clarus.xero.stock.reconciliation.line", "reconciliation_id")
    difference_count = fields.Integer(readonly=True)
    base_currency = fields.Char("Xero base currency", readonly=True,
                                help="Values are compared in Xero's base currency.")
    currency_rate = fields.Float(digits=(12, 6), default=1.0, readonly=True,
                                 help="Xero base currency per unit of the company's currency "
                                      "(Odoo's rate of the check's day).")
    error_message = fields.Text(readonly=True)

    @api.depends("checked_at", "connection_id")
    def _compute_name(self):
        for run in self:
            run.name = self.env._("Stock check %(company)s %(when)s",
                                  company=run.company_id.name or "",
                                  when=fields.Datetime.to_string(run.checked_at) or "")

    # -------------------------------------------------------------- running

    @api.model
    def _check(self, connection):
        """One check of ``connection``: the run with its lines; a difference gives the
        stock manager one activity."""
        connection = connection.sudo()
        connection._check_ready()
        run = self.sudo().create({
            "connection_id": connection.id,
            "mode": "tracked" if connection.tracked_items else "untracked"})
        rows = run._tracked_rows() if run.mode == "tracked" else run._untracked_rows()
        lines = self.env["clarus.xero.stock.reconciliation.line"].sudo().create(
            [dict(row, reconciliation_id=run.id) for row in rows])
        run.difference_count = len(lines.filtered("is_difference"))
        if run.difference_count:
            run._notify_stock_manager()
        return run

    def _tracked_rows(self):
        self.ensure_one()
        conn, company = self.connection_id, self.company_id
        # Only this company's locations count (``qty_available`` reads every allowed one).
        products = self.env["product.product"].with_company(company).with_context(
            allowed_company_ids=company.ids).search([
            ("is_storable", "=", True), ("default_code", "!=", False),
            ("clarus_xero_no_sync", "=", False),
            "|", ("company_id", "=", False), ("company_id", "=", company.id)])
        gateway = conn._gateway(pacer=conn._push_pacer())
        rate = self._base_currency_rate(gateway.organisation(conn.tenant_id))
        data, _h, _s = gateway._call(gateway.accounting, "get_items", conn.tenant_id, unitdp=4)
        items = (data or {}).get("Items") or []
        # Odoo's value: the quantity on hand at the product's cost (its average cost
        # under AVCO), the cost the stock engine sends each operation at, in Xero's
        # base currency (where Xero keeps TotalCostPool).
        odoo = {p.default_code: (p.qty_available, p.qty_available * p.standard_price * rate)
                for p in products}
        operations = dict(self.env["stock.move"].sudo()._read_group(
            [("product_id", "in", products.ids), ("state", "=", "done"),
             ("company_id", "=", company.id)], ["product_id"], ["__count"]))
        ops = {p.default_code: operations.get(p, 0) for p in products}
        by_code = {p.default_code: p for p in products}
        rows = []
        for code, result in recon.compare_items(odoo, items, ops).items():
            product = by_code.get(code)
            if not product and not result["differs"]:
                continue
            rows.append(self._row(result, product=product, code=code))
        return rows

    def _base_currency_rate(self, organisation):
        """Units of Xero's base currency per unit of the company's currency, at Odoo's
        rate of the day; the run keeps it to size corrections in the company's currency."""
        self.ensure_one()
        company, base = self.company_id, organisation.get("BaseCurrency")
        rate = 1.0
        if base and base != company.currency_id.name:
            currency = self.env["res.currency"].with_context(active_test=False).search(
                [("name", "=", base)], limit=1)
            if not currency:
                raise UserError(self.env._(
                    "Xero keeps its books in %(base)s, a currency Odoo does not know: add "
                    "it with its rate, then check again.", base=base))
            rate = currency._get_conversion_rate(company.currency_id, currency, company,
                                                 fields.Date.context_today(self))
        self.write({"base_currency": base or company.currency_id.name,
                    "currency_rate": rate})
        return rate

    def _untracked_rows(self):
        self.ensure_one()
        conn, company = self.connection_id, self.company_id
        code = conn.inventory_account_code
        if not code:
            raise UserError(self.env._("Set the inventory asset account in the Xero settings."))
        if TRIAL_BALANCE_SCOPE not in (conn.scope or "").split():
            raise UserError(self.env._(
                "Comparing the inventory account needs Xero's trial balance: add the scope "
                "%(scope)s to the connection's scope, then reconnect to Xero.",
                scope=TRIAL_BALANCE_SCOPE))
        gateway = conn._gateway(pacer=conn._push_pacer())
        rate = self._base_currency_rate(gateway.organisation(conn.tenant_id))
        report, _h, _s = gateway._call(gateway.accounting, "get_report_trial_balance",
                                       conn.tenant_id, date=fields.Date.context_today(self))
        xero = recon.balance_of(report, code) or Decimal(0)
        accounts = self.env["product.category"].with_company(company).search(
            [("property_stock_valuation_account_id", "!=", False)]).mapped(
            "property_stock_valuation_account_id")
        amls = self.env["account.move.line"].sudo()._read_group(
            [("account_id", "in", accounts.ids), ("parent_state", "=", "posted"),
             ("company_id", "=", company.id)], [], ["balance:sum", "__count"])
        odoo_value, count = amls[0] if amls else (0.0, 0)
        odoo_value *= rate
        result = recon.compare_line(0, odoo_value, 0, xero, count)
        return [self._row(dict(result, odoo_qty=0, xero_qty=0, odoo_value=odoo_value,
                               xero_value=xero, in_xero=True), code=code,
                          account_name=", ".join(accounts.mapped("display_name")))]

    def _row(self, result, product=None, code=None, account_name=None):
        return {
            "product_id": product.id if product else False,
            "code": code,
            "account_name": account_name,
            "company_id": self.company_id.id,
            "odoo_qty": float(result["odoo_qty"]),
            "odoo_value": float(result["odoo_value"]),
            "xero_qty": float(result["xero_qty"]),
            "xero_value": float(result["xero_value"]),
            "qty_difference": float(result["qty_difference"]),
            "value_difference": float(result["value_difference"]),
            "is_difference": result["differs"],
            "in_xero": result["in_xero"],
        }

    def _notify_stock_manager(self):
        """One activity per run, for a stock manager of the company (else the
        connection's responsible user)."""
        self.ensure_one()
        group = self.env.ref("stock.group_stock_manager")
        users = group.sudo().all_user_ids.filtered(
            lambda u: self.company_id in u.company_ids and not u.share and u.active
            and u.id != self.env.ref("base.user_root").id)
        user = users.sorted("id")[:1] or self.connection_id.create_uid
        self.activity_schedule(
            "mail.mail_activity_data_todo", user_id=user.id,
            summary=self.env._("Stock differs from Xero"),
            note=self.env._("%(count)s product(s) differ between Odoo and Xero.",
                            count=self.difference_count))

    @api.model
    def _cron_check(self):
        """Each connected connection checked in its own transaction; a failing one is
        recorded and the others go on."""
        connections = self.env["clarus.xero.connection"].sudo().search(
            [("state", "=", "connected")])
        for conn in connections:
            try:
                with self.env.cr.savepoint():
                    self._check(conn)
            except Exception as exc:  # noqa: BLE001 - one organisation fails alone
                self.sudo().create({"connection_id": conn.id, "error_message": str(exc),
                                    "mode": "tracked" if conn.tracked_items
                                    else "untracked"})

    @api.model
    def _action_check_now(self):
        """The menu: check the current company's connection now and show the lines."""
        if not self.env.user.has_group("stock.group_stock_manager") and \
                not self.env.user.has_group("account.group_account_manager"):
            raise UserError(self.env._("Only stock or accounting managers run a stock check."))
        conn = self.env["clarus.xero.connection"].sudo()._for_company(self.env.company)
        if not conn:
            raise UserError(self.env._("%s has no Xero connection.", self.env.company.name))
        return self._check(conn).action_open_lines()

    def action_open_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clarus_xero_connector.clarus_xero_stock_reconciliation_line_action")
        action["domain"] = [("reconciliation_id", "=", self.id)]
        return action


class ClarusXeroStockReconciliationLine(models.Model):
    _name = "clarus.xero.stock.reconciliation.line"
    _inherit = ["clarus.xero.stock.operation.mixin"]
    _description = "Stock check line"
    _order = "is_difference desc, code"

    reconciliation_id = fields.Many2one("clarus.xero.stock.reconciliation", required=True,
                                        ondelete="cascade", index=True)
    connection_id = fields.Many2one(related="reconciliation_id.connection_id", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    checked_at = fields.Datetime(related="reconciliation_id.checked_at", store=True)
    product_id = fields.Many2one("product.product", readonly=True)
    code = fields.Char("Item Code", readonly=True)
    account_name = fields.Char("Odoo accounts", readonly=True)
    odoo_qty = fields.Float("Odoo On Hand", digits="Product Unit", readonly=True)
    odoo_value = fields.Float(
        "Odoo Valuation", digits=(16, 2), readonly=True,
        help="Odoo's value of the stock, in Xero's base currency.")
    xero_qty = fields.Float("Xero On Hand", digits="Product Unit", readonly=True)
    xero_value = fields.Float("Xero Cost Pool", digits=(16, 2), readonly=True)
    qty_difference = fields.Float("Quantity Difference", digits="Product Unit", readonly=True)
    value_difference = fields.Float(
        "Difference in Value", digits=(16, 2), readonly=True,
        help="Odoo's valuation less Xero's, in Xero's base currency.")
    is_difference = fields.Boolean("Differs", readonly=True, index=True)
    in_xero = fields.Boolean("Tracked in Xero", readonly=True)
    clarus_xero_no_sync = fields.Boolean(default=False, readonly=True)

    @api.depends("product_id", "code")
    def _compute_display_name(self):
        for line in self:
            line.display_name = line.product_id.display_name or line.code or ""

    # ------------------------------------------------------------ correcting

    def action_correct_xero(self):
        """Queue the document bringing Xero to Odoo for each differing product line;
        a line one document cannot correct says why and queues nothing."""
        if not self.env.user.has_group("stock.group_stock_manager"):
            raise UserError(self.env._("Only stock managers correct Xero's stock."))
        problems, rows = [], []
        lines = self.sudo().filtered(lambda rec: rec.is_difference and rec.clarus_xero_stock_state
                                     not in ("queued", "synced"))
        for line in lines:
            direction, _qty, _value, problem = line._correction()
            if not line.product_id:
                problem = self.env._(
                    "Xero does not track this stock by item: its inventory account is "
                    "corrected by a manual journal in Xero, not by a stock document.")
            if problem:
                problems.append(f"{line.display_name}: {problem}")
                continue
            conn = line.connection_id
            needs = [conn._stock_adjustment_partner(), line.product_id]
            prereq = self.env["stock.move"]._clarus_xero_prerequisite_rows(conn, needs)
            self.env["clarus.xero.job"].sudo()._enqueue_many(conn, prereq + [
                (line, stock.KIND_BY_DIRECTION[direction],
                 [f"{n._name},{n.id}" for n in needs], 10)])
            rows.append(line)
        for line in rows:
            line._clarus_xero_stock_refresh()
        if problems and not rows:
            raise UserError("\n".join(problems))
        if problems:
            return {"type": "ir.actions.client", "tag": "display_notification", "params": {
                "type": "warning", "sticky": True, "message": "\n".join(problems),
                "title": self.env._("Some lines were not queued")}}
        return True

    def _correction(self):
        self.ensure_one()
        return recon.correction(self.qty_difference, self.value_difference,
                                translate=self.env._)

    def _clarus_xero_stock_moves(self, direction=None):
        self.ensure_one()
        found = self._correction()[0]
        return self if found and (not direction or found == direction) else self.browse()

    def _clarus_xero_stock_number(self):
        self.ensure_one()
        return f"{RECON_PREFIX}{self.id}"

    def _clarus_xero_stock_date(self):
        self.ensure_one()
        return fields.Date.context_today(self)

    def _clarus_xero_stock_lines(self):
        """The document line of this correction: the difference, at Odoo's value."""
        self.ensure_one()
        _direction, qty, value, _problem = self._correction()
        product = self.product_id
        return [{"item_code": product.default_code, "product": product.display_name,
                 "description": self.env._("Stock check correction: %s",
                                           product.display_name),
                 "quantity": float(qty),
                 "value": float(value) / (self.reconciliation_id.currency_rate or 1.0),
                 "on_hand_after": None}]


class ClarusXeroDocument(models.AbstractModel):
    """A stock check correction goes as the stock engine's document, its line the
    difference Odoo's check found."""

    _inherit = "clarus.xero.document"  # pylint: disable=consider-merging-classes-inherited

    def _stock_lines(self, moves):
        if moves._name == "clarus.xero.stock.reconciliation.line":
            return [line for record in moves for line in record._clarus_xero_stock_lines()]
        return super()._stock_lines(moves)

    def _stock_tracking(self, ctx, moves):
        if moves._name == "clarus.xero.stock.reconciliation.line":
            return []
        return super()._stock_tracking(ctx, moves)
