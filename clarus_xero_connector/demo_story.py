"""The demo's day: a warehouse, its customers and products, orders at every stage of the
allocation board, what Xero receives from them, and one failure a person can fix.

Plain functions on an Odoo environment, so that ``scripts/demo_connect.py`` (inside
``odoo shell``) and the tests run the same story. Every record is found by a key of its
own before it is created (warehouse code, partner reference, product reference, order
reference): running the story again adds nothing.

Needs both addons: ``clarus_wms_allocation`` for the board and the shipments, this one for
Xero.
"""

from datetime import datetime, time, timedelta

from odoo import Command, fields

from .models.purchase_order import CREATE_ITEMS_KEY

WAREHOUSE_NAME = "Clarus Demo Warehouse"
WAREHOUSE_CODE = "CDW"
ORDER_PREFIX = "DEMO-"
CARRIER_NAME = "Kiwi Couriers"
VENDOR_REF = "DEMO-V-PACIFIC"
PURCHASE_REF = "DEMO-RESTOCK-BAGS"

CUSTOMERS = {
    # reference: name, street, city, zip, e-mail
    "DEMO-C-KAURI": ("Kauri Outdoor Supplies", "12 Quay Street", "Auckland", "1010",
                     "orders@kauri-outdoor.example.com"),
    "DEMO-C-HARBOUR": ("Harbourside Cycles", "48 Cuba Street", "Wellington", "6011",
                       "shop@harbourside-cycles.example.com"),
    "DEMO-C-ALPS": ("Southern Alps Gear Co.", "150 High Street", "Christchurch", "8011",
                    "buying@alpsgear.example.com"),
    "DEMO-C-TASMAN": ("Tasman Home & Garden", "7 Trafalgar Street", "Nelson", "7010",
                      "accounts@tasman-home.example.com"),
    "DEMO-C-BAY": ("Bay of Plenty Hardware", "220 Cameron Road", "Tauranga", "3110",
                   "trade@bop-hardware.example.com"),
    "DEMO-C-OTAGO": ("Otago Trail Runners", "95 George Street", "Dunedin", "9016",
                     "club@otago-trail.example.com"),
}
VENDOR = ("Pacific Outdoor Wholesale Ltd", "3 Beach Road", "Auckland", "1010",
          "sales@pacific-wholesale.example.com")

# A product reference Xero refuses (item codes allow at most 30 characters): the day's
# one failed job, fixed by shortening the reference and retrying the job.
LONG_CODE = "ENGRAVED-PROMO-BOTTLE-750ML-STEEL"
PRODUCTS = {
    # reference: name, sale price, cost, weight (kg), on hand
    "CDW-TENT2": ("Trailhead 2-Person Tent", 349.0, 180.0, 3.2, 12),
    "CDW-PACK45": ("Ridgeline 45L Pack", 219.0, 105.0, 1.6, 20),
    "CDW-STOVE": ("Alpine Gas Stove", 89.0, 38.0, 0.4, 30),
    "CDW-BAG-5": ("Down Sleeping Bag -5C", 289.0, 140.0, 1.2, 4),
    "CDW-LAMP": ("Headlamp 400 lm", 49.0, 18.0, 0.1, 40),
    LONG_CODE: ("Engraved Water Bottle 750 ml", 35.0, 12.0, 0.3, 50),
}

# key: customer, lines, board stage wanted, priority, commitment (days from today)
ORDERS = {
    "NEW-OTAGO": ("DEMO-C-OTAGO", [("CDW-LAMP", 10), ("CDW-STOVE", 4)], "to_allocate", "0", 2),
    "ALLOC-KAURI": ("DEMO-C-KAURI", [("CDW-TENT2", 2), ("CDW-PACK45", 3)], "allocated", "1",
                    0),
    "ALLOC-BAY-LATE": ("DEMO-C-BAY", [("CDW-STOVE", 6), ("CDW-LAMP", 5)], "allocated", "2",
                       -1),
    "SHORT-ALPS": ("DEMO-C-ALPS", [("CDW-BAG-5", 6), ("CDW-TENT2", 1)], "exception", "1", 0),
    "PICK-HARBOUR": ("DEMO-C-HARBOUR", [("CDW-PACK45", 2), ("CDW-LAMP", 4)], "picking", "0",
                     0),
    "PACK-TASMAN": ("DEMO-C-TASMAN", [("CDW-TENT2", 1), ("CDW-STOVE", 2)], "packed", "0", 1),
    "SHIP-KAURI": ("DEMO-C-KAURI", [("CDW-TENT2", 2), ("CDW-LAMP", 6)], "shipped", "0", -1),
    "SHIP-HARBOUR-RETURN": ("DEMO-C-HARBOUR", [("CDW-PACK45", 2)], "shipped", "0", -2),
    "SHIP-BAY-ENGRAVED": ("DEMO-C-BAY", [(LONG_CODE, 24)], "shipped", "0", -1),
}
# The shipment with a tracking number: carrier, service and tracking reference.
TRACKED = {
    "SHIP-KAURI": ("Overnight", "KC-48213577-NZ"),
    "SHIP-HARBOUR-RETURN": ("Economy", "KC-48213590-NZ"),
    "SHIP-BAY-ENGRAVED": ("Overnight", "KC-48213604-NZ"),
}
# The customer took one pack off after allocation: the card shows the change.
CHANGED = {"ALLOC-KAURI": ("CDW-PACK45", 2)}
RETURNED = {"SHIP-HARBOUR-RETURN": 1}  # one pack came back: a credit note
PAID = ("SHIP-KAURI",)  # the customer paid on the day: a payment


class DemoStoryError(Exception):
    """The story cannot run in this database; the message says why."""


def check_installed(env):
    if "clarus.allocation.engine" not in env or "clarus_ship_then_bill" not in env[
            "res.company"]._fields:
        raise DemoStoryError(
            "The demo's warehouse day needs the clarus_wms_allocation addon: install it "
            "(python -m odoo -d <db> -i clarus_wms_allocation) and run the demo again.")


# --------------------------------------------------------------------- connection


def map_company(conn):
    """Map every percentage sale and purchase tax of the connection's company to a Xero
    tax rate of the same percentage (created in Xero when missing), every warehouse to
    the first tracking option, and every bank and cash journal to Xero's first bank
    account. Leaves existing mappings alone; returns how many it made."""
    env = conn.env
    company = conn.company_id
    gateway = conn._gateway()
    tenant_id = conn.tenant_id
    rates, _h, _s = gateway._call(gateway.accounting, "get_tax_rates", tenant_id)
    by_use = {"sale": {}, "purchase": {}}
    for rate in rates["TaxRates"]:
        if rate.get("Status") != "ACTIVE":
            continue
        percent = float(rate["EffectiveRate"])
        if rate.get("CanApplyToRevenue"):
            by_use["sale"].setdefault(percent, rate["TaxType"])
        if rate.get("CanApplyToExpenses"):
            by_use["purchase"].setdefault(percent, rate["TaxType"])
    taxes = env["account.tax"].search([
        ("company_id", "=", company.id), ("type_tax_use", "in", ("sale", "purchase")),
        ("amount_type", "=", "percent")])
    created_rates = False
    for tax in taxes:
        percent = float(tax.amount)
        if percent not in by_use[tax.type_tax_use]:
            report = "OUTPUT" if tax.type_tax_use == "sale" else "INPUT"
            created, _h, _s = gateway._call(gateway.accounting, "create_tax_rates", tenant_id, {
                "TaxRates": [{"Name": f"Odoo {tax.name}"[:50], "ReportTaxType": report,
                              "TaxComponents": [{"Name": "Tax", "Rate": percent}]}]})
            by_use[tax.type_tax_use][percent] = created["TaxRates"][0]["TaxType"]
            created_rates = True
    if created_rates or not env["clarus.xero.reference"].search_count(
            [("connection_id", "=", conn.id)], limit=1):
        conn.action_import_reference_data()
    Reference, Mapping = env["clarus.xero.reference"], env["clarus.xero.mapping"]
    made = 0
    for tax in taxes:
        if Mapping.search_count([("connection_id", "=", conn.id), ("tax_id", "=", tax.id)]):
            continue
        ref = Reference.search([
            ("connection_id", "=", conn.id), ("kind", "=", "tax_rate"),
            ("code", "=", by_use[tax.type_tax_use][float(tax.amount)])], limit=1)
        Mapping.create({"connection_id": conn.id, "kind": "tax", "tax_id": tax.id,
                        "xero_reference_id": ref.id})
        made += 1
    option = Reference.search([("connection_id", "=", conn.id),
                               ("kind", "=", "tracking_option")], limit=1)
    for warehouse in env["stock.warehouse"].search([("company_id", "=", company.id)]):
        if option and not Mapping.search_count([("connection_id", "=", conn.id),
                                                ("warehouse_id", "=", warehouse.id)]):
            Mapping.create({"connection_id": conn.id, "kind": "tracking",
                            "warehouse_id": warehouse.id, "xero_reference_id": option.id})
            made += 1
    bank = Reference.search([("connection_id", "=", conn.id), ("kind", "=", "account"),
                             ("category", "=", "BANK")], limit=1)
    for journal in env["account.journal"].search([
            ("company_id", "=", company.id), ("type", "in", ("bank", "cash"))]):
        if bank and not Mapping.search_count([("connection_id", "=", conn.id),
                                              ("journal_id", "=", journal.id)]):
            Mapping.create({"connection_id": conn.id, "kind": "journal",
                            "journal_id": journal.id, "xero_reference_id": bank.id})
            made += 1
    return made


# --------------------------------------------------------------------- the day


def _partner(env, company, ref, values, country):
    Partner = env["res.partner"]
    partner = Partner.search([("ref", "=", ref), ("company_id", "in", (company.id, False))],
                             limit=1)
    if partner:
        return partner
    name, street, city, zip_code, email = values
    return Partner.create({
        "name": name, "ref": ref, "is_company": True, "street": street, "city": city,
        "zip": zip_code, "email": email, "country_id": country.id,
    })


def _warehouse(env, company):
    Warehouse = env["stock.warehouse"]
    warehouse = Warehouse.search([("code", "=", WAREHOUSE_CODE),
                                  ("company_id", "=", company.id)], limit=1)
    if not warehouse:
        warehouse = Warehouse.create({
            "name": WAREHOUSE_NAME, "code": WAREHOUSE_CODE, "company_id": company.id,
            "delivery_steps": "ship_only", "clarus_allocation_required": True,
        })
    return warehouse


def _products(env, company, warehouse):
    Product = env["product.product"]
    products = {}
    for code, (name, price, cost, weight, on_hand) in PRODUCTS.items():
        product = Product.search([("default_code", "=", code),
                                  ("company_id", "in", (company.id, False))], limit=1)
        if not product:
            product = Product.create({
                "name": name, "default_code": code, "type": "consu", "is_storable": True,
                "invoice_policy": "delivery", "list_price": price, "standard_price": cost,
                "weight": weight, "sale_ok": True, "purchase_ok": True,
            })
            env["stock.quant"].with_context(inventory_mode=True).create({
                "product_id": product.id, "location_id": warehouse.lot_stock_id.id,
                "inventory_quantity": on_hand,
            }).action_apply_inventory()
        products[code] = product
    return products


def _carrier(env):
    Carrier = env["delivery.carrier"]
    carrier = Carrier.search([("name", "=", CARRIER_NAME)], limit=1)
    if not carrier:
        product = env["product.product"].create({
            "name": f"{CARRIER_NAME} delivery", "type": "service", "sale_ok": False,
            "purchase_ok": False, "list_price": 0.0})
        carrier = Carrier.create({"name": CARRIER_NAME, "product_id": product.id,
                                  "delivery_type": "fixed", "fixed_price": 0.0})
    return carrier


def _commitment(days):
    """Three in the afternoon, ``days`` from today (negative: already late)."""
    day = fields.Date.today() + timedelta(days=days)
    return datetime.combine(day, time(15, 0))


def _open_delivery(order):
    return order.picking_ids.filtered(
        lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel"))


def _ship(order, carrier, service, tracking):
    picking = _open_delivery(order)
    picking.write({"carrier_id": carrier.id, "clarus_carrier_service": service,
                   "carrier_tracking_ref": tracking})
    picking.move_ids.filtered("quantity").picked = True
    picking.with_context(skip_backorder=True, cancel_backorder=True).button_validate()
    return picking


def _return(picking, quantity):
    wizard = picking.env["stock.return.picking"].with_context(
        active_id=picking.id, active_model="stock.picking").create({"picking_id": picking.id})
    wizard.product_return_moves.quantity = quantity
    returned = picking.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
    returned.move_ids.quantity = quantity
    returned.move_ids.picked = True
    returned.button_validate()
    return returned


def _pay(invoice):
    wizard = invoice.env["account.payment.register"].with_context(
        active_model="account.move", active_ids=invoice.ids).create({})
    return wizard._create_payments()


def _order(env, company, warehouse, key, partners, products, carrier):
    customer, lines, stage, priority, days = ORDERS[key]
    ref = ORDER_PREFIX + key
    order = env["sale.order"].search([("client_order_ref", "=", ref),
                                      ("company_id", "=", company.id)], limit=1)
    if order:
        return order, False
    order = env["sale.order"].create({
        "partner_id": partners[customer].id, "client_order_ref": ref,
        "company_id": company.id, "warehouse_id": warehouse.id, "clarus_priority": priority,
        "commitment_date": _commitment(days),
        "order_line": [Command.create({"product_id": products[code].id,
                                       "product_uom_qty": qty}) for code, qty in lines],
    })
    order.action_confirm()
    if stage == "to_allocate":
        return order, True
    order.action_clarus_allocate()
    if key in CHANGED:
        code, quantity = CHANGED[key]
        order.order_line.filtered(
            lambda ln: ln.product_id == products[code]).product_uom_qty = quantity
    picking = _open_delivery(order)
    if stage in ("picking", "packed"):
        picking.move_ids.filtered("quantity").picked = True
    if stage == "packed":
        picking.move_line_ids.filtered("quantity")._put_in_pack()
    if stage == "shipped":
        service, tracking = TRACKED[key]
        shipped = _ship(order, carrier, service, tracking)
        if key in RETURNED:
            _return(shipped, RETURNED[key])
        if key in PAID:
            _pay(order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice"
                                            and m.state == "posted"))
    return order, True


def _purchase(env, company, warehouse, vendor, products):
    """The shortage is on order: a confirmed purchase of sleeping bags."""
    PurchaseOrder = env["purchase.order"]
    order = PurchaseOrder.search([("partner_ref", "=", PURCHASE_REF),
                                  ("company_id", "=", company.id)], limit=1)
    if order:
        return order
    bag = products["CDW-BAG-5"]
    order = PurchaseOrder.create({
        "partner_id": vendor.id, "partner_ref": PURCHASE_REF, "company_id": company.id,
        "picking_type_id": warehouse.in_type_id.id,
        "order_line": [Command.create({"product_id": bag.id, "product_qty": 10,
                                       "price_unit": bag.standard_price})],
    })
    # The sleeping bags are not Xero items yet: created with the order, not asked about.
    order.with_context(**{CREATE_ITEMS_KEY: True}).button_confirm()
    return order


def _board_filter(env, warehouse):
    """The order board opens on the demo warehouse (a shared default filter, which a
    person removes from the search bar to see every warehouse)."""
    action = env.ref("clarus_wms_allocation.sale_order_board_action", raise_if_not_found=False)
    Filter = env["ir.filters"]
    if not action or Filter.search_count([("action_id", "=", action.id),
                                          ("is_default", "=", True)]):
        return
    Filter.create({
        "name": WAREHOUSE_NAME, "model_id": "sale.order", "action_id": action.id,
        "domain": repr([("warehouse_id", "=", warehouse.id)]), "is_default": True,
    })


def build_day(env):
    """Create the demo's warehouse day in ``env.company`` (once). Returns the story's
    orders by key, and whether anything was created."""
    check_installed(env)
    company = env.company
    company.clarus_ship_then_bill = True  # invoices follow what shipped
    country = env.ref("base.nz")
    warehouse = _warehouse(env, company)
    partners = {ref: _partner(env, company, ref, values, country)
                for ref, values in CUSTOMERS.items()}
    vendor = _partner(env, company, VENDOR_REF, VENDOR, country)
    products = _products(env, company, warehouse)
    carrier = _carrier(env)
    orders, created = {}, False
    for key in ORDERS:
        orders[key], new = _order(env, company, warehouse, key, partners, products, carrier)
        created = created or new
    purchase = _purchase(env, company, warehouse, vendor, products)
    _board_filter(env, warehouse)
    return {"warehouse": warehouse, "orders": orders, "purchase": purchase,
            "products": products, "created": created}


def run(env, conn, commit=None):
    """The whole story on ``conn``'s company: build the day, map it, send it to Xero.
    ``commit`` (optional) is called after each step and by the push after each batch.
    Returns ``build_day``'s result with ``stages`` (orders per board stage) and ``jobs``
    (jobs per state)."""
    commit = commit or (lambda processed=0: float("inf"))
    day = build_day(conn.with_company(conn.company_id).env)
    map_company(conn)  # after the day: its warehouse is mapped too
    commit()
    env["clarus.xero.push"]._run(conn, commit=commit)
    stages = {}
    for order in day["warehouse"].env["sale.order"].search(
            [("warehouse_id", "=", day["warehouse"].id), ("state", "=", "sale")]):
        stages.setdefault(order.clarus_fulfilment_stage, []).append(order.name)
    jobs = {}
    for job in env["clarus.xero.job"].search([("connection_id", "=", conn.id)]):
        jobs[job.state] = jobs.get(job.state, 0) + 1
    return dict(day, stages=stages, jobs=jobs)
