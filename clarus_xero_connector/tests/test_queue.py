"""The queue cannot stall: waiting is a state, one failure stays one failure."""

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import XeroEmulatorCase


@tagged("post_install", "-at_install")
class TestQueueLiveness(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        # An internal reference longer than Xero's 30-character item code: the item fails.
        self.bad_product = self.env["product.product"].create(
            {"name": "Broken widget", "default_code": "BROKEN-" + "9" * 30, "list_price": 10.0})
        self.good_product = self.env["product.product"].create(
            {"name": "Good widget", "default_code": "GOOD-1", "list_price": 10.0})

    def make_invoices(self, product, count, chunk=50):
        """``count`` posted one-line invoices for ``product``, posted ``chunk`` at a time."""
        tax = self.company_data["default_tax_sale"]
        moves = self.env["account.move"]
        for start in range(0, count, chunk):
            created = self.env["account.move"].create([{
                "move_type": "out_invoice",
                "partner_id": self.partner_a.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [Command.create({
                    "product_id": product.id, "quantity": 1, "price_unit": 10.0 + n % 7,
                    "tax_ids": [Command.set(tax.ids)]})],
            } for n in range(start, min(count, start + chunk))])
            created.action_post()
            moves |= created
        return moves

    def xero_numbers(self):
        return {i["InvoiceNumber"] for i in self.xero_documents("Invoices")}

    def test_invoices_waiting_on_a_failed_item_do_not_hold_back_the_others(self):
        # The broken item fails; 600 invoices need it.
        blocked = self.make_invoices(self.bad_product, 600)
        healthy = self.make_invoices(self.good_product, 20)
        self.push()

        item_job = self.jobs_for(self.bad_product, "item")
        self.assertEqual(item_job.state, "failed")
        self.assertEqual(self.xero_numbers(), set(healthy.mapped("name")),
                         "the healthy invoices went in the same run, the blocked ones did not")
        waiting = self.env["clarus.xero.job"].search(
            [("res_model", "=", "account.move"), ("res_id", "in", blocked.ids)])
        self.assertEqual(set(waiting.mapped("state")), {"waiting"})
        self.assertEqual(waiting.waits_for_id, item_job, "each says which job it waits for")
        self.assertEqual(set(waiting.mapped("waits_for_state")), {"failed"})
        self.assertTrue(all(waiting.mapped("waits_for_error")),
                        "the prerequisite's failure shows on its dependents")

        # Later runs do not claim the waiting jobs, so new invoices keep flowing.
        later = self.make_invoices(self.good_product, 3)
        self.push()
        self.assertTrue(set(later.mapped("name")) <= self.xero_numbers())
        self.assertEqual(set(waiting.mapped("state")), {"waiting"})

        # Someone fixes the product; retrying its job releases everything behind it.
        self.bad_product.default_code = "BROKEN-1"
        item_job.action_retry()
        self.assertEqual(set(waiting.mapped("state")), {"pending"})
        self.push()
        self.assertEqual(item_job.state, "done")
        self.assertTrue(set(blocked.mapped("name")) <= self.xero_numbers())
        self.assertEqual(len(self.xero_documents("Invoices")), 623, "each invoice once")

    def test_cancelled_prerequisite_releases_its_waiters(self):
        move = self.make_invoices(self.bad_product, 1)
        self.push()
        job = self.jobs_for(move, "invoice")
        self.assertEqual(job.state, "waiting")
        self.assertEqual(move.clarus_xero_sync_state, "queued",
                         "a waiting invoice reads as queued, not as sent nor as not synced")
        self.jobs_for(self.bad_product, "item").action_cancel()
        self.assertEqual(job.state, "pending")

    def test_a_document_too_large_for_xero_fails_with_the_reason(self):
        move = self.make_invoices(self.good_product, 1)
        job = self.jobs_for(move, "invoice")
        job.sudo().payload = "x" * 3_100_000  # the planner's size estimate for this job
        self.push()
        self.assertEqual(job.state, "failed")
        self.assertIn("too large", job.error_message)

    def test_claimed_jobs_cannot_be_cancelled_and_stay_paired_with_their_payloads(self):
        moves = self.make_invoices(self.good_product, 3)
        Push = self.env["clarus.xero.push"]
        claimed = Push._claim(self.connection)
        self.assertEqual(set(claimed.mapped("state")), {"running"})
        # A person cancelling from the list cannot take a claimed job away from the run.
        claimed.action_cancel()
        self.assertEqual(set(claimed.mapped("state")), {"running"})
        Push._give_back(claimed)
        self.assertEqual(set(claimed.mapped("state")), {"pending"})
        self.push()
        self.assertTrue(set(moves.mapped("name")) <= self.xero_numbers())

    def test_a_change_queued_while_its_job_is_claimed_takes_over_and_nothing_breaks(self):
        move = self.make_invoices(self.good_product, 1)
        Job, Push = self.env["clarus.xero.job"], self.env["clarus.xero.push"]
        claimed = Push._claim(self.connection)
        contact = claimed.filtered(lambda job: job.kind == "contact")
        # Meanwhile another posting queues the same customer again.
        twin = Job._enqueue(self.connection, self.partner_a, "contact")
        self.assertNotEqual(twin, contact)
        Push._give_back(claimed)
        self.assertEqual(contact.state, "cancelled")
        self.assertIn(f"#{twin.id}", contact.error_message)
        self.assertEqual(twin.state, "pending")
        self.push()
        self.assertEqual(twin.state, "done")
        self.assertTrue(self.xero_invoice(move))

    def test_a_waiting_job_absorbs_a_new_change_of_its_record(self):
        move = self.make_invoices(self.bad_product, 1)
        self.push()
        job = self.jobs_for(move, "invoice")
        self.assertEqual(job.state, "waiting")
        again = self.env["clarus.xero.job"]._enqueue(self.connection, move, "invoice")
        self.assertEqual(again, job, "one queued job per record")


@tagged("post_install", "-at_install")
class TestOrganisationIsolation(XeroEmulatorCase):
    def test_a_database_error_in_one_organisation_does_not_stop_the_other(self):
        data_2, conn_2 = self.connect_australian_company()
        # Finance has "Twin Traders" in the NZ organisation, already bound to one Odoo
        # customer; a second Odoo customer of the same name resolves to the same contact.
        gateway = self.connection._gateway()
        created, _headers, _status = gateway._call(
            gateway.accounting, "create_contacts", self.connection.tenant_id,
            {"Contacts": [{"Name": "Twin Traders"}]})
        xero_id = created["Contacts"][0]["ContactID"]
        first, second = self.env["res.partner"].create(
            [{"name": "Twin Traders"}, {"name": "Twin Traders"}])
        self.env["clarus.xero.binding"].create({
            "connection_id": self.connection.id, "res_model": "res.partner",
            "res_id": first.id, "xero_id": xero_id})
        nz_move = self.make_invoice(partner=second)
        au_move = self.make_invoice_in(data_2, self.partner_b)

        with mute_logger("odoo.sql_db"):  # the broken unique index is logged by Odoo
            self.env["clarus.xero.push"]._run_all()

        contact_job = self.jobs_for(second, "contact").filtered(
            lambda job: job.connection_id == self.connection)
        self.assertEqual(contact_job.state, "failed")
        self.assertIn("could not record", contact_job.error_message)
        self.assertEqual(self.jobs_for(nz_move, "invoice").state, "waiting",
                         "the invoice waits for its customer instead of failing blind")
        au_invoices = self.control(
            "GET", f"/documents/Invoices?tenant={conn_2.tenant_id}")["records"]
        self.assertEqual([i["InvoiceNumber"] for i in au_invoices], [au_move.name],
                         "the other organisation was pushed in the same run")
        self.assertEqual(self.jobs_for(au_move, "invoice").state, "done")
        # Nothing was sent for the customer whose answer could not be recorded.
        self.assertEqual(len([c for c in self.xero_documents("Contacts")
                              if c["Name"].casefold() == "twin traders"]), 1)
        self.assertEqual(self.xero_invoice(nz_move), None)


@tagged("post_install", "-at_install")
class TestSwitchOrganisation(XeroEmulatorCase):
    def test_test_organisation_first_then_live_sends_everything_again(self):
        # Untaxed: the same totals under NZ's 15% and AU's 10% GST; each organisation
        # gets its own no-tax rate.
        move = self.make_invoice(post=False)
        move.invoice_line_ids.tax_ids = False
        move.action_post()
        self.push()
        nz_tenant = self.connection.tenant_id
        nz_contact = self.partner_a.clarus_xero_id
        self.assertTrue(self.xero_invoice(move))

        # Re-authorised, this time choosing the other organisation.
        self.authorize(self.connection)
        au = next(t for t in self.connection.available_tenants
                  if t["tenantName"] == "Clarus Test Org (AU)")
        self.connection._select_tenant(au["tenantId"])
        self.assertNotEqual(self.connection.tenant_id, nz_tenant)
        self.enable_company_currency(self.connection, self.env.company.currency_id.name)
        self.connection.action_import_reference_data()
        au_output = self.env["clarus.xero.reference"].search(
            [("connection_id", "=", self.connection.id), ("kind", "=", "tax_rate"),
             ("code", "=", "OUTPUT")])
        self.env["clarus.xero.mapping"].search(
            [("connection_id", "=", self.connection.id), ("kind", "=", "tax")]
        ).xero_reference_id = au_output

        # The connection says what will be sent again, and queued it.
        self.assertIn("will be sent again", " ".join(self.connection.message_ids.mapped("body")))
        self.partner_a.invalidate_recordset()
        self.assertFalse(self.partner_a.clarus_xero_id, "the NZ contact is not reused")
        self.assertEqual(self.jobs_for(move, "invoice").filtered(
            lambda j: j.state == "pending").kind, "invoice")
        self.push()
        au_invoices = self.control(
            "GET", f"/documents/Invoices?tenant={self.connection.tenant_id}")["records"]
        jobs = self.env["clarus.xero.job"].search([("connection_id", "=", self.connection.id)])
        self.assertEqual([i["InvoiceNumber"] for i in au_invoices], [move.name], [
            (j.kind, j.state, j.res_model, j.res_id, j.error_message) for j in jobs])
        self.assertEqual(au_invoices[0]["LineItems"][0]["TaxType"], "BASEXCLUDED")
        self.partner_a.invalidate_recordset()
        au_contact = self.partner_a.clarus_xero_id
        self.assertTrue(au_contact)
        self.assertNotEqual(au_contact, nz_contact)
        nz_contacts = self.control("GET", f"/documents/Contacts?tenant={nz_tenant}")["records"]
        self.assertIn(nz_contact, [c["ContactID"] for c in nz_contacts])
        self.assertNotIn(au_contact, [c["ContactID"] for c in nz_contacts])
