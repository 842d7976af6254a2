#!/usr/bin/env python3
"""Benchmark: push a purchasing backlog (purchase orders and supplier bills) to the Xero
emulator, batched against one request per document.

Run from the repository root::

    python3 benchmarks/bench_purchasing.py [--db NAME] [--reuse | --drop] [--orders 500]
        [--suppliers 100] [--products 200] [--per-document-sample 40]

What it does, in one run:

1. creates a database with ``clarus_xero_connector`` installed (``--reuse`` keeps an
   existing one, ``--drop`` recreates it);
2. starts ``clarus_xero_emulator`` as a separate process with Xero's real limits (60
   calls/minute, 5000/day, 5 concurrent per organisation);
3. connects the main company to the emulator's demo organisation (the same OAuth flow as
   ``bench_xero_push.py``), maps the sale tax to OUTPUT2 and the purchase tax to INPUT2,
   and sets "Products missing in Xero" to "always create";
4. builds the load: N suppliers, M products, and N_orders confirmed purchase orders (two
   product lines each), each billed by one posted vendor bill carrying the supplier's own
   reference; confirming and posting enqueue the contact, item, purchase order and bill
   jobs;
5. measures the batched push (``batch_size=50``) of the whole backlog;
6. wipes the Xero side and pushes a sample (the first orders and their bills, suppliers
   and products) one request per document, for the side-by-side ratio.

Figures: API calls (the emulator's own count), documents (contacts, items, purchase
orders and bills sent), documents per call, 429s, wall seconds, and Odoo CPU
milliseconds per document (``time.process_time()`` of this process: the Odoo side only).

The script exits 0 when the measurement completed, whether or not the targets are met.
"""

import argparse
import json
import os
import sys
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_xero_push as base  # noqa: E402

from odoo import SUPERUSER_ID, Command, api  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

ROOT = base.ROOT
log = base.log
base.ENDPOINT_KIND.update({"/PurchaseOrders": "purchase_order"})

TARGET_DOCS_PER_CALL = 40
TARGET_CPU_MS_PER_DOC = 10.0


def connect(env, emulator, company):
    conn = base.connect(env, emulator, company)
    base.map_tax(env, conn, company.account_purchase_tax_id, "INPUT2", "purchase")
    conn.write({"missing_items_policy": "create", "purchase_order_save_default": True,
                "send_vendor_bills": True})
    return conn


def build_backlog(env, args, tag, chunk=100):
    """Suppliers, products, confirmed purchase orders and their posted bills."""
    env = env(context=dict(env.context, **base.BUILD_CONTEXT))
    company = env.company
    tax = company.account_purchase_tax_id
    started = time.monotonic()
    suppliers = env["res.partner"].create([
        {"name": f"Bench Supplier {tag} {i:04d}", "is_company": True,
         "email": f"supplier{i:04d}.{tag}@example.com"}
        for i in range(args.suppliers)
    ])
    products = env["product.product"].create([
        {"name": f"Bench Part {tag} {i:04d}", "default_code": f"P{tag}-{i:04d}",
         "type": "consu", "purchase_method": "purchase", "standard_price": 4.0 + i % 30,
         "list_price": 9.0 + i % 30, "supplier_taxes_id": [Command.set(tax.ids)]}
        for i in range(args.products)
    ])
    env.cr.commit()
    log(f"created {len(suppliers)} suppliers and {len(products)} products "
        f"in {time.monotonic() - started:.1f} s")

    orders = env["purchase.order"]
    bills = env["account.move"]
    confirm_s = post_s = 0.0
    pairs = max(args.products // 2, 1)
    today = date.today()
    for first in range(0, args.orders, chunk):
        vals = []
        for i in range(first, min(first + chunk, args.orders)):
            k = (i * pairs // args.orders) % pairs
            lines = {2 * k, min(2 * k + 1, args.products - 1)}
            vals.append({
                "partner_id": suppliers[i * args.suppliers // args.orders].id,
                "partner_ref": f"QUOTE-{i:05d}",
                "order_line": [
                    Command.create({"product_id": products[p].id, "product_qty": 1 + (i + n) % 7,
                                    "price_unit": products[p].standard_price,
                                    "tax_ids": [Command.set(tax.ids)]})
                    for n, p in enumerate(sorted(lines))
                ],
            })
        batch = env["purchase.order"].create(vals)
        step = time.monotonic()
        batch.button_confirm()
        confirm_s += time.monotonic() - step
        env.cr.commit()
        batch_bills = env["account.move"]
        for n, order in enumerate(batch):
            action = order.action_create_invoice()
            bill = env["account.move"].browse(action["res_id"])
            bill.write({"ref": f"SUP-INV-{first + n:05d}", "invoice_date": today})
            batch_bills |= bill
        step = time.monotonic()
        batch_bills.action_post()
        post_s += time.monotonic() - step
        env.cr.commit()
        orders |= batch
        bills |= batch_bills
        log(f"  {len(orders)}/{args.orders} purchase orders confirmed and billed")
    log(f"backlog built in {time.monotonic() - started:.1f} s (confirm with enqueue: "
        f"{confirm_s * 1000 / max(len(orders), 1):.1f} ms/order, posting with enqueue: "
        f"{post_s * 1000 / max(len(bills), 1):.1f} ms/bill)")
    return suppliers, products, orders, bills


def prepare_sample(registry, emulator, conn_id, orders, bills, sample):
    """Forget the Xero side, reset the emulator, reconnect, queue the sample again."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        conn = env["clarus.xero.connection"].browse(conn_id)
        base.forget_xero_side(env, conn)
        emulator.control("POST", "/reset", {"seed": True})
        connect(env, emulator, conn.company_id)
        sample_orders = env["purchase.order"].browse(orders.ids[:sample])
        sample_bills = env["account.move"].browse(bills.ids[:sample])
        sample_orders._clarus_xero_queue_update()
        sample_bills._clarus_xero_enqueue_on(conn)
        cr.commit()
        jobs = env["clarus.xero.job"].search([("connection_id", "=", conn.id),
                                              ("state", "=", "pending")])
        return dict(Counter(jobs.mapped("kind")))


def count_sends(registry, conn_id):
    """Every job the run finished, follow-ups included: an order billed before it
    reached Xero is created AUTHORISED (Xero creates no order as BILLED) and sent again
    as BILLED by a second job, queued when the first is answered."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        jobs = env["clarus.xero.job"].search([("connection_id", "=", conn_id),
                                              ("state", "=", "done")])
        return dict(Counter(jobs.mapped("kind")))


def per_doc(value, documents):
    return value / documents if documents else float("nan")


def row(label, result):
    docs, calls = result["documents"], result["calls"]
    return (f"{label:<48} {docs:>9} {calls:>9} {per_doc(docs, calls):>9.1f} "
            f"{result['rate_limited']:>5} {result['wall']:>8.1f} "
            f"{per_doc(result['cpu_ms'], docs):>10.2f}")


def report(args, batched, single):
    width = 104
    print()
    print("Xero purchasing push benchmark")
    print("=" * width)
    print(f"load: {args.orders} confirmed purchase orders (2 lines each) and {args.orders} "
          f"posted bills, {args.suppliers} new suppliers, {args.products} new products; "
          "emulator limits 60/min, 5000/day, 5 concurrent")
    print()
    print(f"{'mode':<48} {'documents':>9} {'API calls':>9} {'docs/call':>9} {'429s':>5} "
          f"{'wall s':>8} {'CPU ms/doc':>10}")
    print("-" * width)
    print(row("batched, 50/request (full backlog)", batched))
    if single:
        print(row(f"1 per request (sample of {args.per_document_sample} orders + bills)",
                  single))
    print("-" * width)
    for label, result in (("batched", batched), ("one per request", single)):
        if result:
            print(f"{label}: calls by endpoint {json.dumps(result['by_endpoint'])}")
            print(f"  done {result['done']}, not done {result['not_done'] or 'none'}, "
                  f"complete: {'yes' if result['complete'] else 'no'}")
    if single:
        b_calls = per_doc(batched["calls"], batched["documents"])
        s_calls = per_doc(single["calls"], single["documents"])
        b_wall = per_doc(batched["wall"], batched["documents"])
        s_wall = per_doc(single["wall"], single["documents"])
        print(f"ratios per document (one per request / batched): calls "
              f"{s_calls / b_calls:.1f}x, wall {s_wall / b_wall:.1f}x")
    print()
    sends = sum(batched.get("sends", {}).values()) or batched["documents"]
    print(f"batched: {batched['documents']} records in {sends} document sends "
          f"({batched.get('sends')}); the {sends - batched['documents']} extra sends move "
          "orders billed before they reached Xero from AUTHORISED to BILLED")
    print()
    sends_per_call = per_doc(sends, batched["calls"])
    records_per_call = per_doc(batched["documents"], batched["calls"])
    cpu = per_doc(batched["cpu_ms"], batched["documents"])
    print("targets:")
    print(f"  {'PASS' if sends_per_call >= TARGET_DOCS_PER_CALL else 'FAIL'}  at least "
          f"{TARGET_DOCS_PER_CALL} documents per call (batched, document sends): "
          f"{sends_per_call:.1f}")
    print(f"  {'PASS' if records_per_call >= TARGET_DOCS_PER_CALL else 'FAIL'}  at least "
          f"{TARGET_DOCS_PER_CALL} documents per call (batched, distinct records): "
          f"{records_per_call:.1f}")
    print(f"  {'PASS' if cpu <= TARGET_CPU_MS_PER_DOC else 'FAIL'}  at most "
          f"{TARGET_CPU_MS_PER_DOC:.0f} ms Odoo CPU per document (batched): {cpu:.2f} ms")
    print(f"  {'PASS' if not batched['rate_limited'] else 'FAIL'}  no 429 from our own pace: "
          f"{batched['rate_limited']}")
    expected = {"purchase_order": args.orders, "invoice": args.orders,
                "contact": args.suppliers, "item": args.products}
    print(f"  {'PASS' if batched['done'] == expected else 'FAIL'}  every document sent once: "
          f"done {batched['done']}, expected {expected}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="clarus_bench_purchasing")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reuse", action="store_true", help="use the existing database")
    group.add_argument("--drop", action="store_true", help="drop and recreate the database")
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--suppliers", type=int, default=100)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--per-document-sample", type=int, default=40,
                        help="orders (and their bills) pushed one per request; 0 skips")
    parser.add_argument("--max-run-seconds", type=int, default=900)
    args = parser.parse_args()
    if min(args.orders, args.suppliers, args.products) < 1:
        parser.error("--orders, --suppliers and --products must be positive")
    args.per_document_sample = max(0, min(args.per_document_sample, args.orders))
    return args


def main():
    args = parse_args()
    config.parse_config([f"--addons-path={ROOT}", "--log-level=warn", "--no-http",
                         "-d", args.db])
    base.prepare_database(args)
    threading.current_thread().dbname = args.db
    registry = Registry(args.db)
    if "clarus.xero.push" not in registry:
        raise SystemExit(f"{base.MODULE} is not installed in {args.db}.")
    emulator = base.Emulator()
    log(f"emulator (pid {emulator.process.pid}) on {emulator.base_url}, real limits")
    try:
        tag = time.strftime("%H%M%S")
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.company
            conn = connect(env, emulator, company)
            base.forget_xero_side(env, conn)
            cr.commit()
            log(f"company {company.name} ({company.currency_id.name}) connected to "
                f"{conn.tenant_name}")
            _suppliers, _products, orders, bills = build_backlog(env, args, tag)
            conn_id = conn.id
        batched = base.measure(registry, emulator, conn_id, "batched", 50,
                               args.max_run_seconds)
        batched["sends"] = count_sends(registry, conn_id)
        single = None
        if args.per_document_sample:
            queued = prepare_sample(registry, emulator, conn_id, orders, bills,
                                    args.per_document_sample)
            log(f"sample queued for one per request: {queued}")
            single = base.measure(registry, emulator, conn_id, "one per request", 1,
                                  args.max_run_seconds)
        report(args, batched, single)
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
