import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlparse

import requests

from odoo.tests import HttpCase, tagged

from .common import XeroEmulatorCase

KEY = "webhook-signing-key"


def sign(body, key=KEY):
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


@tagged("post_install", "-at_install")
class TestWebhooks(XeroEmulatorCase, HttpCase):
    def setUp(self):
        super().setUp()
        self.connection.sudo().webhook_key = KEY
        self.url = f"/clarus_xero/webhook/{self.connection.id}"

    def deliver(self, events, key=KEY):
        body = json.dumps({"events": events, "firstEventSequence": 1, "lastEventSequence": 1,
                           "entropy": "x"}).encode()
        return self.url_open(self.url, data=body, headers={
            "x-xero-signature": sign(body, key), "Content-Type": "application/json"})

    def event(self, category, resource_id, tenant=None):
        return {"resourceUrl": "https://api.xero.com/x", "resourceId": resource_id,
                "eventDateUtc": "2026-11-23T10:00:00.000", "eventType": "UPDATE",
                "eventCategory": category, "tenantId": tenant or self.connection.tenant_id,
                "tenantType": "ORGANISATION"}

    def test_one_url_per_app_routes_each_event_to_its_organisation(self):
        """Xero sends every organisation's events of an app to the app's one URL: the
        event of the Australian organisation, delivered to the first connection's URL,
        is stored for the Australian connection; a connection of another app (its own
        key) takes none of them."""
        _data, au_conn = self.connect_australian_company()
        au_conn.sudo().webhook_key = KEY
        own = self.event("INVOICE", "inv-nz")
        au_event = self.event("INVOICE", "inv-au", tenant=au_conn.tenant_id)
        self.assertEqual(self.deliver([own, au_event]).status_code, 200)
        Event = self.env["clarus.xero.webhook.event"].sudo()
        self.assertEqual(Event.search([("connection_id", "=", au_conn.id)]).mapped(
            "resource_id"), ["inv-au"])
        self.assertEqual(Event.search([("connection_id", "=", self.connection.id)]).mapped(
            "resource_id"), ["inv-nz"])
        au_conn.sudo().webhook_key = "another-app-key"
        later = self.event("INVOICE", "inv-au-2", tenant=au_conn.tenant_id)
        self.assertEqual(self.deliver([later]).status_code, 200)
        self.assertFalse(Event.search([("resource_id", "=", "inv-au-2")]),
                         "a connection with another key is another app: not routed there")

    def test_oauth_callback_checks_the_state(self):
        conn = self.connection
        self.authenticate(self.env.user.login, self.env.user.login)
        forged = self.url_open(f"/clarus_xero/oauth/callback?code=x&state={conn.id}.forged",
                               allow_redirects=False)
        self.assertEqual(forged.status_code, 400)
        url = conn.action_authorize()["url"]
        consent = requests.get(url, allow_redirects=False, timeout=10)
        query = parse_qs(urlparse(consent.headers["Location"]).query)
        refused = self.url_open(
            f"/clarus_xero/oauth/callback?error=access_denied&state={query['state'][0]}",
            allow_redirects=False)
        self.assertEqual(refused.status_code, 303)
        self.assertIn("access_denied", conn.last_error)
        self.assertFalse(conn.sudo().oauth_state, "a refused state cannot be replayed")

    def test_intent_to_receive_answers_200_signed_and_401_not(self):
        good = self.deliver([])
        self.assertEqual(good.status_code, 200)
        self.assertEqual(good.content, b"")
        self.assertNotIn("Set-Cookie", good.headers)
        self.assertEqual(self.deliver([], key="wrong").status_code, 401)

    def test_tampered_body_is_refused_and_stores_nothing(self):
        body = json.dumps({"events": [self.event("INVOICE", "abc")]}).encode()
        response = self.url_open(self.url, data=body + b" ",
                                 headers={"x-xero-signature": sign(body)})
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.env["clarus.xero.webhook.event"].search([]))

    def test_invoice_paid_in_xero_shows_in_odoo_once(self):
        ref = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "account"),
            ("code", "=", "090")])
        self.env["clarus.xero.mapping"].create({
            "connection_id": self.connection.id, "kind": "journal",
            "journal_id": self.company_data["default_journal_bank"].id,
            "xero_reference_id": ref.id})
        move = self.make_invoice()
        self.push()
        xero_id = move.clarus_xero_id
        gateway = self.connection._gateway()
        gateway._call(gateway.accounting, "create_payment", self.connection.tenant_id, {
            "Invoice": {"InvoiceID": xero_id}, "Account": {"Code": "090"},
            "Date": "2026-11-23", "Amount": float(move.amount_total)})
        event = self.event("INVOICE", xero_id)
        other_org = self.event("INVOICE", "elsewhere", tenant="another-tenant")
        self.assertEqual(self.deliver([event, other_org]).status_code, 200)
        self.assertEqual(self.deliver([event]).status_code, 200, "a redelivery is fine")
        events = self.env["clarus.xero.webhook.event"].search([])
        self.assertEqual(len(events), 1, "stored once, and only for this organisation")
        self.env["clarus.xero.webhook.event"]._process_all()
        self.assertEqual(events.state, "done")
        move.invalidate_recordset()
        self.assertEqual(move.clarus_xero_status, "PAID")
        self.assertIn(move.payment_state, ("paid", "in_payment"), "the payment applied")
