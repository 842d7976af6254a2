"""The demo's day, as ``scripts/demo`` builds it, against the Xero emulator: every board
stage has an order, Xero holds a document of each kind, the one failed job says what to
fix and goes once it is fixed, and a second run adds nothing."""

from odoo.tests import tagged

from odoo.addons.clarus_xero_connector import demo_story

from .common import XeroEmulatorCase

BOARD_STAGES = {"to_allocate", "allocated", "exception", "picking", "packed", "shipped"}


@tagged("post_install", "-at_install")
class TestDemoStory(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        if "clarus_ship_then_bill" not in self.env["res.company"]._fields:
            self.skipTest("clarus_wms_allocation is not installed")
        self.env.user.group_ids |= (self.env.ref("sales_team.group_sale_manager")
                                    | self.env.ref("stock.group_stock_manager")
                                    | self.env.ref("purchase.group_purchase_manager"))

    def _order(self, day, key):
        return day["orders"][key]

    def _xero(self, collection, **match):
        return [r for r in self.xero_documents(collection)
                if all(r.get(k) == v for k, v in match.items())]

    def test_the_day_fills_every_stage_and_reaches_xero(self):
        day = demo_story.run(self.env, self.connection)

        # The board: every column has something to show, each order where it was meant.
        self.assertEqual(set(day["stages"]), BOARD_STAGES)
        for key, (_c, _l, stage, _p, _d) in demo_story.ORDERS.items():
            self.assertEqual(self._order(day, key).clarus_fulfilment_stage, stage, key)
        short = self._order(day, "SHORT-ALPS").order_line.filtered(
            lambda ln: ln.product_id.default_code == "CDW-BAG-5")
        self.assertEqual((short.clarus_allocated_qty, short.clarus_shortfall_qty), (4, 2))
        late = self._order(day, "ALLOC-BAY-LATE")
        self.assertLess(late.commitment_date.date(), late.create_date.date())
        self.assertEqual(late.clarus_priority, "2")
        changed = self._order(day, "ALLOC-KAURI")
        self.assertEqual(changed.clarus_change_state, "adjusted",
                         "one pack taken off after allocation shows on the card")
        self.assertEqual(sum(changed.order_line.mapped("clarus_allocated_qty")), 4)

        # Shipped is invoiced, exactly what shipped; the tracked shipment keeps its label.
        shipped = self._order(day, "SHIP-KAURI")
        invoice = shipped.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(sorted(invoice.invoice_line_ids.mapped("quantity")), [2, 6])
        label = shipped.picking_ids.clarus_shipment_label_ids
        self.assertEqual(label.tracking_reference, "KC-48213577-NZ")
        self.assertEqual(label.carrier_service, "Overnight")
        self.assertIn("12 Quay Street", label.ship_to_address)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        refund = self._order(day, "SHIP-HARBOUR-RETURN").invoice_ids.filtered(
            lambda m: m.move_type == "out_refund")
        self.assertEqual(refund.state, "posted")
        self.assertEqual(refund.invoice_line_ids.quantity, 1)

        # Xero holds one document of each kind the day sends.
        xero_invoice = self.xero_invoice(invoice)
        self.assertEqual(xero_invoice["Status"], "PAID")
        self.assertEqual(xero_invoice["Contact"]["Name"], "Kauri Outdoor Supplies")
        gateway = self.connection._gateway()
        history, _h, _s = gateway._call(gateway.accounting, "get_invoice_history",
                                        self.connection.tenant_id, xero_invoice["InvoiceID"])
        self.assertIn("KC-48213577-NZ",
                      " ".join(h["Details"] for h in history["HistoryRecords"]),
                      "the tracking number is noted on the invoice in Xero")
        self.assertEqual(len(self._xero("CreditNotes", CreditNoteNumber=refund.name)), 1)
        self.assertTrue(self._xero("Contacts", Name="Harbourside Cycles"))
        self.assertTrue(self._xero("Contacts", Name="Pacific Outdoor Wholesale Ltd"))
        self.assertTrue(self._xero("Items", Code="CDW-TENT2"))
        self.assertTrue(self._xero("Items", Code="CDW-BAG-5"))
        purchase = self._xero("PurchaseOrders", Reference=demo_story.PURCHASE_REF)
        self.assertEqual(len(purchase), 1)
        self.assertEqual(purchase[0]["Status"], "AUTHORISED")
        payments = [p for p in self.xero_documents("Payments")
                    if p["Invoice"]["InvoiceNumber"] == invoice.name]
        self.assertEqual(len(payments), 1)
        self.assertAlmostEqual(float(payments[0]["Amount"]), invoice.amount_total)

        # The one failure: the engraved bottle's reference is too long for Xero.
        Job = self.env["clarus.xero.job"]
        failed = Job.search([("connection_id", "=", self.connection.id),
                             ("state", "=", "failed")])
        bottle = day["products"][demo_story.LONG_CODE]
        self.assertEqual((failed.kind, failed.res_model, failed.res_id),
                         ("item", "product.product", bottle.id))
        self.assertIn(demo_story.LONG_CODE, failed.error_message)
        self.assertIn("at most 30", failed.error_message)
        self.assertIn("Shorten the product's internal reference", failed.error_message)
        engraved = self._order(day, "SHIP-BAY-ENGRAVED").invoice_ids
        self.assertIsNone(self.xero_invoice(engraved), "its invoice waits for the item")

        # Fixed as the message says, retried: the item and then its invoice go.
        bottle.default_code = "CDW-BOTTLE-ENGR"
        failed.action_retry()
        self.push()
        self.assertEqual(failed.state, "done")
        self.assertTrue(self._xero("Items", Code="CDW-BOTTLE-ENGR"))
        self.assertAlmostEqual(float(self.xero_invoice(engraved)["Total"]),
                               engraved.amount_total)

    def test_running_the_demo_again_adds_nothing(self):
        demo_story.run(self.env, self.connection)
        counts = {model: self.env[model].search_count([])
                  for model in ("sale.order", "res.partner", "product.product",
                                "purchase.order", "stock.warehouse", "account.move",
                                "clarus.xero.job", "clarus.xero.mapping")}
        invoices_in_xero = len(self.xero_documents("Invoices"))

        again = demo_story.run(self.env, self.connection)

        self.assertFalse(again["created"])
        self.assertEqual({model: self.env[model].search_count([]) for model in counts}, counts)
        self.assertEqual(len(self.xero_documents("Invoices")), invoices_in_xero)
        self.assertEqual(set(again["stages"]), BOARD_STAGES)
