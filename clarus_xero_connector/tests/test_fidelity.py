"""Right on the first live day: what a strict Xero refuses stops cleanly and says why."""

import base64
import hashlib
import hmac
import json

from odoo import Command
from odoo.tests import tagged

from .common import XeroEmulatorCase


@tagged("post_install", "-at_install")
class TestConnectionLevelRefusals(XeroEmulatorCase):
    def api_calls(self):
        return [r for r in self.xero_requests() if r["path"].startswith("/api.xro/2.0/")]

    def test_disconnected_organisation_stops_the_connection_with_its_reason(self):
        self.make_invoice()
        self.control("POST", "/disconnect", {"tenant_id": self.connection.tenant_id})
        self.push()
        self.assertEqual(self.connection.state, "needs_reauth")
        job = self.jobs_for(self.partner_a, "contact")
        self.assertIn("403", self.connection.last_error + " " + str(job.error_message))
        self.assertEqual(job.state, "pending", "nothing is lost")
        self.assertEqual(job.attempts, 0, "Xero never looked at the document")
        # Stopped, not retried every five minutes: the next run sends nothing.
        before = len(self.api_calls())
        self.env["clarus.xero.push"]._run_all()
        self.assertEqual(len(self.api_calls()), before)

    def test_missing_scope_stops_the_connection_and_says_so(self):
        self.connection.sudo().scope = "offline_access accounting.contacts accounting.settings"
        self.authorize(self.connection)
        if self.connection.state == "choose_tenant":
            self.connection._select_tenant(next(
                t["tenantId"] for t in self.connection.available_tenants
                if t["tenantName"] == "Clarus Demo Company (NZ)"))
        move = self.make_invoice()
        self.push()
        self.assertEqual(self.jobs_for(self.partner_a, "contact").state, "done")
        self.assertEqual(self.connection.state, "needs_reauth")
        self.assertIn("scope", self.connection.last_error.lower())
        self.assertEqual(self.jobs_for(move, "invoice").state, "pending")


@tagged("post_install", "-at_install")
class TestWebhookReadBack(XeroEmulatorCase):
    def test_a_burst_of_events_is_read_back_within_the_url_limit(self):
        key = base64.b64encode(b"clarus-burst-key").decode()
        self.connection.sudo().webhook_key = key
        moves = self.env["account.move"]
        for n in range(80):
            moves |= self.make_invoice(lines=[(self.product_a, 1, 10.0 + n)])
        self.push()
        ids = [m.clarus_xero_id for m in moves]
        self.assertTrue(all(ids))
        body = json.dumps({"events": [{
            "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{xero_id}",
            "resourceId": xero_id, "eventDateUtc": "2026-12-01T10:00:00.000",
            "eventType": "UPDATE", "eventCategory": "INVOICE",
            "tenantId": self.connection.tenant_id, "tenantType": "ORGANISATION"}
            for xero_id in ids], "firstEventSequence": 1, "lastEventSequence": 80,
            "entropy": "BURST"}).encode()
        signature = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest())
        Event = self.env["clarus.xero.webhook.event"]
        self.assertTrue(Event._receive(self.connection, body, signature.decode()))
        Event._process_all()
        events = Event.search([("connection_id", "=", self.connection.id)])
        self.assertEqual(len(events), 80)
        self.assertEqual(set(events.mapped("state")), {"done"})
        longest = max(len(r["path"]) + len(r.get("query") or "") + 1
                      for r in self.xero_requests() if r["method"] == "GET")
        self.assertLessEqual(longest, 2000)


@tagged("post_install", "-at_install")
class TestFirstLiveDayBacklog(XeroEmulatorCase):
    """Issue scenario: a backlog of 300 discounted invoices in both rounding modes, customers
    whose names differ only in case from finance's Xero contacts, and more new customers
    than fit in one look-up URL."""

    def make_discounted_invoice(self, partner, n):
        tax = self.company_data["default_tax_sale"]
        move = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": partner.id,
            "invoice_date": "2026-11-20", "invoice_date_due": "2026-12-20",
            "invoice_line_ids": [
                Command.create({"product_id": self.product_a.id, "quantity": 3,
                                "price_unit": 19.99 + n % 5 * 0.33, "discount": 12.5,
                                "tax_ids": [Command.set(tax.ids)]}),
                Command.create({"product_id": self.product_b.id, "quantity": 7,
                                "price_unit": 4.015 + n % 3 * 0.1, "discount": 3.0,
                                "tax_ids": [Command.set(tax.ids)]}),
            ],
        })
        move.action_post()
        return move

    def test_backlog_lands_once_to_the_cent_and_leaves_finance_contacts_alone(self):
        gateway = self.connection._gateway()
        # Finance keeps an ordinary account for rounding adjustments (Xero's own Rounding
        # system account takes no document lines); the import chooses it.
        gateway._call(gateway.accounting, "create_account", self.connection.tenant_id,
                      {"Code": "865", "Name": "Rounding Adjustments", "Type": "OVERHEADS"})
        self.connection.action_import_reference_data()
        self.assertEqual(self.connection.rounding_account_code, "865")
        self.connection.state = "draft"  # the backlog is posted before connecting
        finance = [{"Name": f"ACME Trading {n} Ltd", "EmailAddress": f"ap{n}@acme.example",
                    "ContactNumber": f"FIN-{n}"} for n in range(5)]
        created, _h, _s = gateway._call(gateway.accounting, "create_contacts",
                                        self.connection.tenant_id, {"Contacts": finance})
        before = {c["ContactID"]: (c["Name"], c.get("EmailAddress"), c.get("ContactNumber"))
                  for c in created["Contacts"]}
        partners = self.env["res.partner"].create(
            [{"name": f"Acme trading {n} LTD"} for n in range(5)]
            + [{"name": f"New wholesale customer with a long trading name number {n:03d}"}
               for n in range(115)])
        company = self.env.company
        moves = self.env["account.move"]
        for n in range(300):
            if n == 150:
                company.tax_calculation_rounding_method = "round_globally"
            elif n == 0:
                company.tax_calculation_rounding_method = "round_per_line"
            moves |= self.make_discounted_invoice(partners[n % len(partners)], n)

        self.connection.state = "connected"
        self.assertEqual(self.connection.action_queue_posted_invoices(), 300)
        for _round in range(20):
            self.env["clarus.xero.job"].search([("state", "=", "pending")]).write(
                {"next_attempt_at": False})
            self.push()
            if not self.env["clarus.xero.job"].search_count(
                    [("state", "in", ("pending", "running", "waiting"))]):
                break
        failed = self.env["clarus.xero.job"].search([("state", "=", "failed")])
        self.assertFalse(failed, failed.mapped("error_message")[:5])

        invoices = {i["InvoiceNumber"]: i for i in self.xero_documents("Invoices")}
        self.assertEqual(len(invoices), 300, "every invoice once")
        for move in moves:
            xero = invoices[move.name]
            self.assertAlmostEqual(float(xero["Total"]), move.amount_total, places=2,
                                   msg=f"{move.name} total")
            self.assertAlmostEqual(float(xero["SubTotal"]), move.amount_untaxed, places=2,
                                   msg=f"{move.name} untaxed")
        after = {c["ContactID"]: (c["Name"], c.get("EmailAddress"), c.get("ContactNumber"))
                 for c in self.xero_documents("Contacts") if c["ContactID"] in before}
        self.assertEqual(after, before, "no existing Xero contact was modified")
        gets = [r for r in self.xero_requests() if r["method"] == "GET"]
        self.assertTrue(gets)
        self.assertLessEqual(max(len(r["path"]) + len(r.get("query") or "") + 1 for r in gets),
                             2000)
        asked = " ".join(r.get("query") or "" for r in self.xero_requests())
        self.assertNotIn("accounting.transactions", asked)
        self.assertNotIn("accounting.transactions", self.connection.sudo().scope)
