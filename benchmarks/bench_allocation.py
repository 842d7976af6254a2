"""Bulk allocation against Odoo's own reservation, on the same deliveries.

Load: 5,000 order lines across 1,000 confirmed sale orders and 200 products, with stock
covering about 70% of the demand, in one warehouse that allocates before picking.

Both sides run in one process on identical data: the load is built, a savepoint taken,
the bulk allocator runs (plan + reservation through ``stock.move._action_assign``), the
savepoint is rolled back, then Odoo's native ``action_assign`` runs on the same pickings.
Nothing is committed, so the database is left as it was.

Run (creates and installs the database when it does not exist yet):

    python3 benchmarks/bench_allocation.py --db bench_alloc

Prints seconds and SQL queries for each side, their ratios, and whether each side
respected the serving order (priority, commitment date, order date, order id).
"""

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from clarus_allocation_planner import DemandLine, priority_inversions  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default="bench_alloc", help="database (created if missing)")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--coverage", type=float, default=0.7, help="stock / demand")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def database_exists(db):
    out = subprocess.run(["psql", "-lqt"], capture_output=True, text=True, check=True).stdout
    return any(row.split("|")[0].strip() == db for row in out.splitlines())


def ensure_database(db):
    if database_exists(db):
        return
    print(f"Creating database {db} with clarus_wms_allocation installed...", flush=True)
    subprocess.run([
        sys.executable, "-m", "odoo", "-d", db, f"--addons-path={ROOT}",
        "-i", "clarus_wms_allocation", "--stop-after-init",
        "--log-level=warn", "--http-port=0",
    ], check=True)


def build_load(env, args):
    rng = random.Random(args.seed)
    warehouse = env["stock.warehouse"].create({
        "name": "Benchmark WH", "code": "BNW", "clarus_allocation_required": True})
    products = env["product.product"].create([
        {"name": f"Bench product {i:03d}", "is_storable": True, "type": "consu"}
        for i in range(args.products)
    ])
    partner = env["res.partner"].create({"name": "Benchmark customer"})
    per_order = args.lines // args.orders
    base = datetime(2025, 1, 1)
    order_vals, dates, demand = [], [], {}
    for _i in range(args.orders):
        lines = []
        for product in rng.sample(list(products), per_order):
            qty = rng.randint(1, 10)
            demand[product] = demand.get(product, 0) + qty
            lines.append((0, 0, {"product_id": product.id, "product_uom_qty": qty}))
        commitment = base + timedelta(days=rng.randint(0, 60)) if rng.random() < 0.3 else False
        order_vals.append({
            "partner_id": partner.id, "warehouse_id": warehouse.id, "order_line": lines,
            "clarus_priority": str(rng.choice([0, 0, 0, 1, 2, 3])),
            "commitment_date": commitment,
        })
        dates.append(base + timedelta(hours=rng.randint(0, 24 * 90)))
    orders = env["sale.order"].create(order_vals)
    for start in range(0, len(orders), 100):
        orders[start:start + 100].action_confirm()
        env.flush_all()
        # A fresh database has no statistics yet: without them PostgreSQL picks slow
        # plans for Odoo's picking lookups as the open pickings pile up.
        env.cr.execute("ANALYZE stock_picking, stock_move, stock_reference, sale_order")
    for order, date_order in zip(orders, dates, strict=True):
        order.date_order = date_order
    for product, qty in demand.items():
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, round(qty * args.coverage))
    env.flush_all()
    return warehouse, orders, sum(demand.values())


def demand_lines(moves):
    return [DemandLine(
        order_id=m.sale_line_id.order_id.id, line_id=m.id, product_id=m.product_id.id,
        location_id=m.location_id.id, quantity=m.product_qty,
        priority=int(m.sale_line_id.order_id.clarus_priority),
        commitment_date=m.sale_line_id.order_id.commitment_date or None,
        order_date=m.sale_line_id.order_id.date_order,
    ) for m in moves]


def measure(env, run):
    cr = env.cr
    env.invalidate_all()
    queries, start = cr.sql_log_count, time.perf_counter()
    run()
    env.flush_all()
    return time.perf_counter() - start, cr.sql_log_count - queries


def outcome(env, moves, demands):
    env.invalidate_all()
    held = {m.id: m.quantity for m in moves}
    return sum(held.values()), len(priority_inversions(demands, held))


def run_side(env, name, prepare, run, moves, demands):
    """Run one side inside a savepoint and roll it back, so both see the same data."""
    with env.cr.savepoint() as savepoint:
        prepare()
        env.flush_all()
        seconds, queries = measure(env, run)
        reserved, inversions = outcome(env, moves, demands)
        savepoint.close(rollback=True)
    env.invalidate_all()
    return {"name": name, "seconds": seconds, "queries": queries,
            "reserved": reserved, "inversions": inversions}


def report(sides, total_demand):
    print()
    print(f"{'side':<34}{'seconds':>9}{'queries':>10}{'reserved':>10}{'inversions':>12}")
    for side in sides:
        print(f"{side['name']:<34}{side['seconds']:>9.2f}{side['queries']:>10}"
              f"{side['reserved']:>10.0f}{side['inversions']:>12}")
    ours, native = sides
    print()
    print(f"time ratio    allocator / native: {ours['seconds'] / native['seconds']:.2f}")
    print(f"queries ratio allocator / native: {ours['queries'] / native['queries']:.2f}")
    print(f"demand {total_demand:.0f}; allocator reserved {ours['reserved']:.0f}, "
          f"native reserved {native['reserved']:.0f}")
    faster = ours["seconds"] <= native["seconds"]
    exact = ours["inversions"] == 0
    print(f"target no slower than native: {'met' if faster else 'NOT met'}; "
          f"priority order respected exactly: {'yes' if exact else 'NO'}")
    return faster and exact


def main():
    args = parse_args()
    ensure_database(args.db)
    import odoo  # noqa: PLC0415
    from odoo.modules.registry import Registry  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(["-d", args.db, f"--addons-path={ROOT}", "--log-level=warn"])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        print(f"Building {args.lines} lines / {args.orders} orders / {args.products} "
              "products ...", flush=True)
        started = time.perf_counter()
        warehouse, orders, total_demand = build_load(env, args)
        moves = orders.order_line.move_ids.sorted("id")
        pickings = orders.picking_ids
        demands = demand_lines(moves)
        print(f"  built in {time.perf_counter() - started:.1f}s: {len(moves)} delivery "
              f"moves in {len(pickings)} pickings", flush=True)

        engine = env["clarus.allocation.engine"]

        def native_setup():
            warehouse.clarus_allocation_required = False

        sides = [
            run_side(env, "bulk allocator (partial)", lambda: None,
                     lambda: engine._allocate_moves(engine._bulk_moves(warehouses=warehouse)),
                     moves, demands),
            run_side(env, "native action_assign", native_setup,
                     lambda: pickings.action_assign(), moves, demands),
        ]
        ok = report(sides, total_demand)
        cr.rollback()  # leave the database as it was
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
