"""Updates of records Xero already holds, and contacts edited in Xero.

Edits in Odoo go to the contact or item Xero holds, by its ID, once; an edit that changes
nothing Xero holds sends nothing. A contact edited "by a person in Xero" updates the
chosen fields of its partner; a field edited on both sides waits for a decision.
"""

import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..models.clarus_xero_job import SYNC_CONTEXT_KEY
from .common import XeroEmulatorCase
from .test_costs import CONNECTOR_TABLES, queries_on
from .test_pull import sign


class UpdatesCase(XeroEmulatorCase):
    """A customer and a product already in Xero, and the ways to look at both sides."""

    def setUp(self):
        super().setUp()
        self.nz = self.env.ref("base.nz")
        self.partner = self.env["res.partner"].create({
            "name": "Kauri Timber Ltd", "ref": "KAURI", "email": "orders@kauri.test",
            "phone": "+64 9 555 0100", "street": "1 Queen Street", "city": "Auckland",
            "zip": "1010", "country_id": self.nz.id, "vat": "49-091-850",
        })
        self.product_a.default_code = "WIDGET-A"
        self.make_invoice(partner=self.partner)
        self.push()
        self.contact_id = self.partner.clarus_xero_id
        self.item_id = self.product_a.clarus_xero_id
        self.assertTrue(self.contact_id and self.item_id, "the first push binds both")

    # ---------------------------------------------------------------- helpers

    def xero_contact(self, contact_id=None):
        contact_id = contact_id or self.contact_id
        return next(c for c in self.xero_documents("Contacts") if c["ContactID"] == contact_id)

    def xero_item(self):
        return next(i for i in self.xero_documents("Items") if i["ItemID"] == self.item_id)

    def writes_to(self, collection, since):
        return [r for r in self.xero_requests()[since:]
                if r["method"] in ("PUT", "POST") and f"/{collection}" in r["path"]]

    def request_count(self):
        return len(self.xero_requests())

    def edit_in_xero(self, contact_id=None, **fields):
        """A person edits the contact in Xero (the emulator's control route, with the
        rules of POST /Contacts/{id}); returns the contact as the API then reads it."""
        self.control("POST", "/person/edit-contact", {
            "tenant_id": self.connection.tenant_id,
            "contact_id": contact_id or self.contact_id, "fields": fields})
        return self.read_contact(contact_id)

    def read_contact(self, contact_id=None):
        """The contact as the pull reads it (GET /Contacts?IDs=, archived included)."""
        contact_id = contact_id or self.contact_id
        gateway = self.connection._gateway()
        return gateway.read_by_ids("contact", self.connection.tenant_id, [contact_id])[contact_id]

    def apply(self, element, partner=None):
        return self.env["res.partner"]._clarus_xero_apply_contact(
            self.connection, element, partner or self.partner)

    def pending_contact_jobs(self, partner=None):
        return self.jobs_for(partner or self.partner, "contact").filtered(
            lambda j: j.state == "pending")


@tagged("post_install", "-at_install")
class TestUpdates(UpdatesCase):
    # --------------------------------------------------------- edits in Odoo

    def test_partner_edit_updates_the_same_contact_in_xero(self):
        self.partner.write({"phone": "+64 9 555 0199", "email": "accounts@kauri.test",
                            "street": "9 Customs Street", "vat": "49-091-851"})
        job = self.pending_contact_jobs()
        self.assertEqual(len(job), 1)
        since = self.request_count()
        self.push()
        self.assertEqual(job.state, "done", job.error_message)
        writes = self.writes_to("Contacts", since)
        self.assertEqual(len(writes), 1, writes)
        self.assertEqual(writes[0]["method"], "POST", "a contact Xero holds is updated by POST")
        contact = self.xero_contact()
        self.assertEqual(contact["EmailAddress"], "accounts@kauri.test")
        self.assertEqual(contact["TaxNumber"], "49-091-851")
        phones = {p["PhoneType"]: p["PhoneNumber"] for p in contact["Phones"]}
        self.assertEqual(phones["DEFAULT"], "+64 9 555 0199")
        street = next(a for a in contact["Addresses"] if a["AddressType"] == "STREET")
        self.assertEqual(street["AddressLine1"], "9 Customs Street")
        named = [c for c in self.xero_documents("Contacts") if c["Name"] == "Kauri Timber Ltd"]
        self.assertEqual(len(named), 1, "updated, not created a second time")
        self.assertEqual(self.partner.clarus_xero_id, self.contact_id)

    def test_renamed_partner_keeps_its_contact(self):
        self.partner.write({"name": "Kauri Timber Group", "ref": "KAURI-G"})
        self.push()
        contact = self.xero_contact()
        self.assertEqual((contact["Name"], contact["ContactNumber"]),
                         ("Kauri Timber Group", "KAURI-G"))
        self.assertFalse([c for c in self.xero_documents("Contacts")
                          if c["Name"] == "Kauri Timber Ltd"])

    def test_rename_to_a_name_xero_gives_another_contact_fails_at_once(self):
        gateway = self.connection._gateway()
        gateway._call(gateway.accounting, "create_contacts", self.connection.tenant_id,
                      {"Contacts": [{"Name": "Totara Farms"}]})
        self.partner.name = "Totara Farms"
        job = self.pending_contact_jobs()
        self.push()
        self.assertEqual(job.state, "failed", "an update is never renamed nor retried blindly")
        self.assertIn("already assigned to another contact", job.error_message)
        self.assertEqual(self.xero_contact()["Name"], "Kauri Timber Ltd")

    def test_cleared_field_is_cleared_in_xero(self):
        self.partner.phone = False
        self.push()
        phones = [p for p in self.xero_contact().get("Phones") or () if p.get("PhoneNumber")]
        self.assertFalse(phones, "Xero keeps a field that is not sent: it is sent empty")

    def test_several_edits_before_the_push_make_one_update(self):
        self.partner.phone = "+64 9 555 0101"
        self.partner.email = "a@kauri.test"
        self.partner.write({"city": "Hamilton", "zip": "3204"})
        self.assertEqual(len(self.pending_contact_jobs()), 1)
        since = self.request_count()
        self.push()
        self.assertEqual(len(self.writes_to("Contacts", since)), 1)
        contact = self.xero_contact()
        self.assertEqual(contact["EmailAddress"], "a@kauri.test")
        street = next(a for a in contact["Addresses"] if a["AddressType"] == "STREET")
        self.assertEqual((street["City"], street["PostalCode"]), ("Hamilton", "3204"))

    def test_edit_of_nothing_xero_holds_queues_nothing(self):
        self.partner.write({"website": "https://kauri.test", "comment": "Pays on time"})
        self.partner.phone = "+64 9 555 0100"  # the same number
        self.assertFalse(self.pending_contact_jobs())
        self.partner.with_context(**{SYNC_CONTEXT_KEY: True}).phone = "+64 9 000 0000"
        self.assertFalse(self.pending_contact_jobs(), "writes made by the sync never queue")

    def test_edit_put_back_before_the_push_sends_nothing(self):
        self.partner.phone = "+64 9 555 0111"
        self.partner.phone = "+64 9 555 0100"
        job = self.pending_contact_jobs()
        since = self.request_count()
        self.push()
        self.assertFalse(self.writes_to("Contacts", since))
        self.assertEqual(job.state, "done")
        self.assertIn("already holds", job.response_summary or "")

    def test_edits_cost_no_connector_query_unless_xero_holds_the_field(self):
        self.env.flush_all()
        with queries_on(CONNECTOR_TABLES) as seen:
            self.partner.write({"website": "https://kauri.test", "comment": "Pays on time"})
            self.product_a.write({"barcode": "9400000000024"})
            self.env.flush_all()
        self.assertEqual(seen, [])

    def test_editing_many_partners_queues_their_updates_in_one_statement(self):
        partners = self.env["res.partner"].create([
            {"name": f"Customer {index}", "ref": f"CUST-{index}"} for index in range(6)])
        self.env["clarus.xero.binding"].create([
            {"connection_id": self.connection.id, "tenant_id": self.connection.tenant_id,
             "res_model": "res.partner", "res_id": partner.id,
             "xero_id": f"00000000-0000-0000-0000-00000000000{index}"}
            for index, partner in enumerate(partners)])
        self.env.flush_all()
        with queries_on(("clarus_xero_job",)) as seen:
            partners.write({"phone": "+64 9 555 0150"})
            self.env.flush_all()
        inserts = [query for query in seen if "INSERT INTO clarus_xero_job" in query]
        self.assertEqual(len(inserts), 1, inserts)
        jobs = self.env["clarus.xero.job"].search([("res_model", "=", "res.partner"),
                                                   ("res_id", "in", partners.ids)])
        self.assertEqual(len(jobs), 6)

    def test_do_not_sync_partner_queues_no_update(self):
        self.partner.write({"clarus_xero_no_sync": True,
                            "clarus_xero_no_sync_reason": "Kept out of Xero"})
        self.partner.phone = "+64 9 555 0122"
        self.assertFalse(self.pending_contact_jobs())

    def test_product_price_edit_updates_the_item(self):
        self.product_a.lst_price = 123.45
        self.product_a.standard_price = 61.5
        jobs = self.jobs_for(self.product_a, "item").filtered(lambda j: j.state == "pending")
        self.assertEqual(len(jobs), 1)
        since = self.request_count()
        self.push()
        self.assertEqual(len(self.writes_to("Items", since)), 1)
        item = self.xero_item()
        self.assertEqual(float(item["SalesDetails"]["UnitPrice"]), 123.45)
        self.assertEqual(float(item["PurchaseDetails"]["UnitPrice"]), 61.5)
        self.assertEqual(len([i for i in self.xero_documents("Items")
                              if i["Code"] == "WIDGET-A"]), 1)

    def test_product_code_change_updates_the_same_item(self):
        self.product_a.default_code = "WIDGET-A2"
        self.product_a.product_tmpl_id.description_sale = "A widget, blue"
        self.push()
        item = self.xero_item()
        self.assertEqual((item["Code"], item["Description"]), ("WIDGET-A2", "A widget, blue"))
        self.assertFalse([i for i in self.xero_documents("Items") if i["Code"] == "WIDGET-A"])

    def test_product_edit_xero_does_not_hold_queues_nothing(self):
        self.product_a.write({"barcode": "9400000000017", "lst_price": self.product_a.lst_price})
        self.assertFalse(self.jobs_for(self.product_a, "item").filtered(
            lambda j: j.state == "pending"))

    # -------------------------------------------------------- edits in Xero

    def test_contact_edited_in_xero_updates_only_the_chosen_fields(self):
        element = self.edit_in_xero(
            Name="Kauri Timber (NZ) Ltd", EmailAddress="ap@kauri.test",
            Phones=[{"PhoneType": "DEFAULT", "PhoneNumber": "+64 9 555 0177"}])
        text = self.apply(element)
        self.assertEqual(self.partner.email, "ap@kauri.test")
        self.assertEqual(self.partner.phone, "+64 9 555 0177")
        self.assertEqual(self.partner.name, "Kauri Timber Ltd", "names stay Odoo's by default")
        self.assertIn("ap@kauri.test", text)
        self.assertTrue(self.partner.clarus_xero_last_import)
        self.assertFalse(self.pending_contact_jobs(), "what came from Xero is not sent back")
        self.assertEqual(self.apply(element), "", "the same contact again changes nothing")

    def test_fields_chosen_on_the_connection_flow_back(self):
        self.connection.write({"contact_import_name": True, "contact_import_phone": False})
        element = self.edit_in_xero(
            Name="Kauri Timber (NZ) Ltd",
            Phones=[{"PhoneType": "DEFAULT", "PhoneNumber": "+64 9 555 0177"}],
            Addresses=[{"AddressType": "STREET", "AddressLine1": "5 Fanshawe Street",
                        "City": "Auckland", "PostalCode": "1010", "Country": "New Zealand"}])
        self.apply(element)
        self.assertEqual(self.partner.name, "Kauri Timber (NZ) Ltd")
        self.assertEqual(self.partner.phone, "+64 9 555 0100")
        self.assertEqual((self.partner.street, self.partner.country_id), ("5 Fanshawe Street",
                                                                          self.nz))

    def test_unknown_country_from_xero_is_refused_with_a_reason(self):
        element = self.edit_in_xero(Addresses=[{"AddressType": "STREET",
                                                "AddressLine1": "1 Elm Row",
                                                "Country": "Atlantis"}])
        with self.assertRaisesRegex(UserError, "Atlantis"):
            self.apply(element)

    def test_do_not_import_is_honoured(self):
        self.partner.write({"clarus_xero_no_import": True,
                            "clarus_xero_no_import_reason": "Finance keeps it in Odoo"})
        element = self.edit_in_xero(EmailAddress="ap@kauri.test")
        text = self.apply(element)
        self.assertEqual(self.partner.email, "orders@kauri.test")
        self.assertIn("Do not import", text)
        self.assertFalse(self.partner.clarus_xero_last_import)

    # ------------------------------------------------------------- conflicts

    def make_conflict(self):
        self.partner.phone = "+64 9 555 0111"  # edited in Odoo, not pushed yet
        element = self.edit_in_xero(
            EmailAddress="ap@kauri.test",
            Phones=[{"PhoneType": "DEFAULT", "PhoneNumber": "+64 9 555 0222"}])
        text = self.apply(element)
        self.assertIn("Phone", text)
        conflict = self.env["clarus.xero.conflict"].search([("partner_id", "=", self.partner.id)])
        self.assertEqual(len(conflict), 1)
        self.assertEqual((conflict.field, conflict.odoo_value, conflict.xero_value, conflict.state),
                         ("phone", "+64 9 555 0111", "+64 9 555 0222", "open"))
        return conflict

    def test_conflict_overwrites_neither_side_and_other_fields_apply(self):
        self.make_conflict()
        self.assertEqual(self.partner.phone, "+64 9 555 0111")
        self.assertEqual(self.partner.email, "ap@kauri.test", "the other fields still apply")
        self.assertEqual(self.partner.clarus_xero_conflict_count, 1)
        self.push()  # the Odoo edit's update goes, with Xero's phone kept until decided
        phones = {p["PhoneType"]: p["PhoneNumber"] for p in self.xero_contact()["Phones"]}
        self.assertEqual(phones["DEFAULT"], "+64 9 555 0222")

    def test_keep_odoos_value_sends_it_to_xero(self):
        conflict = self.make_conflict()
        self.push()
        conflict.action_keep_odoo()
        self.assertEqual(conflict.state, "kept_odoo")
        self.assertEqual(len(self.pending_contact_jobs()), 1)
        self.push()
        phones = {p["PhoneType"]: p["PhoneNumber"] for p in self.xero_contact()["Phones"]}
        self.assertEqual(phones["DEFAULT"], "+64 9 555 0111")
        self.assertEqual(self.partner.clarus_xero_conflict_count, 0)
        # The next read of the contact finds nothing new to apply.
        self.assertEqual(self.apply(self.read_contact()), "")

    def test_editing_odoo_to_xeros_value_settles_the_conflict(self):
        conflict = self.make_conflict()
        self.partner.phone = "+64 9 555 0133"
        self.assertEqual(conflict.odoo_value, "+64 9 555 0133", "Odoo's value as it is now")
        self.partner.phone = "+64 9 555 0222"
        self.assertEqual(conflict.state, "agreed")
        self.assertEqual(self.partner.clarus_xero_conflict_count, 0)

    def test_take_xeros_value_writes_the_partner(self):
        conflict = self.make_conflict()
        self.push()
        since = self.request_count()
        conflict.action_take_xero()
        self.assertEqual((conflict.state, self.partner.phone), ("took_xero", "+64 9 555 0222"))
        self.push()
        self.assertFalse(self.writes_to("Contacts", since), "Xero already holds its own value")
        self.assertEqual(self.apply(self.read_contact()), "")
        with self.assertRaises(UserError):
            conflict.action_keep_odoo()

    def test_billing_users_decide_conflicts_within_their_rights_on_contacts(self):
        conflict = self.make_conflict()
        clerk = new_test_user(self.env, login="clarus-upd-billing",
                              groups="account.group_account_invoice")
        listed = self.env["clarus.xero.conflict"].with_user(clerk).search(
            [("state", "=", "open")])
        self.assertEqual(listed, conflict)
        self.assertEqual(self.partner.with_user(clerk).clarus_xero_conflict_count, 1)
        # Taking Xero's value edits the contact: only for those who may edit contacts.
        with self.assertRaises(AccessError):
            listed.action_take_xero()
        self.assertEqual((conflict.state, self.partner.phone), ("open", "+64 9 555 0111"))
        editor = new_test_user(self.env, login="clarus-upd-editor",
                               groups="account.group_account_invoice,base.group_partner_manager")
        conflict.with_user(editor).action_take_xero()
        self.assertEqual((conflict.state, conflict.resolved_by_id), ("took_xero", editor))
        self.assertEqual(self.partner.phone, "+64 9 555 0222")

    # ----------------------------------------------------------------- merges

    def test_merged_contact_moves_the_binding_to_the_surviving_contact(self):
        gateway = self.connection._gateway()
        data, _h, _s = gateway._call(gateway.accounting, "create_contacts",
                                     self.connection.tenant_id,
                                     {"Contacts": [{"Name": "Kauri Group Holdings"}]})
        survivor = data["Contacts"][0]["ContactID"]
        self.control("POST", "/merge-contacts", {"tenant_id": self.connection.tenant_id,
                                                  "from_contact_id": self.contact_id,
                                                  "into_contact_id": survivor})
        merged = self.read_contact()
        self.assertEqual(merged["ContactStatus"], "ARCHIVED")
        text = self.apply(merged)
        self.assertIn(survivor, text)
        self.partner.invalidate_recordset()
        self.assertEqual(self.partner.clarus_xero_id, survivor)
        invoice = self.make_invoice(partner=self.partner)
        self.push()
        self.assertEqual(self.xero_invoice(invoice)["Contact"]["ContactID"], survivor)

    def test_merge_into_a_contact_of_another_partner_is_refused(self):
        other = self.env["res.partner"].create({"name": "Rimu Joinery", "ref": "RIMU"})
        self.make_invoice(partner=other)
        self.push()
        self.control("POST", "/merge-contacts", {"tenant_id": self.connection.tenant_id,
                                                  "from_contact_id": self.contact_id,
                                                  "into_contact_id": other.clarus_xero_id})
        with self.assertRaisesRegex(UserError, "Rimu Joinery"):
            self.apply(self.read_contact())
        self.assertEqual(self.partner.clarus_xero_id, self.contact_id)


@tagged("post_install", "-at_install")
class TestUpdatesThroughPull(UpdatesCase):
    """Contact changes read by the scheduled pull, as production reads them."""

    def setUp(self):
        super().setUp()
        self.pull()  # the contact just created: nothing to apply

    def pull(self):
        result = self.env["clarus.xero.pull"]._run(self.connection, collections=("contacts",))
        self.env.invalidate_all()
        return result

    def contact_imports(self):
        return self.env["clarus.xero.job"].search([
            ("res_model", "=", "res.partner"), ("res_id", "=", self.partner.id),
            ("kind", "=", "import_contact")])

    def test_pulled_contact_edit_updates_the_partner_as_one_import(self):
        self.edit_in_xero(EmailAddress="ap@kauri.test")
        self.assertEqual(self.pull(), "ok")
        self.assertEqual(self.partner.email, "ap@kauri.test")
        job = self.contact_imports()
        self.assertEqual((len(job), job.state), (1, "done"))
        self.assertIn("ap@kauri.test", job.response_summary)

    def test_no_loop_after_three_pull_and_push_cycles(self):
        self.edit_in_xero(EmailAddress="ap@kauri.test")
        self.partner.phone = "+64 9 555 0188"
        since = self.request_count()
        for _cycle in range(3):
            self.pull()
            self.push()
        self.assertEqual(len(self.writes_to("Contacts", since)), 1, "Odoo's one edit, once")
        self.assertEqual(len(self.contact_imports()), 1, "Xero's one edit, once")
        contact = self.xero_contact()
        self.assertEqual(contact["EmailAddress"], "ap@kauri.test")
        self.assertEqual({p["PhoneType"]: p["PhoneNumber"] for p in contact["Phones"]}["DEFAULT"],
                         "+64 9 555 0188")
        self.assertEqual((self.partner.email, self.partner.phone),
                         ("ap@kauri.test", "+64 9 555 0188"))

    def test_contact_webhook_applies_the_edit_at_once(self):
        self.connection.sudo().webhook_key = "updates-webhook-key"
        self.edit_in_xero(Phones=[{"PhoneType": "DEFAULT", "PhoneNumber": "+64 9 555 0166"}])
        body = json.dumps({"events": [{
            "resourceUrl": "https://api.xero.com/x", "resourceId": self.contact_id,
            "eventDateUtc": "2026-12-01T10:00:00.000", "eventType": "UPDATE",
            "eventCategory": "CONTACT", "tenantId": self.connection.tenant_id,
            "tenantType": "ORGANISATION"}], "firstEventSequence": 1, "lastEventSequence": 1,
            "entropy": "x"}).encode()
        Event = self.env["clarus.xero.webhook.event"]
        self.assertTrue(Event._receive(self.connection, body,
                                       sign(body, "updates-webhook-key")))
        Event._process_connection(self.connection)
        self.env.invalidate_all()
        self.assertEqual(self.partner.phone, "+64 9 555 0166")
        job = self.contact_imports()
        self.assertEqual((len(job), job.state), (1, "done"))
        self.assertFalse(self.pending_contact_jobs(), "nothing is sent back")
