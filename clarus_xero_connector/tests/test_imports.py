"""The one-time import of contacts and items, and branding themes: against the emulator,
whose contacts and items are made through the SDK as finance makes them in Xero."""

import uuid
from datetime import date, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import XeroEmulatorCase


class ImportCase(XeroEmulatorCase):
    """Partners and products as Odoo has them, and Xero's contacts and items to import."""

    def setUp(self):
        super().setUp()
        Partner = self.env["res.partner"]
        self.acme = Partner.create({"name": "Kestrel Acme Limited",
                                    "email": "AP@kestrel-acme.example"})
        self.bolt = Partner.create({"name": "Kestrel Bolt Trading Co", "vat": "123 456 789"})
        self.delta = Partner.create({"name": "kestrel delta supplies"})
        self.cobalt_a = Partner.create({"name": "Kestrel Cobalt Co",
                                        "email": "shared@kestrel-group.example"})
        self.cobalt_b = Partner.create({"name": "Kestrel Cobalt Holdings",
                                        "email": "shared@kestrel-group.example"})
        self.product_a.default_code = "KWID-1"
        self.gadget = self.env["product.product"].create({"name": "Kestrel Gadget"})

    # ---------------------------------------------------------------- helpers

    def xero_call(self, method, *args):
        gateway = self.connection._gateway()
        data, _headers, _status = gateway._call(gateway.accounting, method,
                                                self.connection.tenant_id, *args)
        return data

    def seed_xero(self):
        """Contacts and items as finance keeps them in Xero; Echo is a customer and
        Foxtrot a supplier because each has an approved document there."""
        contacts = self.xero_call("create_contacts", {"Contacts": [
            {"Name": "Kestrel Acme Ltd", "EmailAddress": "ap@kestrel-acme.example"},
            {"Name": "Kestrel Bolt Traders", "TaxNumber": "123-456-789"},
            {"Name": "Kestrel Delta Supplies"},
            {"Name": "Kestrel Echo Ltd", "EmailAddress": "echo@kestrel.example",
             "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "555 0101"}]},
            {"Name": "Kestrel Foxtrot Supplies"},
            {"Name": "Kestrel Cobalt", "EmailAddress": "shared@kestrel-group.example"},
        ]})["Contacts"]
        self.contact_ids = {c["Name"]: c["ContactID"] for c in contacts}
        today = date.today()
        due = (today + timedelta(days=20)).isoformat()
        self.xero_call("create_invoices", {"Invoices": [
            {"Type": "ACCREC", "Status": "AUTHORISED", "Date": today.isoformat(),
             "DueDate": due, "Contact": {"ContactID": self.contact_ids["Kestrel Echo Ltd"]},
             "LineItems": [{"Description": "Service", "Quantity": 1, "UnitAmount": 10,
                            "AccountCode": "200", "TaxType": "OUTPUT2"}]},
            {"Type": "ACCPAY", "Status": "AUTHORISED", "Date": today.isoformat(),
             "DueDate": due, "InvoiceNumber": "F-1",
             "Contact": {"ContactID": self.contact_ids["Kestrel Foxtrot Supplies"]},
             "LineItems": [{"Description": "Supplies", "Quantity": 1, "UnitAmount": 10,
                            "AccountCode": "429", "TaxType": "INPUT2"}]},
        ]})
        items = self.xero_call("create_items", {"Items": [
            {"Code": "KWID-1", "Name": "Widget in Xero"},
            {"Code": "KGAD", "Name": "kestrel gadget"},
            {"Code": "KNEW-1", "Name": "Kestrel new thing", "Description": "Sold by the box",
             "SalesDetails": {"UnitPrice": 12.5, "AccountCode": "200"},
             "PurchaseDetails": {"UnitPrice": 7.25, "AccountCode": "429"}},
        ]})["Items"]
        self.item_ids = {i["Code"]: i["ItemID"] for i in items}

    def preview(self):
        action = self.connection.action_open_import_wizard()
        return self.env[action["res_model"]].browse(action["res_id"])

    def line(self, wizard, label):
        return wizard.line_ids.filtered(lambda line: line.label == label)

    def binding(self, record):
        return self.env["clarus.xero.binding"]._get(self.connection, record)

    def partners_named(self, name):
        return self.env["res.partner"].search([("name", "=", name)])

    def confirm_first_import(self):
        """Preview, pick Cobalt Co for the ambiguous contact, confirm."""
        self.seed_xero()
        wizard = self.preview()
        cobalt = self.line(wizard, "Kestrel Cobalt")
        cobalt.write({"partner_id": self.cobalt_a.id, "action": "link"})
        wizard.action_confirm()
        return wizard



@tagged("post_install", "-at_install")
class TestImports(ImportCase):
    # ---------------------------------------------------------------- preview

    def test_preview_matches_by_email_tax_number_code_and_name_and_says_why(self):
        self.seed_xero()
        partners_before = self.env["res.partner"].search_count([])
        wizard = self.preview()
        expected = {
            "Kestrel Acme Ltd": ("link", self.acme, "e-mail"),
            "Kestrel Bolt Traders": ("link", self.bolt, "tax number"),
            "Kestrel Delta Supplies": ("link", self.delta, "name"),
            "Kestrel Echo Ltd": ("create", self.env["res.partner"], ""),
            "KWID-1 Widget in Xero": ("link", self.product_a, "code"),
            "KGAD kestrel gadget": ("link", self.gadget, "name"),
            "KNEW-1 Kestrel new thing": ("create", self.env["product.product"], ""),
        }
        for label, (action, record, reason) in expected.items():
            line = self.line(wizard, label)
            self.assertEqual((line.action, (line.partner_id or line.product_id).id, line.reason),
                             (action, record.id, reason), label)
        cobalt = self.line(wizard, "Kestrel Cobalt")
        self.assertEqual(cobalt.action, "choose")
        self.assertFalse(cobalt.partner_id, "an ambiguous match is never guessed")
        self.assertEqual(cobalt.candidate_partner_ids, self.cobalt_a | self.cobalt_b)
        self.assertIn("same e-mail", cobalt.note)
        echo, foxtrot = self.line(wizard, "Kestrel Echo Ltd"), self.line(
            wizard, "Kestrel Foxtrot Supplies")
        self.assertEqual((echo.is_customer, echo.is_supplier), (True, False))
        self.assertEqual((foxtrot.is_customer, foxtrot.is_supplier), (False, True))
        # Nothing is created or bound before a person confirms.
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertFalse(self.binding(self.acme))

    # ---------------------------------------------------------------- confirm

    def test_confirm_creates_links_and_binds(self):
        wizard = self.confirm_first_import()
        echo = self.partners_named("Kestrel Echo Ltd")
        foxtrot = self.partners_named("Kestrel Foxtrot Supplies")
        self.assertEqual(len(echo), 1)
        self.assertEqual((echo.customer_rank > 0, echo.supplier_rank > 0), (True, False))
        self.assertEqual((foxtrot.customer_rank > 0, foxtrot.supplier_rank > 0), (False, True))
        self.assertEqual((echo.email, echo.phone), ("echo@kestrel.example", "555 0101"))
        self.assertEqual(echo.company_id, self.connection.company_id)
        for partner, name in ((self.acme, "Kestrel Acme Ltd"), (self.bolt, "Kestrel Bolt Traders"),
                              (self.delta, "Kestrel Delta Supplies"),
                              (self.cobalt_a, "Kestrel Cobalt"), (echo, "Kestrel Echo Ltd")):
            self.assertEqual(self.binding(partner).xero_id, self.contact_ids[name], name)
            self.assertTrue(partner.clarus_xero_last_import, name)
        self.assertFalse(self.binding(self.cobalt_b))
        # Linking keeps Odoo's own data.
        self.assertEqual(self.acme.name, "Kestrel Acme Limited")
        self.assertTrue(self.binding(echo).created_by_import)
        # Came from Xero, never sent there: imported now, never exported.
        self.assertTrue(echo.clarus_xero_last_import)
        self.assertFalse(echo.clarus_xero_exported_at)
        self.assertFalse(echo.clarus_xero_last_export)
        self.assertFalse(self.acme.clarus_xero_exported_at)
        self.assertFalse(self.binding(self.acme).created_by_import)
        new_product = self.env["product.product"].search([("default_code", "=", "KNEW-1")])
        self.assertEqual((new_product.name, new_product.list_price, new_product.standard_price),
                         ("Kestrel new thing", 12.5, 7.25))
        self.assertEqual(self.binding(new_product).xero_id, self.item_ids["KNEW-1"])
        self.assertEqual(self.binding(self.product_a).xero_id, self.item_ids["KWID-1"])
        self.assertEqual(self.binding(self.gadget).xero_id, self.item_ids["KGAD"])
        # Linked by name, the uncoded product takes the code invoices will carry.
        self.assertEqual(self.gadget.default_code, "KGAD")
        # What came from Xero is never queued to go back as new.
        jobs = self.env["clarus.xero.job"].search([
            ("res_model", "in", ("res.partner", "product.product"))])
        self.assertFalse(jobs, jobs.mapped("display_name"))
        self.assertEqual(set(wizard.line_ids.mapped("result")), {"created", "linked"})

    def test_a_bad_line_fails_alone_with_its_reason(self):
        self.seed_xero()
        wizard = self.preview()
        self.line(wizard, "Kestrel Cobalt").action = "link"  # but no partner picked
        wizard.action_confirm()
        cobalt = self.line(wizard, "Kestrel Cobalt")
        self.assertEqual(cobalt.result, "failed")
        self.assertIn("Pick the partner", cobalt.result_message)
        self.assertEqual(len(self.partners_named("Kestrel Echo Ltd")), 1)
        self.assertTrue(self.binding(self.acme))
        self.assertIn("Failed: 1", wizard.summary)

    def test_second_run_duplicates_nothing_and_updates_what_it_created(self):
        self.confirm_first_import()
        echo_id = self.contact_ids["Kestrel Echo Ltd"]
        self.xero_call("update_contact", echo_id, {"Contacts": [
            {"ContactID": echo_id, "EmailAddress": "accounts@kestrel-echo.example"}]})
        self.xero_call("update_item", self.item_ids["KNEW-1"], {"Items": [
            {"Code": "KNEW-1", "SalesDetails": {"UnitPrice": 14.0}}]})
        self.xero_call("update_contact", self.contact_ids["Kestrel Acme Ltd"], {"Contacts": [
            {"EmailAddress": "billing@kestrel-acme.example"}]})
        self.xero_call("create_contacts", {"Contacts": [{"Name": "Kestrel Golf Ltd"}]})

        wizard = self.preview()
        actions = {line.label: line.action for line in wizard.line_ids}
        self.assertEqual(actions["Kestrel Echo Ltd"], "update")
        self.assertEqual(actions["KNEW-1 Kestrel new thing"], "update")
        self.assertEqual(actions["Kestrel Acme Ltd"], "skip")
        self.assertEqual(actions["Kestrel Golf Ltd"], "create")
        wizard.action_confirm()

        echo = self.partners_named("Kestrel Echo Ltd")
        self.assertEqual(len(echo), 1)
        self.assertEqual(echo.email, "accounts@kestrel-echo.example")
        products = self.env["product.product"].search([("default_code", "=", "KNEW-1")])
        self.assertEqual((len(products), products.list_price), (1, 14.0))
        # A partner Odoo had keeps Odoo's data: only its link to Xero was made.
        self.assertEqual(self.acme.email, "AP@kestrel-acme.example")
        self.assertEqual(len(self.partners_named("Kestrel Golf Ltd")), 1)

    def test_a_record_flagged_do_not_import_is_not_updated(self):
        self.confirm_first_import()
        echo = self.partners_named("Kestrel Echo Ltd")
        echo.write({"clarus_xero_no_import": True,
                    "clarus_xero_no_import_reason": "Kept by the sales team"})
        echo_id = self.contact_ids["Kestrel Echo Ltd"]
        self.xero_call("update_contact", echo_id, {"Contacts": [
            {"ContactID": echo_id, "EmailAddress": "other@kestrel-echo.example"}]})
        wizard = self.preview()
        wizard.action_confirm()
        line = self.line(wizard, "Kestrel Echo Ltd")
        self.assertEqual(line.result, "skipped")
        self.assertIn("Kept by the sales team", line.result_message)
        self.assertEqual(echo.email, "echo@kestrel.example")

    def test_invoice_to_a_linked_customer_reuses_its_contact(self):
        self.confirm_first_import()
        contacts_before = len(self.xero_documents("Contacts"))
        move = self.make_invoice(partner=self.acme)
        self.push()
        invoice = self.xero_invoice(move)
        self.assertTrue(invoice, self.jobs_for(move).mapped("error_message"))
        self.assertEqual(invoice["Contact"]["ContactID"], self.contact_ids["Kestrel Acme Ltd"])
        self.assertEqual(len(self.xero_documents("Contacts")), contacts_before)
        self.assertEqual(invoice["LineItems"][0].get("ItemCode"), "KWID-1")

    def test_only_accounting_managers_import(self):
        clerk = new_test_user(self.env, login="clarus-import-clerk",
                              groups="account.group_account_invoice")
        with self.assertRaises(UserError):
            self.connection.with_user(clerk).action_open_import_wizard()
        with self.assertRaises(AccessError):
            self.env["clarus.xero.import.wizard"].with_user(clerk).create(
                {"connection_id": self.connection.id})

    # ---------------------------------------------------------- branding themes

    def themes(self):
        refs = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", self.connection.id), ("kind", "=", "branding_theme")])
        return {ref.name: ref for ref in refs}

    def test_branding_themes_come_with_the_reference_data(self):
        themes = self.themes()
        self.assertEqual(set(themes), {"Standard", "Special Projects"})
        xero = {t["Name"]: t["BrandingThemeID"]
                for t in self.xero_call("get_branding_themes")["BrandingThemes"]}
        self.assertEqual({name: ref.xero_id for name, ref in themes.items()}, xero)
        self.assertEqual(themes["Standard"].display_name, "Standard")

    def test_customer_theme_else_connection_default_reaches_xero(self):
        themes = self.themes()
        self.partner_a.clarus_xero_branding_theme_id = themes["Special Projects"]
        self.connection.branding_theme_id = themes["Standard"]
        own = self.make_invoice(partner=self.partner_a)
        default = self.make_invoice(partner=self.partner_b)
        refund = self.make_invoice(partner=self.partner_a, move_type="out_refund")
        self.push()
        self.assertEqual(self.xero_invoice(own)["BrandingThemeID"],
                         themes["Special Projects"].xero_id)
        self.assertEqual(self.xero_invoice(default)["BrandingThemeID"],
                         themes["Standard"].xero_id)
        credit = next(c for c in self.xero_documents("CreditNotes")
                      if c["CreditNoteNumber"] == refund.name)
        self.assertEqual(credit["BrandingThemeID"], themes["Special Projects"].xero_id)

    def test_no_theme_chosen_sends_none(self):
        move = self.make_invoice()
        self.push()
        self.assertNotIn("BrandingThemeID", self.xero_invoice(move))

    def test_a_theme_deleted_in_xero_is_refused_and_fails_alone(self):
        themes = self.themes()
        # Deleted in Xero after the last import: Xero refuses the invoice for it.
        gone = str(uuid.uuid4())
        themes["Special Projects"].write({"code": gone, "xero_id": gone})
        self.partner_a.clarus_xero_branding_theme_id = themes["Special Projects"]
        bad = self.make_invoice(partner=self.partner_a)
        good = self.make_invoice(partner=self.partner_b)
        self.push()
        job = self.jobs_for(bad, "invoice")
        self.assertEqual(job.state, "failed")
        self.assertIn("BrandingThemeID", job.error_message)
        self.assertTrue(self.xero_invoice(good))
        # The next reference import archives what Xero no longer has: never sent again.
        self.connection.action_import_reference_data()
        self.assertFalse(themes["Special Projects"].active)
        self.assertEqual(self.connection._branding_theme_element(bad), {})

    def test_themes_are_per_company(self):
        _data, au_conn = self.connect_australian_company()
        au_themes = self.env["clarus.xero.reference"].search([
            ("connection_id", "=", au_conn.id), ("kind", "=", "branding_theme")])
        self.partner_a.clarus_xero_branding_theme_id = self.themes()["Special Projects"]
        self.assertEqual(len(au_themes), 2)
        self.assertFalse(self.partner_a.with_company(au_conn.company_id)
                         .clarus_xero_branding_theme_id)
        self.assertNotIn(self.themes()["Special Projects"].xero_id,
                         au_themes.mapped("xero_id"))


@tagged("post_install", "-at_install")
class TestImportsUi(ImportCase, HttpCase):
    """The import in a real browser: preview, confirm, results (skipped without Chromium)."""

    def test_preview_and_confirm_in_the_browser(self):
        self.seed_xero()
        self.start_tour(
            "/odoo/action-clarus_xero_connector.clarus_xero_connection_action/"
            f"{self.connection.id}", "clarus_xero_import_preview", login=self.env.user.login)
        echo = self.partners_named("Kestrel Echo Ltd")
        self.assertEqual(len(echo), 1)
        self.assertEqual(self.binding(echo).xero_id, self.contact_ids["Kestrel Echo Ltd"])
        self.assertFalse(self.binding(self.cobalt_a) | self.binding(self.cobalt_b))
