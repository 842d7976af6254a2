"""What people see of the sync in both directions: stored Xero columns and their filters,
the do-not-import flag, History of imports and webhook events, and the banner of
unresolved errors."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import safe_eval

from ..models.clarus_xero_job import SYNC_CONTEXT_KEY
from .test_order_fields import OrderXeroCase
from .test_pull import PullCase

ERRORS_ACTION = "clarus_xero_connector.clarus_xero_job_action_errors"
HISTORY_ACTION = "clarus_xero_connector.clarus_xero_job_action_history"


class VisibilityCase(OrderXeroCase):
    def filter_domain(self, model, name):
        """A filter of the model's default search view, evaluated as the web client
        does (relative dates included)."""
        arch = self.env[model].get_views([(False, "search")])["views"]["search"]["arch"]
        nodes = etree.fromstring(arch).xpath(f"//filter[@name='{name}']")
        self.assertEqual(len(nodes), 1, f"{model} has one filter {name}")
        return safe_eval(nodes[0].get("domain"), {
            "context_today": lambda: fields.Date.context_today(self.env.user),
            "relativedelta": relativedelta, "datetime": safe_datetime,
        })

    def filtered(self, model, name, records):
        return self.env[model].search(
            self.filter_domain(model, name) + [("id", "in", records.ids)])

    def mark_imported(self, record, when):
        """What the import writes on a record it applied a change from Xero to."""
        record.with_context(**{SYNC_CONTEXT_KEY: True}).write(
            {"clarus_xero_last_import": when})

    def failed_invoice(self):
        move = self.make_invoice(post=False)
        move.invoice_line_ids.tax_ids = self._failing_tax()
        move.action_post()
        self.push()
        job = self.jobs_for(move, "invoice")
        self.assertEqual(job.state, "failed")
        return move, job


@tagged("post_install", "-at_install")
class TestStoredColumns(VisibilityCase):
    def test_a_push_fills_the_columns_lists_filter_and_sort_by(self):
        sent = self.make_invoice()
        draft = self.make_invoice(post=False)
        self.assertFalse(sent.clarus_xero_last_export, "nothing went yet")
        before = fields.Datetime.now()
        self.push()

        xero = self.xero_invoice(sent)
        self.assertEqual(sent.clarus_xero_last_number, xero["InvoiceNumber"])
        self.assertTrue(sent.clarus_xero_last_export)
        self.assertFalse(draft.clarus_xero_last_export)
        customer, product = sent.partner_id.commercial_partner_id, self.product_a
        for record in (customer, product):
            self.assertTrue(
                before <= record.clarus_xero_last_export <= sent.clarus_xero_last_export,
                f"{record.display_name} went in the same push, before the invoice")
        self.assertEqual(product.clarus_xero_last_number, product.default_code,
                         "an item is known in Xero by its code")

        moves = sent | draft
        self.assertEqual(self.filtered("account.move", "clarus_xero_exported", moves), sent)
        arch = self.env["account.move"].get_views([(False, "search")])["views"]["search"]["arch"]
        by_number = etree.fromstring(arch).xpath("//field[@name='clarus_xero_last_number']")
        self.assertTrue(by_number, "invoices are searched by Xero number")
        self.assertEqual(self.env["account.move"].search(
            [("clarus_xero_last_number", "ilike", xero["InvoiceNumber"]),
             ("id", "in", moves.ids)]), sent)
        self.assertEqual(self.filtered("account.move", "clarus_xero_not_in", moves), draft)
        partners = customer | self.partner_b
        self.assertEqual(self.filtered("res.partner", "clarus_xero_exported", partners),
                         customer)
        self.assertEqual(self.filtered("res.partner", "clarus_xero_not_in", partners),
                         self.partner_b)
        products = self.product_a | self.product_b
        self.assertEqual(self.filtered("product.product", "clarus_xero_exported", products),
                         self.product_a)
        # Sortable, as stored columns are: the exported invoice comes first.
        for model in ("account.move", "res.partner", "product.product", "sale.order"):
            described = self.env[model].fields_get(
                ["clarus_xero_last_export", "clarus_xero_last_import"], ["sortable"])
            self.assertTrue(all(f["sortable"] for f in described.values()), model)
        self.assertEqual(self.env["account.move"].search(
            [("id", "in", moves.ids)], order="clarus_xero_last_export desc nulls last")[0],
            sent)

    def test_an_import_date_is_found_for_seven_days(self):
        today, old = self.make_invoice(), self.make_invoice()
        self.push()
        now = fields.Datetime.now()
        self.mark_imported(today, now)
        self.mark_imported(old, now - timedelta(days=10))
        moves = today | old
        self.assertEqual(
            self.filtered("account.move", "clarus_xero_imported_recently", moves), today)
        self.mark_imported(self.partner_a, now)
        self.assertEqual(self.filtered("res.partner", "clarus_xero_imported_recently",
                                       self.partner_a | self.partner_b), self.partner_a)

    def test_a_sale_order_shows_its_invoices_numbers_and_dates(self):
        order, _picking, invoice = self._shipped_and_invoiced()
        uninvoiced = self._order()
        self.assertFalse(order.clarus_xero_invoice_numbers)
        self.push()
        number = self.xero_invoice(invoice)["InvoiceNumber"]
        self.assertEqual(order.clarus_xero_invoice_numbers, number)
        self.assertEqual(order.clarus_xero_last_export, invoice.clarus_xero_last_export)

        refund = invoice._reverse_moves()
        refund.action_post()
        self.push()
        self.assertEqual(order.clarus_xero_invoice_numbers,
                         f"{number}, {refund.clarus_xero_last_number}",
                         "the credit note's number joins the invoice's")
        self.assertEqual(order.clarus_xero_last_export, refund.clarus_xero_last_export)

        orders = order | uninvoiced
        self.assertEqual(self.filtered("sale.order", "clarus_xero_exported", orders), order)
        self.assertEqual(self.filtered("sale.order", "clarus_xero_not_in", orders),
                         uninvoiced)
        self.assertFalse(self.filtered("sale.order", "clarus_xero_imported_recently", orders))
        # A change made in Xero to the invoice was applied here: the order shows when.
        self.mark_imported(invoice, fields.Datetime.now())
        self.assertEqual(order.clarus_xero_last_import, invoice.clarus_xero_last_import)
        self.assertEqual(
            self.filtered("sale.order", "clarus_xero_imported_recently", orders), order)
        self.assertEqual(self.env["sale.order"].search(
            [("id", "in", orders.ids)], order="clarus_xero_last_export asc nulls last")[0],
            order)


@tagged("post_install", "-at_install")
class TestColumnsAfterAPull(VisibilityCase, PullCase):
    def test_a_payment_made_in_xero_shows_in_the_lists_and_in_history(self):
        order, _picking, invoice = self._shipped_and_invoiced()
        self.push()
        exported_at = invoice.clarus_xero_last_export
        self.assertFalse(invoice.clarus_xero_last_import)
        self.person_pays(invoice, invoice.amount_total)
        self.assertEqual(self.pull(), "ok")

        self.assertTrue(invoice.clarus_xero_last_import)
        self.assertEqual(invoice.clarus_xero_last_export, exported_at,
                         "an import is not an export")
        self.assertEqual(order.clarus_xero_last_import, invoice.clarus_xero_last_import)
        self.assertEqual(self.filtered("account.move", "clarus_xero_imported_recently",
                                       invoice), invoice)
        self.assertEqual(self.filtered("sale.order", "clarus_xero_imported_recently", order),
                         order)
        history = self.env["clarus.xero.job"].search(
            safe_eval(self.env.ref(HISTORY_ACTION).domain)
            + [("connection_id", "=", self.connection.id)])
        from_xero = self.filtered("clarus.xero.job", "from_xero", history)
        self.assertEqual(from_xero, self.import_jobs(invoice))
        self.assertEqual(from_xero.kind, "import_payment")
        self.assertEqual(self.filtered("clarus.xero.job", "to_xero", history),
                         history - from_xero)


@tagged("post_install", "-at_install")
class TestFlags(VisibilityCase):
    def test_do_not_import_needs_its_reason_on_every_synced_record(self):
        order = self.env["purchase.order"].create({
            "partner_id": self.partner_a.id,
            "order_line": [Command.create({"product_id": self.product_a.id,
                                           "product_qty": 1, "price_unit": 5.0})]})
        for record in (self.make_invoice(), self.partner_a, self.product_a, order):
            with self.assertRaisesRegex(ValidationError, "must not reach"):
                record.write({"clarus_xero_no_import": True,
                              "clarus_xero_no_import_reason": "  "})
            record.write({"clarus_xero_no_import": True,
                          "clarus_xero_no_import_reason": "Corrected by hand"})
            self.assertTrue(record.clarus_xero_no_import, record._name)

    def test_the_form_asks_for_the_reason_beside_the_flag(self):
        labels = self.env["res.partner"].fields_get(
            ["clarus_xero_no_sync", "clarus_xero_no_import"], ["string"])
        self.assertEqual(labels["clarus_xero_no_sync"]["string"], "Do not export to Xero")
        self.assertEqual(labels["clarus_xero_no_import"]["string"], "Do not import from Xero")
        for record in (self.partner_b, self.product_b, self.make_invoice(post=False)):
            form = Form(record)
            form.clarus_xero_no_import = True
            with self.assertRaisesRegex(AssertionError, "clarus_xero_no_import_reason"):
                form.save()
            form.clarus_xero_no_import_reason = "Kept as agreed with the customer"
            form.save()
            self.assertEqual(record.clarus_xero_no_import_reason,
                             "Kept as agreed with the customer")


@tagged("post_install", "-at_install")
class TestHistory(VisibilityCase):
    def test_history_tells_imports_from_exports(self):
        move = self.make_invoice()
        self.push()
        exported = self.jobs_for(move, "invoice")
        imported = self.env["clarus.xero.job"].sudo().create({
            "connection_id": self.connection.id, "res_model": "account.move",
            "res_id": move.id, "record_name": move.name, "kind": "import_invoice",
            "dedupe_key": f"import-{move.id}", "state": "done",
            "done_at": fields.Datetime.now()})
        history = self.env.ref(HISTORY_ACTION)
        done = self.env["clarus.xero.job"].search(
            safe_eval(history.domain) + [("connection_id", "=", self.connection.id)])
        self.assertIn(imported, done, "History shows imports too")
        self.assertIn(exported, done)
        to_xero = self.filtered("clarus.xero.job", "to_xero", done)
        from_xero = self.filtered("clarus.xero.job", "from_xero", done)
        self.assertIn(exported, to_xero)
        self.assertEqual(from_xero, imported)
        arch = self.env["clarus.xero.job"].get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertTrue(etree.fromstring(arch).xpath("//field[@name='direction']"))

    def test_webhook_events_have_their_list_and_filters(self):
        Event = self.env["clarus.xero.webhook.event"].sudo()
        events = {state: Event.create({
            "connection_id": self.connection.id, "category": category,
            "event_type": "UPDATE", "resource_id": f"res-{state}",
            "event_date": "2026-12-01T10:00:00", "state": state})
            for state, category in (("new", "INVOICE"), ("done", "CONTACT"),
                                    ("ignored", "INVOICE"))}
        everything = Event.browse([e.id for e in events.values()])
        for name, state in (("new", "new"), ("done", "done"), ("ignored", "ignored")):
            self.assertEqual(self.filtered("clarus.xero.webhook.event", name, everything),
                             events[state], name)
        self.assertEqual(self.filtered("clarus.xero.webhook.event", "invoices", everything),
                         events["new"] | events["ignored"])
        # A billing user finds them from the Xero menu (Dashboard), in a list and a form.
        billing = new_test_user(self.env, login="clarus-vis-billing",
                                groups="account.group_account_invoice")
        menu = self.env.ref("clarus_xero_connector.clarus_xero_webhook_event_menu")
        self.assertEqual(menu.parent_id.parent_id,
                         self.env.ref("clarus_xero_connector.clarus_xero_menu_root"))
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(billing)._visible_menu_ids())
        as_billing = self.env["clarus.xero.webhook.event"].with_user(billing)
        self.assertEqual(as_billing.search([("id", "in", everything.ids)]), everything)
        views = as_billing.get_views([(False, "list"), (False, "form")])["views"]
        self.assertIn("resource_id", views["list"]["arch"])
        self.assertIn("result", views["form"]["arch"])


@tagged("post_install", "-at_install")
class TestBannerCount(VisibilityCase):
    def test_the_count_is_of_the_users_companies_only(self):
        self.failed_invoice()
        Job = self.env["clarus.xero.job"]
        company_b = self.env["res.company"].create({"name": "Clarus Visibility B"})
        conn_b = self.env["clarus.xero.connection"].sudo().create({
            "name": "Xero B", "company_id": company_b.id, "state": "connected",
            "tenant_id": "tenant-b"})
        partner = self.env["res.partner"].create({"name": "Customer of B"})
        Job.sudo().create([{
            "connection_id": conn_b.id, "res_model": "res.partner", "res_id": partner.id,
            "kind": "contact", "dedupe_key": f"vis-b-{n}", "state": "failed",
            "error_message": "B's error"} for n in range(2)])

        in_a = new_test_user(self.env, login="clarus-vis-stock", groups="stock.group_stock_user")
        in_b = new_test_user(self.env, login="clarus-vis-b", groups="base.group_user",
                             company_id=company_b.id,
                             company_ids=[Command.set(company_b.ids)])
        portal = new_test_user(self.env, login="clarus-vis-portal", groups="base.group_portal")
        self.assertEqual(Job.with_user(in_a).clarus_xero_unresolved_count(), 1,
                         "every internal user is told, whatever their rights on jobs")
        self.assertEqual(Job.with_user(in_b).clarus_xero_unresolved_count(), 2)
        self.assertEqual(Job.with_user(portal).clarus_xero_unresolved_count(), 0)
        # A user of both companies: what the companies they work in now hold.
        in_b.company_ids = [Command.link(self.env.company.id)]
        both = Job.with_user(in_b).with_context(
            allowed_company_ids=[company_b.id, self.env.company.id])
        self.assertEqual(both.clarus_xero_unresolved_count(), 3)
        working_in_b = Job.with_user(in_b).with_context(allowed_company_ids=[company_b.id])
        self.assertEqual(working_in_b.clarus_xero_unresolved_count(), 2)

    def test_a_retried_job_leaves_the_count(self):
        move, job = self.failed_invoice()
        Job = self.env["clarus.xero.job"]
        self.assertEqual(Job.clarus_xero_unresolved_count(), 1)
        self.map_tax(self.connection, move.invoice_line_ids.tax_ids, "OUTPUT2")
        job.action_retry()
        self.push()
        self.assertEqual(job.state, "done")
        self.assertEqual(Job.clarus_xero_unresolved_count(), 0)


@tagged("post_install", "-at_install")
class TestBannerTour(VisibilityCase, HttpCase):
    def test_the_banner_leads_to_the_errors(self):
        """A failed job: the banner shows it in the top bar and opens the error list."""
        move, job = self.failed_invoice()
        self.start_tour("/odoo", "clarus_xero_errors_banner", login=self.env.user.login,
                        timeout=120)
        self.assertEqual(job.state, "failed", "seen, not changed")
        self.assertIn(move.name, job.record_name)

    def test_a_user_without_rights_on_jobs_gets_the_count_from_the_web_client(self):
        self.failed_invoice()
        new_test_user(self.env, login="clarus-vis-rpc", groups="stock.group_stock_user")
        self.authenticate("clarus-vis-rpc", "clarus-vis-rpc")
        count = self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": "clarus.xero.job", "method": "clarus_xero_unresolved_count",
            "args": [], "kwargs": {}})
        self.assertEqual(count, 1)
