"""The sync dashboard: its charts and figures computed from the jobs, the jobs behind each
figure, and a card that says why a connection is not connected and what to do."""

from datetime import timedelta

import requests
from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import XeroEmulatorCase

DASHBOARD_ACTIONS = {
    "hourly": "clarus_xero_connector.clarus_xero_job_action_hourly",
    "errors": "clarus_xero_connector.clarus_xero_job_action_error_analysis",
    "latency": "clarus_xero_connector.clarus_xero_job_action_latency",
    "queue_age": "clarus_xero_connector.clarus_xero_job_action_queue_age",
    "api": "clarus_xero_connector.clarus_xero_api_usage_action",
}


class DashboardCase(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        self.Job = self.env["clarus.xero.job"].with_context(tz="UTC")
        self.now = self.env.cr.now()
        self.document = self.make_invoice(post=False)
        self.serial = 0

    def job(self, kind="invoice", state="done", queued=None, done=None, category=False,
            connection=None):
        """A job of ``kind`` in ``state``, queued at ``queued`` and done or failed at
        ``done`` (datetimes)."""
        self.serial += 1
        job = self.Job.create({
            "connection_id": (connection or self.connection).id,
            "res_model": "account.move", "res_id": self.document.id,
            "record_name": f"Document {self.serial}", "kind": kind, "state": state,
            "dedupe_key": f"dashboard-test:{self.serial}", "done_at": done,
            "error_category": category,
            "error_message": category and f"Failure {self.serial}",
        })
        job.flush_recordset()
        self.env.cr.execute("UPDATE clarus_xero_job SET create_date = %s WHERE id = %s",
                            [queued or self.now, job.id])
        job.invalidate_recordset(["create_date"])
        return job

    def action(self, key):
        return self.env["ir.actions.act_window"]._for_xml_id(DASHBOARD_ACTIONS[key])

    def action_domain(self, key):
        return safe_eval(self.action(key)["domain"] or "[]")

    def view_arch(self, model, view_type, action_key):
        """The arch of the ``view_type`` view the dashboard action opens."""
        action = self.action(action_key)
        view_id = next((vid for vid, vtype in action["views"] if vtype == view_type), False)
        views = self.env[model].get_views([(view_id, view_type)])["views"]
        return etree.fromstring(views[view_type]["arch"])

    def chart_groupbys(self, model, view_type, action_key):
        groupbys = []
        for node in self.view_arch(model, view_type, action_key).xpath(
                "//field[not(@type='measure')]"):
            interval = node.get("interval")
            groupbys.append(f"{node.get('name')}:{interval}" if interval else node.get("name"))
        return groupbys

    def read_chart(self, model, view_type, action_key, aggregates, extra_domain=()):
        """What the chart shows: ``{group values: aggregate values}``."""
        groupbys = self.chart_groupbys(model, view_type, action_key)
        domain = self.action_domain(action_key) + list(extra_domain)
        rows = self.env[model].with_context(tz="UTC")._read_group(domain, groupbys, aggregates)
        return {row[:len(groupbys)]: row[len(groupbys):] for row in rows}

    def search_filter(self, model, name):
        arch = self.env[model].get_views([(False, "search")])["views"]["search"]["arch"]
        node = etree.fromstring(arch).xpath(f"//filter[@name='{name}']")[0]
        return safe_eval(node.get("domain"), {
            "context_today": lambda: fields.Date.context_today(self.env.user),
            "relativedelta": relativedelta})

    def failed_invoice(self):
        """An invoice whose tax has no Xero rate: Xero refuses it, its job fails."""
        move = self.make_invoice(post=False)
        move.invoice_line_ids.tax_ids = self.company_data["default_tax_sale"].copy(
            {"name": "Not mapped to Xero"})
        move.action_post()
        self.push()
        job = self.jobs_for(move, "invoice")
        self.assertEqual(job.state, "failed")
        return move, job


@tagged("post_install", "-at_install")
class TestDashboardCharts(DashboardCase):
    def test_jobs_done_and_failed_per_hour(self):
        hour = self.now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        minutes = lambda n: hour + timedelta(minutes=n)  # noqa: E731
        self.job(done=minutes(10), queued=minutes(5))
        self.job(kind="contact", done=minutes(40), queued=minutes(39))
        self.job(state="failed", category="validation", done=minutes(50), queued=minutes(45))
        self.job(done=minutes(65), queued=minutes(50))
        self.job(state="pending")
        old = self.job(done=self.now - timedelta(days=4), queued=self.now - timedelta(days=4))

        chart = self.read_chart("clarus.xero.job", "graph", "hourly", ["__count"])
        self.assertEqual(chart.get((hour, "done")), (2,), "two jobs done in the first hour")
        self.assertEqual(chart.get((hour, "failed")), (1,))
        self.assertEqual(chart.get((hour + timedelta(hours=1), "done")), (1,))
        self.assertFalse([key for key in chart if key[0] is False or key[1] == "pending"],
                         "a job still queued is in no hour")
        # The action opens on today and yesterday: the job done four days ago is out.
        context = safe_eval(self.action("hourly")["context"])
        self.assertTrue(context.get("search_default_finished_recently"))
        recent = self.Job.search(self.action_domain("hourly")
                                 + self.search_filter("clarus.xero.job", "finished_recently"))
        self.assertEqual(len(recent), 4)
        self.assertNotIn(old, recent)
        # The pivot of the same action groups the same way.
        pivot = self.read_chart("clarus.xero.job", "pivot", "hourly", ["__count"])
        self.assertEqual(pivot, chart)

    def test_errors_by_category_and_document_kind(self):
        for kind, category in [("invoice", "validation"), ("invoice", "validation"),
                               ("contact", "validation"), ("invoice", "auth"),
                               ("credit_note", "transient")]:
            self.job(kind=kind, state="failed", category=category, done=self.now)
        # Back in the queue after a rate limit: it keeps its category but is no error yet.
        self.job(kind="invoice", state="pending", category="rate_limit")

        for view_type in ("graph", "pivot"):
            chart = self.read_chart("clarus.xero.job", view_type, "errors", ["__count"])
            self.assertEqual(chart, {
                ("validation", "invoice"): (2,), ("validation", "contact"): (1,),
                ("auth", "invoice"): (1,), ("transient", "credit_note"): (1,),
            }, view_type)

    def test_oldest_pending_job_on_the_card_and_as_a_measure(self):
        oldest = self.job(kind="contact", state="pending", queued=self.now - timedelta(hours=3))
        waiting = self.job(state="waiting", queued=self.now - timedelta(minutes=20))
        self.job(state="done", queued=self.now - timedelta(days=2), done=self.now)
        self.job(state="failed", category="validation", queued=self.now - timedelta(days=5),
                 done=self.now)
        conn = self.connection
        conn.invalidate_recordset()
        self.assertEqual(conn.queue_oldest_at, oldest.create_date)
        self.assertEqual(conn.queue_age_seconds, 3 * 3600)
        self.assertEqual(conn.queue_age_display, "3 h 00 min")
        self.assertEqual(oldest.queue_age_seconds, 3 * 3600)

        pivot = self.read_chart("clarus.xero.job", "pivot", "queue_age",
                                ["queue_age_seconds:max", "__count"])
        self.assertEqual(pivot, {(conn, "contact"): (3 * 3600, 1),
                                 (conn, "invoice"): (20 * 60, 1)})
        # One click: the queue, the job behind the figure first.
        action = conn.action_open_queued_jobs()
        view = self.env["ir.ui.view"].browse(action["views"][0][0])
        order = etree.fromstring(view.get_combined_arch()).get("default_order")
        self.assertEqual(self.Job.search(action["domain"], order=order), oldest | waiting)

    def test_median_and_95th_percentile_of_posting_to_xero(self):
        # Twenty invoices and credit notes sent in 1 to 20 minutes, this week.
        sent = self.Job
        for n in range(1, 21):
            posted = self.now - timedelta(days=1, hours=n)
            sent |= self.job(kind="credit_note" if n % 5 == 0 else "invoice",
                             queued=posted, done=posted + timedelta(minutes=n))
        # Not documents, not done, or not this week: none of them counts on the card.
        self.job(kind="contact", queued=self.now - timedelta(hours=30), done=self.now)
        self.job(state="failed", category="validation", queued=self.now - timedelta(days=2),
                 done=self.now)
        last_month = self.now - timedelta(days=30)
        slow_old = self.job(queued=last_month, done=last_month + timedelta(hours=5))

        conn = self.connection
        conn.invalidate_recordset()
        self.assertEqual(conn.sent_week_count, 20)
        # percentile_cont: the median of 1..20 minutes is 10.5 minutes; the 95th
        # percentile lies 5% of the way from the 19th to the 20th value.
        self.assertEqual(conn.seconds_to_xero_median, 630)
        self.assertEqual(conn.seconds_to_xero_p95, 1143)
        self.assertEqual((conn.median_display, conn.p95_display), ("10 min", "19 min"))
        self.assertEqual(sorted(sent.mapped("seconds_to_xero")), [60 * n for n in range(1, 21)])

        # The pivot measures them per day done; the old slow invoice has its own day.
        pivot = self.read_chart(
            "clarus.xero.job", "pivot", "latency",
            ["seconds_to_xero_median:avg", "seconds_to_xero_p95:avg", "__count"])
        by_value = sorted(pivot.values(), key=lambda row: row[2])
        self.assertEqual(by_value[0], (5 * 3600, 5 * 3600, 1))
        self.assertEqual(sum(row[2] for row in pivot.values()), 21)
        totals = self.Job._read_group(
            self.action_domain("latency"), [],
            ["seconds_to_xero_median:avg", "seconds_to_xero_p95:avg"])[0]
        self.assertEqual(totals, (660, 1200),
                         "over all 21 values: the 11th minute, and the 20th")

        # One click: the documents measured, and the slowest twentieth.
        measured = self.Job.search(conn.action_open_sent_documents()["domain"])
        self.assertEqual(measured, sent)
        slowest = self.Job.search(conn.action_open_slowest_documents()["domain"])
        self.assertEqual(slowest.mapped("seconds_to_xero"), [1200])
        self.assertNotIn(slow_old, slowest)

    def test_a_pushed_invoice_is_measured_from_posting_to_done(self):
        move = self.make_invoice()
        self.push()
        job = self.jobs_for(move, "invoice")
        self.assertEqual(job.state, "done")
        expected = round((job.done_at - job.create_date).total_seconds())
        self.assertEqual(job.seconds_to_xero, expected)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.sent_week_count, 1)
        self.assertEqual(self.connection.seconds_to_xero_median, expected)
        self.assertEqual(self.connection.action_open_sent_documents()["domain"][-1][0],
                         "done_at")
        self.assertEqual(self.Job.search(self.connection.action_open_sent_documents()["domain"]),
                         job)
        self.assertFalse(self.connection.queue_oldest_at, "nothing left in the queue")

    def test_api_calls_per_hour_against_the_limits(self):
        Usage = self.env["clarus.xero.api.usage"]
        Usage.search([]).unlink()
        hour = self.now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        runs = [(5, 10, 50, 4990), (40, 20, 40, 4970), (75, 5, 55, 4965)]
        for minute, calls, minute_left, day_left in runs:
            Usage._record(self.connection, calls, {"X-MinLimit-Remaining": str(minute_left),
                                                   "X-DayLimit-Remaining": str(day_left)})
            usage = Usage.search([], limit=1)
            usage.flush_recordset()
            self.env.cr.execute("UPDATE clarus_xero_api_usage SET create_date = %s WHERE id = %s",
                                [hour + timedelta(minutes=minute), usage.id])
        Usage.invalidate_model(["create_date"])
        graph = self.read_chart("clarus.xero.api.usage", "graph", "api", ["calls:sum"])
        self.assertEqual(graph, {(hour,): (30,), (hour + timedelta(hours=1),): (5,)})
        pivot = self.read_chart("clarus.xero.api.usage", "pivot", "api",
                                ["calls:sum", "minute_remaining:min", "day_remaining:min"])
        self.assertEqual(pivot[(hour,)], (30, 40, 4970),
                         "the hour's calls, and the closest it came to each limit")
        described = Usage.fields_get(["calls", "minute_remaining", "day_remaining"],
                                     ["aggregator"])
        self.assertEqual({name: f["aggregator"] for name, f in described.items()},
                         {"calls": "sum", "minute_remaining": "min", "day_remaining": "min"})
        self.assertIn("60 calls a minute and 5,000 a day", self.action("api")["help"])

    def test_a_billing_user_reads_the_figures_and_the_charts(self):
        posted = self.now - timedelta(hours=5)
        self.job(queued=posted, done=posted + timedelta(seconds=90))
        self.job(state="failed", category="validation", done=self.now)
        self.job(state="pending", queued=self.now - timedelta(minutes=2))
        billing = new_test_user(self.env, login="clarus-dash-billing",
                                groups="account.group_account_invoice")
        conn = self.connection.with_user(billing)
        self.assertEqual(
            conn.read(["seconds_to_xero_median", "seconds_to_xero_p95", "queue_age_seconds",
                       "job_failed_count", "down_reason"])[0],
            {"id": conn.id, "seconds_to_xero_median": 90, "seconds_to_xero_p95": 90,
             "queue_age_seconds": 120, "job_failed_count": 1, "down_reason": False})
        menus = self.env["ir.ui.menu"].with_user(billing)._visible_menu_ids()
        for xmlid in ("clarus_xero_job_hourly_menu", "clarus_xero_job_error_analysis_menu",
                      "clarus_xero_job_latency_menu", "clarus_xero_job_queue_age_menu",
                      "clarus_xero_api_usage_menu"):
            self.assertIn(self.env.ref(f"clarus_xero_connector.{xmlid}").id, menus, xmlid)
        Job = self.env["clarus.xero.job"].with_user(billing)
        groups = Job.formatted_read_group(
            self.action_domain("latency"), [],
            ["seconds_to_xero_median:avg", "seconds_to_xero_p95:avg", "__count"])
        self.assertEqual(groups[0]["seconds_to_xero_p95:avg"], 90)
        self.assertEqual(groups[0]["__count"], 1)


@tagged("post_install", "-at_install")
class TestConnectionCards(DashboardCase):
    def card_buttons(self, reason):
        """The buttons the not-connected block of the card shows for ``reason``."""
        arch = self.env["clarus.xero.connection"].get_views(
            [(self.env.ref("clarus_xero_connector.clarus_xero_connection_view_kanban").id,
              "kanban")])["views"]["kanban"]["arch"]
        block = etree.fromstring(arch).xpath("//div[contains(@class, 'o_clarus_xero_down')]")[0]
        self.assertEqual(block.get("invisible"), "not down_reason")
        return [button.get("string") for button in block.xpath(".//button")
                if not safe_eval(button.get("invisible") or "False", {"down_reason": reason})]

    def assert_card(self, conn, reason, says, button):
        conn.invalidate_recordset()
        self.assertEqual(conn.down_reason, reason)
        self.assertIn(says, conn.down_explanation)
        self.assertTrue(conn.down_todo)
        self.assertEqual(self.card_buttons(reason), [button])

    def test_a_connected_card_shows_no_reason(self):
        self.assertFalse(self.connection.down_reason)
        self.assertFalse(self.connection.down_explanation)
        self.assertEqual(self.card_buttons(False), [])

    def test_never_connected_and_consent_refused(self):
        other = self.env["clarus.xero.connection"].create(
            {"name": "Xero spare", "active": False, "company_id": self.env.company.id})
        self.assert_card(other, "never", "never connected", "Connect")
        other.sudo().last_error = "Xero refused the authorisation: access_denied"
        self.assert_card(other, "consent_refused", "did not complete", "Connect")
        other.state = "choose_tenant"
        self.assert_card(other, "choose_tenant", "none is chosen", "Choose organisation")

    def test_refused_refresh_says_reconnect(self):
        conn = self.connection.sudo()
        requests.post(f"{self.xero_url}/connect/revocation", data={"token": conn.refresh_token},
                      auth=(conn.client_id, conn.client_secret), timeout=10)
        conn.token_expires_at = fields.Datetime.now() - timedelta(minutes=1)
        self.make_invoice()
        self.push()
        self.assertEqual(conn.state, "needs_reauth")
        self.assert_card(self.connection, "token_refused", "could not be refreshed", "Reconnect")

    def test_organisation_disconnected_in_xero(self):
        self.make_invoice()
        self.control("POST", "/disconnect", {"tenant_id": self.connection.tenant_id})
        self.push()
        self.assertEqual(self.connection.state, "needs_reauth")
        self.assert_card(self.connection, "tenant_gone", "disconnected this app in Xero",
                         "Reconnect")

    def test_a_missing_permission_says_reconnect(self):
        self.connection.sudo().scope = "offline_access accounting.contacts accounting.settings"
        self.authorize(self.connection)
        if self.connection.state == "choose_tenant":
            self.connection._select_tenant(self.connection.tenant_id)
        self.make_invoice()
        self.push()
        self.assertEqual(self.connection.state, "needs_reauth")
        self.assert_card(self.connection, "missing_scope", "lacks a permission", "Reconnect")

    def test_addresses_changed_and_disconnected_here(self):
        self.connection.sudo().api_base_url = self.xero_url + "/other"
        self.assert_card(self.connection, "addresses_changed", "addresses", "Reconnect")
        self.connection.action_disconnect()
        self.assert_card(self.connection, "disconnected", "disconnected this company",
                         "Reconnect")

    def test_each_card_figure_opens_its_jobs(self):
        today = fields.Datetime.to_datetime(fields.Date.context_today(self.env.user))
        pending = self.job(state="pending")
        running = self.job(state="running")
        failed = self.job(state="failed", category="validation", done=self.now)
        done = self.job(done=max(self.now, today))
        self.job(done=today - timedelta(days=1), queued=today - timedelta(days=1))
        conn = self.connection
        conn.invalidate_recordset()
        figures = {
            "action_open_pending_jobs": (conn.job_pending_count, pending),
            "action_open_running_jobs": (conn.job_running_count, running),
            "action_open_errors": (conn.job_failed_count, failed),
            "action_open_done_today_jobs": (conn.job_done_today_count, done),
        }
        arch = etree.fromstring(conn.get_views([(False, "kanban")])["views"]["kanban"]["arch"])
        for method, (count, jobs) in figures.items():
            self.assertTrue(arch.xpath(f"//button[@name='{method}']"), f"{method} on the card")
            action = getattr(conn, method)()
            self.assertEqual(action["res_model"], "clarus.xero.job")
            found = self.Job.search(action["domain"])
            self.assertEqual(found, jobs, method)
            self.assertEqual(count, 1, method)
        for method in ("action_open_queued_jobs", "action_open_sent_documents",
                       "action_open_slowest_documents"):
            self.assertTrue(arch.xpath(f"//button[@name='{method}']"), f"{method} on the card")


@tagged("post_install", "-at_install")
class TestDashboardTour(DashboardCase, HttpCase):
    def test_read_the_charts_and_open_the_failed_job(self):
        """An invoice sent, one refused and one still queued: the card and the charts show
        them, and a click opens the failure."""
        self.make_invoice()
        self.push()
        self.failed_invoice()
        self.make_invoice(partner=self.partner_b)
        self.assertEqual(self.jobs_for(self.partner_b, "contact").state, "pending")
        self.start_tour("/odoo", "clarus_xero_dashboard", login=self.env.user.login,
                        timeout=120)
