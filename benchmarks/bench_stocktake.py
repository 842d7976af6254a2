#!/usr/bin/env python3
"""Benchmark: a stocktake of many tracked products sent to the Xero emulator as
zero-total bills, batched 50 documents a request.

Run from the repository root::

    python3 benchmarks/bench_stocktake.py [--db NAME] [--reuse | --drop] [--products 5000]

What it does, in one run:

1. creates a database with ``clarus_xero_connector`` installed (``--reuse`` keeps an
   existing one, ``--drop`` recreates it);
2. starts ``clarus_xero_emulator`` as a separate process with Xero's real limits (60
   calls/minute, 5000/day, 5 concurrent per organisation);
3. connects the main company to the emulator's demo organisation with "Track items as
   inventory in Xero" on and the emulator's "Inventory Adjustments" account (312);
4. creates N storable products with a code and a cost, and sends them as tracked items
   (measured on their own, so the stocktake's figures are the stocktake's);
5. counts every product in the main warehouse's stock (one stocktake, applied at once:
   one inventory move, one job and one zero-total bill per product), timing the apply
   with its queueing;
6. measures the push of the stocktake's documents.

Figures: API calls to Invoices (target: at least 40 stocktake lines a call), all calls,
wall seconds, and Odoo CPU milliseconds per line (``time.process_time()`` of this
process: the Odoo side only), for the apply (Odoo's own work and the queueing) and for
the push. Xero's QuantityOnHand is then compared with Odoo's count for every product.

The script exits 0 when the measurement completed, whether or not the targets are met.
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_xero_push as base  # noqa: E402

from odoo import SUPERUSER_ID, api  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

ROOT = base.ROOT
log = base.log
base.ENDPOINT_KIND.update({"/Items": "item"})

TARGET_LINES_PER_CALL = 40
ADJUSTMENT_ACCOUNT = "312"


def build_products(env, conn, count, tag):
    """Storable products with a code and a cost, queued as tracked items."""
    products = env["product.product"].create([
        {"name": f"Bench Stock {tag} {i:05d}", "default_code": f"S{tag}-{i:05d}",
         "type": "consu", "is_storable": True, "standard_price": 1.0 + (i % 97) / 7}
        for i in range(count)
    ])
    rows = [(conn._stock_adjustment_partner(), "contact", (), 10)]
    rows += [(product, "item", (), 10) for product in products]
    env["clarus.xero.job"]._enqueue_many(conn, rows)
    return products


def apply_stocktake(env, products):
    """Count every product (1 to 9 each) and apply the count at once."""
    location = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1).lot_stock_id
    quants = env["stock.quant"].with_context(inventory_mode=True).create([
        {"product_id": product.id, "location_id": location.id,
         "inventory_quantity": 1 + i % 9}
        for i, product in enumerate(products)
    ])
    wall, cpu = time.perf_counter(), time.process_time()
    quants.action_apply_inventory()
    return time.perf_counter() - wall, (time.process_time() - cpu) * 1000


def compare(env, emulator, conn, products):
    """Products whose Xero QuantityOnHand differs from Odoo's on hand."""
    items = {item["Code"]: item for item in emulator.control(
        "GET", f"/documents/Items?tenant={conn.tenant_id}")["records"]}
    return [product.default_code for product in products
            if float(items.get(product.default_code, {}).get("QuantityOnHand") or 0)
            != product.qty_available]


def report(count, apply_wall, apply_cpu_ms, items, stocktake, differences):
    invoice_calls = sum(n for endpoint, n in stocktake["by_endpoint"].items()
                        if "/Invoices" in endpoint)
    lines_per_call = count / invoice_calls if invoice_calls else float("nan")
    width = 88
    print()
    print("Stocktake benchmark (Xero tracks inventory)")
    print("=" * width)
    print(f"load: one stocktake of {count} tracked products; emulator limits 60/min, "
          "5000/day, 5 concurrent")
    print(f"apply with queueing: {apply_wall:.1f} s wall, "
          f"{apply_cpu_ms / count:.2f} ms Odoo CPU per line")
    print(f"items first: {items['documents']} documents in {items['calls']} calls, "
          f"{items['wall']:.1f} s wall")
    print(f"stocktake push: {stocktake['documents']} documents in {stocktake['calls']} calls "
          f"({invoice_calls} to Invoices), {stocktake['wall']:.1f} s wall, "
          f"{stocktake['cpu_ms'] / max(stocktake['documents'], 1):.2f} ms Odoo CPU per line, "
          f"{stocktake['rate_limited']} x 429")
    print(f"lines per call: {lines_per_call:.1f} (target >= {TARGET_LINES_PER_CALL}: "
          f"{'met' if lines_per_call >= TARGET_LINES_PER_CALL else 'NOT met'})")
    print(f"Xero QuantityOnHand equal to Odoo's on hand: "
          f"{'every product' if not differences else f'{len(differences)} differ'}")
    print("=" * width)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="clarus_bench_stocktake")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reuse", action="store_true", help="use the existing database")
    group.add_argument("--drop", action="store_true", help="drop and recreate the database")
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--max-run-seconds", type=int, default=1800,
                        help="give up a push run after this long")
    args = parser.parse_args()
    if args.products < 1:
        parser.error("--products must be positive")
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
            conn = base.connect(env, emulator, env.company)
            base.forget_xero_side(env, conn)
            conn.write({"tracked_items": True,
                        "stock_adjustment_account_code": ADJUSTMENT_ACCOUNT})
            products = build_products(env, conn, args.products, tag)
            cr.commit()
            conn_id, product_ids = conn.id, products.ids
        log(f"{args.products} products created and queued as tracked items")
        items = base.measure(registry, emulator, conn_id, "items", 50, args.max_run_seconds)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            apply_wall, apply_cpu = apply_stocktake(env, env["product.product"].browse(
                product_ids))
            cr.commit()
        log(f"stocktake applied in {apply_wall:.1f} s")
        stocktake = base.measure(registry, emulator, conn_id, "stocktake", 50,
                                 args.max_run_seconds)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            conn = env["clarus.xero.connection"].browse(conn_id)
            differences = compare(env, emulator, conn,
                                  env["product.product"].browse(product_ids))
        report(args.products, apply_wall, apply_cpu, items, stocktake, differences)
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
