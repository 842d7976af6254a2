"""Xero tracks inventory: adjustments, stocktakes, scrap and returns to suppliers reach
Xero as zero-total bills (increases) and supplier credit notes (decreases) that move
each item's QuantityOnHand and TotalCostPool at Odoo's cost, exactly once."""

from datetime import timedelta
from decimal import Decimal

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import XeroEmulatorCase

LOST_ANSWER = {"mode": "timeout", "hold": 1.5, "count": 1, "method": "POST"}
CENT = Decimal("0.01")


def dec(value):
    return Decimal(str(value or 0))


@tagged("post_install", "-at_install")
class TestStockTracked(XeroEmulatorCase):
    def setUp(self):
        super().setUp()
        self.env.user.group_ids |= self.env.ref("stock.group_stock_manager")
        self.connection.write({"tracked_items": True, "stock_adjustment_account_code": "312"})
        self.warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1)
        self.stock_location = self.warehouse.lot_stock_id
        self.bolt = self.make_product("BOLT-1", cost=2.5)
        self.nut = self.make_product("NUT-1", cost=0.35)

    # ---------------------------------------------------------------- helpers

    def make_product(self, code, cost):
        return self.env["product.product"].create({
            "name": f"Product {code}", "default_code": code, "is_storable": True,
            "standard_price": cost, "type": "consu"})

    def count(self, counts, location=None):
        """Apply a count (``{product: counted quantity}``) as a stocktake does; return
        the inventory moves it made."""
        location = location or self.stock_location
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        quants = Quant.browse()
        for product, quantity in counts.items():
            quant = Quant.search([("product_id", "=", product.id),
                                  ("location_id", "=", location.id)], limit=1)
            if quant:
                quant.inventory_quantity = quantity
            else:
                quant = Quant.create({"product_id": product.id, "location_id": location.id,
                                      "inventory_quantity": quantity})
            quants |= quant
        before = self.env["stock.move"].sudo().search([], order="id desc", limit=1).id or 0
        quants.action_apply_inventory()
        return self.env["stock.move"].search([("id", ">", before), ("is_inventory", "=", True)])

    def push_until_done(self, rounds=20):
        Job = self.env["clarus.xero.job"]
        for _round in range(rounds):
            Job.search([("state", "=", "pending")]).write(
                {"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
            Job._requeue_stuck(older_than=timedelta(0))
            self.push()
            if not Job.search_count([("state", "in", ("pending", "running"))]):
                return
        self.fail("the queue did not drain")

    def item(self, product):
        return next(i for i in self.xero_documents("Items")
                    if i["Code"] == product.default_code)

    def xero_document(self, record, collection):
        field = "InvoiceNumber" if collection == "Invoices" else "CreditNoteNumber"
        found = [d for d in self.xero_documents(collection)
                 if d.get(field) == record._clarus_xero_stock_number()]
        self.assertEqual(len(found), 1, "one Xero document per operation")
        return found[0]

    def writes(self, collection):
        return len([r for r in self.xero_requests() if r["method"] in ("PUT", "POST")
                    and r["path"].endswith(f"/{collection}")])

    def assert_pool(self, product, documents, moves):
        """Xero's pool is Odoo's value of the moves, in Xero's base currency, within the
        rounding the engine documents (a cent per line, plus the currency conversion)."""
        rate = dec(documents[0]["CurrencyRate"] or 1)
        signed = sum(dec(m.value) * (1 if m.location_dest_id.usage == "internal" else -1)
                     for m in moves)
        item = self.item(product)
        self.assertLessEqual(abs(dec(item["TotalCostPool"]) - signed / rate),
                             CENT * len(moves) + CENT)

    # ------------------------------------------------------------------ tests

    def test_adjustment_up_then_down_moves_quantity_and_cost_pool(self):
        [up] = self.count({self.bolt: 8})
        self.assertEqual(up.clarus_xero_stock_state, "queued")
        self.assertEqual(self.jobs_for(up).kind, "stock_adjustment")
        self.push_until_done()
        self.assertEqual(up.clarus_xero_stock_state, "synced")
        bill = self.xero_document(up, "Invoices")
        self.assertEqual(up.clarus_xero_stock_number, bill["InvoiceNumber"])
        self.assertEqual(bill["Type"], "ACCPAY")
        self.assertEqual(dec(bill["Total"]), 0)
        # Xero settles a zero-total bill at once: nothing is left to pay.
        self.assertEqual(dec(bill["AmountDue"]), 0)
        self.assertEqual(bill["Status"], "PAID")
        item_line, balance = bill["LineItems"]
        self.assertEqual((item_line["ItemCode"], item_line["AccountCode"]), ("BOLT-1", "630"))
        self.assertEqual(balance["AccountCode"], "312", "Inventory Adjustments")
        company = self.env["clarus.xero.binding"]._get(self.connection,
                                                        self.env.company.partner_id)
        self.assertEqual(bill["Contact"]["ContactID"], company.xero_id,
                         "adjustments go in the company's name unless another is chosen")
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 8)
        self.assertEqual(dec(up.value), Decimal("20"))
        self.assert_pool(self.bolt, [bill], up)

        [down] = self.count({self.bolt: 5})
        self.assertEqual(self.jobs_for(down).kind, "stock_adjustment_credit")
        self.push_until_done()
        credit = self.xero_document(down, "CreditNotes")
        self.assertEqual(credit["Type"], "ACCPAYCREDIT")
        self.assertEqual(dec(credit["Total"]), 0)
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 5)
        self.assertEqual(self.bolt.qty_available, 5)
        self.assert_pool(self.bolt, [bill], up | down)

    def test_scrap_lowers_xero_stock_and_shows_on_the_scrap(self):
        self.count({self.bolt: 10})
        scrap = self.env["stock.scrap"].create({
            "product_id": self.bolt.id, "scrap_qty": 3, "location_id": self.stock_location.id})
        scrap.action_validate()
        self.assertEqual(scrap.state, "done")
        self.assertEqual(scrap.clarus_xero_stock_state, "queued")
        self.push_until_done()
        self.assertEqual(scrap.clarus_xero_stock_state, "synced")
        credit = self.xero_document(scrap, "CreditNotes")
        self.assertEqual(scrap.clarus_xero_stock_number, scrap.name)
        self.assertEqual(dec(credit["Total"]), 0)
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 7)
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]),
                         dec(self.bolt.qty_available))

    def test_return_to_supplier_is_one_credit_in_the_suppliers_name(self):
        self.count({self.bolt: 10, self.nut: 20})
        supplier = self.env.ref("stock.stock_location_suppliers")
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.out_type_id.id, "partner_id": self.partner_a.id,
            "location_id": self.stock_location.id, "location_dest_id": supplier.id,
            "move_ids": [Command.create({
                "product_id": product.id, "product_uom_qty": qty,
                "location_id": self.stock_location.id, "location_dest_id": supplier.id})
                for product, qty in ((self.bolt, 4), (self.nut, 6))],
        })
        picking.action_confirm()
        picking.move_ids.quantity = 0
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.assertEqual(self.jobs_for(picking).kind, "stock_adjustment_credit")
        self.push_until_done()
        credit = self.xero_document(picking, "CreditNotes")
        contact = self.env["clarus.xero.binding"]._get(self.connection, self.partner_a)
        self.assertEqual(credit["Contact"]["ContactID"], contact.xero_id)
        self.assertEqual(len(credit["LineItems"]), 3, "two products and the balance")
        self.assertEqual(dec(credit["Total"]), 0)
        self.assertEqual(picking.clarus_xero_stock_state, "synced")
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 6)
        self.assertEqual(dec(self.item(self.nut)["QuantityOnHand"]), 14)

    def receive_and_bill(self, product, quantity, price):
        """A purchase order received in full and billed on received quantities."""
        order = self.env["purchase.order"].create({
            "partner_id": self.partner_a.id,
            "order_line": [Command.create({"product_id": product.id, "product_qty": quantity,
                                           "price_unit": price, "tax_ids": False})]})
        order.button_confirm()
        receipt = order.picking_ids
        receipt.move_ids.quantity = quantity
        receipt.move_ids.picked = True
        receipt.button_validate()
        self.bill_order(order, "REC-1")
        return order, receipt

    def bill_order(self, order, ref):
        action = order.action_create_invoice()
        bill = self.env["account.move"].browse(action["res_id"])
        bill.write({"invoice_date": fields.Date.today(), "ref": ref})
        bill.action_post()
        return bill

    def return_to_supplier(self, receipt, quantity, to_refund=True):
        wizard = self.env["stock.return.picking"].with_context(
            active_ids=receipt.ids, active_id=receipt.id, active_model="stock.picking"
        ).create({"picking_id": receipt.id})
        wizard.product_return_moves.write({"quantity": quantity, "to_refund": to_refund})
        picking = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        picking.action_assign()
        picking.move_ids.quantity = quantity
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def test_return_of_a_billed_receipt_goes_through_its_refund_not_twice(self):
        self.bolt.purchase_method = "receive"
        order, receipt = self.receive_and_bill(self.bolt, 10, 2.5)
        self.push_until_done()
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 10)
        returned = self.return_to_supplier(receipt, 3)
        self.assertFalse(self.jobs_for(returned), "the vendor refund carries it")
        refund = self.bill_order(order, "REC-1-CR")
        self.assertEqual(refund.move_type, "in_refund")
        self.push_until_done()
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 7)
        self.assertEqual(self.bolt.qty_available, 7)

    def test_return_that_keeps_the_billed_quantity_is_sent(self):
        self.bolt.purchase_method = "receive"
        _order, receipt = self.receive_and_bill(self.bolt, 10, 2.5)
        returned = self.return_to_supplier(receipt, 2, to_refund=False)
        self.assertEqual(self.jobs_for(returned).kind, "stock_adjustment_credit")
        self.push_until_done()
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 8)
        self.assertEqual(self.bolt.qty_available, 8)

    def test_receipts_deliveries_and_transfers_make_no_stock_document(self):
        self.count({self.bolt: 10})
        self.push_until_done()
        other = self.env["stock.location"].create({
            "name": "Shelf 2", "usage": "internal",
            "location_id": self.warehouse.view_location_id.id})
        customer = self.env.ref("stock.stock_location_customers")
        moved = self.env["stock.picking"].browse()
        for picking_type, dest in ((self.warehouse.int_type_id, other),
                                   (self.warehouse.out_type_id, customer)):
            picking = self.env["stock.picking"].create({
                "picking_type_id": picking_type.id, "location_id": self.stock_location.id,
                "location_dest_id": dest.id, "partner_id": self.partner_a.id,
                "move_ids": [Command.create({
                    "product_id": self.bolt.id, "product_uom_qty": 2,
                    "location_id": self.stock_location.id, "location_dest_id": dest.id})]})
            picking.action_confirm()
            picking.move_ids.quantity = 2
            picking.move_ids.picked = True
            picking.button_validate()
            moved |= picking
        self.assertFalse(self.env["clarus.xero.job"].search([
            ("kind", "in", ("stock_adjustment", "stock_adjustment_credit")),
            ("res_model", "=", "stock.picking"), ("res_id", "in", moved.ids)]))
        self.assertFalse(moved.move_ids.filtered("clarus_xero_stock_state"))

    def test_stocktake_of_many_products_goes_in_one_request(self):
        products = self.env["product.product"].union(*[
            self.make_product(f"CNT-{n:03d}", cost=1 + n / 7) for n in range(45)])
        moves = self.count({product: 3 + n % 4 for n, product in enumerate(products)})
        self.assertEqual(len(moves), 45)
        self.push_until_done()
        self.assertEqual(set(moves.mapped("clarus_xero_stock_state")), {"synced"})
        self.assertEqual(self.writes("Invoices"), 1, "45 documents, one request")
        items = {i["Code"]: i for i in self.xero_documents("Items")}
        for n, product in enumerate(products):
            self.assertEqual(dec(items[product.default_code]["QuantityOnHand"]), 3 + n % 4)

    def test_a_stock_user_scraps_and_the_scrap_still_reaches_xero(self):
        self.count({self.bolt: 5})
        self.push_until_done()
        user = new_test_user(self.env, login="clarus-stock-clerk", groups="stock.group_stock_user",
                             company_id=self.env.company.id)
        scrap = self.env["stock.scrap"].with_user(user).create({
            "product_id": self.bolt.id, "scrap_qty": 1, "location_id": self.stock_location.id})
        scrap.action_validate()
        self.assertEqual(self.jobs_for(scrap).kind, "stock_adjustment_credit")
        self.push_until_done()
        self.assertEqual(scrap.clarus_xero_stock_state, "synced")
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 4)

    def test_operations_show_their_xero_status_to_billing_users_only(self):
        clerk = new_test_user(self.env, login="clarus-stock-only", groups="stock.group_stock_user",
                              company_id=self.env.company.id)
        billing = new_test_user(self.env, login="clarus-stock-billing",
                                groups="stock.group_stock_user,account.group_account_invoice",
                                company_id=self.env.company.id)
        # The views the menus open: Moves Analysis, Scrap Orders, Transfers.
        for model, refs in (("stock.move", ("stock.view_move_tree", "stock.view_move_form")),
                            ("stock.scrap", ("stock.stock_scrap_tree_view",
                                             "stock.stock_scrap_form_view")),
                            ("stock.picking", ("stock.vpicktree", "stock.view_picking_form"))):
            for user, shown in ((clerk, False), (billing, True)):
                views = self.env[model].with_user(user).get_views(
                    [(self.env.ref(refs[0]).id, "list"),
                     (self.env.ref(refs[1]).id, "form")])["views"]
                for view_type in ("list", "form"):
                    arch = views[view_type]["arch"]
                    self.assertEqual('name="clarus_xero_stock_state"' in arch, shown,
                                     f"{model} {view_type} for {user.login}")

    def test_do_not_sync_keeps_the_scrap_home(self):
        self.count({self.bolt: 10})
        self.push_until_done()
        scrap = self.env["stock.scrap"].create({
            "product_id": self.bolt.id, "scrap_qty": 2, "location_id": self.stock_location.id,
            "clarus_xero_no_sync": True, "clarus_xero_no_sync_reason": "Counted in Xero"})
        scrap.action_validate()
        self.assertFalse(self.jobs_for(scrap))
        self.assertEqual(scrap.clarus_xero_stock_state, "excluded")
        self.push_until_done()
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 10)

    def test_a_product_flagged_after_its_scrap_was_queued_sends_nothing(self):
        self.count({self.bolt: 10})
        self.push_until_done()
        scrap = self.env["stock.scrap"].create({
            "product_id": self.bolt.id, "scrap_qty": 2, "location_id": self.stock_location.id})
        scrap.action_validate()
        self.bolt.write({"clarus_xero_no_sync": True,
                         "clarus_xero_no_sync_reason": "Stock kept by hand in Xero"})
        writes = self.writes("CreditNotes")
        self.push_until_done()
        job = self.jobs_for(scrap)
        self.assertEqual(job.state, "done")
        self.assertIn("nothing was sent", job.response_summary)
        self.assertEqual(self.writes("CreditNotes"), writes)
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 10)

    def test_flagging_a_queued_adjustment_cancels_it(self):
        [move] = self.count({self.bolt: 4})
        move.write({"clarus_xero_no_sync": True,
                    "clarus_xero_no_sync_reason": "Opening stock entered in Xero"})
        self.assertEqual(self.jobs_for(move).state, "cancelled")
        self.assertEqual(move.clarus_xero_stock_state, "excluded")

    def test_lost_answer_is_looked_up_not_adjusted_twice(self):
        [move] = self.count({self.bolt: 6})
        # Item and contact first, so the next request is the adjustment itself.
        self.push_until_done()
        [again] = self.count({self.bolt: 9})
        self.control("POST", "/faults", dict(LOST_ANSWER, path_prefix="/api.xro/2.0/Invoices"))
        self.connection.request_timeout = 1
        self.push()
        job = self.jobs_for(again)
        self.assertTrue(job.outcome_unknown, "looked up before it is sent again")
        writes = self.writes("Invoices")
        # Xero forgets the idempotency key after six minutes: only the look-up is left.
        self.control("POST", "/clock", {"advance_seconds": 400})
        self.push_until_done()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.writes("Invoices"), writes, "found, not sent again")
        self.xero_document(again, "Invoices")
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 9)
        self.assertEqual(again.clarus_xero_stock_state, "synced")
        self.assertEqual(move.clarus_xero_stock_state, "synced")

    # ------------------------------------------------------------- bad input

    def assert_failed_alone(self, record, words):
        job = self.jobs_for(record)
        self.assertEqual(job.state, "failed")
        self.assertIn(words, job.error_message)
        self.assertEqual(record.clarus_xero_stock_state, "error")
        self.assertIn(words, record.clarus_xero_stock_error)

    def test_product_without_cost_fails_on_its_move_and_sends_nothing(self):
        free = self.make_product("FREE-1", cost=0)
        moves = self.count({free: 5, self.bolt: 2})
        self.push_until_done()
        bad = moves.filtered(lambda m: m.product_id == free)
        self.assert_failed_alone(bad, "has no cost in Odoo")
        self.assertFalse([d for d in self.xero_documents("Invoices")
                          if d.get("InvoiceNumber") == bad._clarus_xero_stock_number()])
        good = moves - bad
        self.assertEqual(good.clarus_xero_stock_state, "synced", "the rest goes through")
        self.assertEqual(dec(self.item(free)["QuantityOnHand"]), 0)

        # Doing what the message says (a cost, the move's valuation adjusted) and
        # retrying sends it, at the value Odoo now holds.
        free.standard_price = 4.0
        self.env["product.value"].create({"move_id": bad.id, "value": 20.0,
                                          "company_id": bad.company_id.id})
        self.assertEqual(dec(bad.value), 20)
        self.jobs_for(bad).action_retry()
        self.assertEqual(bad.clarus_xero_stock_state, "queued")
        self.push_until_done()
        self.assertEqual(bad.clarus_xero_stock_state, "synced")
        self.assertFalse(bad.clarus_xero_stock_error)
        self.assertEqual(dec(self.item(free)["QuantityOnHand"]), 5)
        bill = self.xero_document(bad, "Invoices")
        self.assert_pool(free, [bill], bad)

    def test_unmapped_adjustment_account_fails_with_what_to_do(self):
        self.connection.stock_adjustment_account_code = False
        scrap_move = self.count({self.bolt: 3})
        self.push_until_done()
        self.assert_failed_alone(scrap_move, "No inventory adjustment account")
        self.assertEqual(self.writes("Invoices"), 0, "nothing half-sent")
        self.connection.stock_adjustment_account_code = "999"
        self.jobs_for(scrap_move).action_retry()
        self.push_until_done()
        self.assert_failed_alone(scrap_move, "999 is not an active account")
        self.connection.stock_adjustment_account_code = "312"
        self.jobs_for(scrap_move).action_retry()
        self.push_until_done()
        self.assertEqual(scrap_move.clarus_xero_stock_state, "synced")
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 3)

    def test_negative_stocktake_fails_on_its_line(self):
        self.count({self.bolt: 4})
        self.push_until_done()
        [negative] = self.count({self.bolt: -2})
        self.push_until_done()
        self.assert_failed_alone(negative, "leaves -2 on hand")
        self.assertEqual(self.writes("CreditNotes"), 0, "nothing half-sent")
        self.assertEqual(dec(self.item(self.bolt)["QuantityOnHand"]), 4)
