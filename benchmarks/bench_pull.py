#!/usr/bin/env python3
"""Benchmark: the scheduled pull of 10,000 invoices changed in Xero, 2,000 of them paid.

Run from the repository root::

    python3 benchmarks/bench_pull.py [--db NAME] [--reuse | --drop] [--invoices 10000]
        [--paid 2000] [--customers 200] [--profile FILE]

What it does, in one run:

1. creates a database with ``clarus_xero_connector`` installed (``--reuse`` keeps an
   existing one, ``--drop`` recreates it), starts the emulator as a separate process and
   connects the main company to its demo organisation (``bench_xero_push.py``); maps the
   company's bank journal to Xero's bank account 090;
2. stores a watermark for every collection (the emulator's clock is moved on first, so
   the organisation's seed is older than the watermark minus the overlap): what follows
   is what "changed since the last pull";
3. builds N posted invoices and pushes them (limits relaxed for the set-up only), then a
   person in Xero pays P of them in full (the emulator's ``/person/pay``);
4. measures the pull with Xero's real limits (60 calls/minute, 5000/day): one run, in a
   fresh transaction with a ``commit`` callback that really commits, as the cron does;
5. pulls again at once: nothing changed, so nothing may be applied.

Figures: API calls (the emulator's own count) against the page count at Xero's largest
page size (per collection, the records changed since the watermark minus the overlap,
counted from the emulator's store, at 1000 a page, at least one page per collection),
wall time, and Odoo CPU (``time.process_time()`` of this process; the emulator is another
process) per payment applied. The script exits 0 when the measurement completed, whether
or not the targets are met.
"""

import argparse
import cProfile
import math
import os
import pstats
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_xero_push as base  # noqa: E402

from odoo import SUPERUSER_ID, api, fields  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

from clarus_sync_engine import inbound  # noqa: E402

ROOT = base.ROOT
log = base.log
SETUP_LIMITS = {"minute_limit": 100000, "day_limit": 1000000, "concurrent_limit": 5}
TARGET_CALLS_OVER_PAGES = 0.01
TARGET_CPU_MS_PER_PAYMENT = 10.0
COLLECTION_DOCUMENTS = {"invoices": "Invoices", "credit_notes": "CreditNotes",
                        "payments": "Payments", "overpayments": "Overpayments",
                        "prepayments": "Prepayments", "contacts": "Contacts"}


def prepare(registry, emulator, args):
    """Connect, set the watermarks, build and push the invoices, pay some in Xero."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.company
        conn = base.connect(env, emulator, company)
        base.forget_xero_side(env, conn)
        env["clarus.xero.payment.link"].search([("connection_id", "=", conn.id)]).unlink()
        bank = env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        ref = env["clarus.xero.reference"].search([
            ("connection_id", "=", conn.id), ("kind", "=", "account"), ("code", "=", "090")])
        mapping = env["clarus.xero.mapping"].search(
            [("connection_id", "=", conn.id), ("kind", "=", "journal")])
        mapping.unlink()
        env["clarus.xero.mapping"].create({"connection_id": conn.id, "kind": "journal",
                                           "journal_id": bank.id, "xero_reference_id": ref.id})
        # The seed is older than the watermark minus the overlap: it is not "changed".
        emulator.control("POST", "/clock", {"advance_seconds": inbound.OVERLAP.seconds + 60})
        now = emulator.control("GET", "/clock")["now"]
        watermark = datetime.fromisoformat(now.replace("Z", "+00:00")).replace(tzinfo=None)
        for name in inbound.PULL_ORDER:
            conn._set_pull_watermark(name, watermark)
        cr.commit()
        build_args = argparse.Namespace(invoices=args.invoices, customers=args.customers,
                                        products=1)
        _partners, _products, moves = base.build_backlog(env, build_args,
                                                         time.strftime("%H%M%S"))
        conn_id, move_ids = conn.id, moves.ids
    bound = push_all(registry, emulator, conn_id)
    if bound < len(move_ids):
        raise SystemExit(f"only {bound} of the {len(move_ids)} invoices reached Xero: the "
                         "load is not the one asked for, so nothing is measured.")
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        conn = env["clarus.xero.connection"].browse(conn_id)
        moves = env["account.move"].browse(move_ids[:args.paid])
        started = time.monotonic()
        for move in moves:
            emulator.control("POST", "/person/pay", {
                "tenant_id": conn.tenant_id, "invoice_id": move.clarus_xero_id,
                "account_code": "090", "amount": move.amount_total})
        log(f"a person in Xero paid {len(moves)} invoices in "
            f"{time.monotonic() - started:.0f} s")
        return conn_id


def push_all(registry, emulator, conn_id):
    emulator.control("POST", "/config", dict(SETUP_LIMITS, reset_windows=True))
    started = time.monotonic()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        conn = env["clarus.xero.connection"].browse(conn_id)
        Job = env["clarus.xero.job"]

        def commit(processed=0):
            cr.commit()
            return float("inf")

        # A push run sends about a hundred documents: run until nothing is pending.
        for _run in range(1000):
            env["clarus.xero.push"]._run(conn, commit=commit)
            cr.commit()
            pending = Job.search([("connection_id", "=", conn_id), ("state", "=", "pending")])
            if not pending:
                break
            pending.write({"next_attempt_at": fields.Datetime.now()})
            cr.commit()
        bound = env["clarus.xero.binding"].search_count(
            [("connection_id", "=", conn_id), ("res_model", "=", "account.move")])
    log(f"pushed: {bound} invoices bound in Xero in {time.monotonic() - started:.0f} s")
    return bound


def pages_expected(registry, emulator, conn_id):
    """Per collection, the records changed since its watermark minus the overlap (what
    the next pull must read), and the pages they make at Xero's largest page size."""
    with registry.cursor() as cr:
        conn = api.Environment(cr, SUPERUSER_ID, {})["clarus.xero.connection"].browse(conn_id)
        tenant = conn.tenant_id
        sinces = {name: inbound.read_since(conn._pull_watermark(name))
                  for name in inbound.PULL_ORDER}
    changed = {}
    for name, collection in COLLECTION_DOCUMENTS.items():
        records = emulator.control("GET", f"/documents/{collection}?tenant={tenant}")["records"]
        since = sinces[name]
        changed[name] = sum(1 for r in records
                            if not since or (inbound.updated_at(r) or since) >= since)
    pages = {name: max(1, math.ceil(count / inbound.PAGE_SIZE)) for name, count in
             changed.items()}
    return changed, pages


def measure(registry, emulator, conn_id, label):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        conn = env["clarus.xero.connection"].browse(conn_id)
        Job = env["clarus.xero.job"]
        Link = env["clarus.xero.payment.link"]
        jobs_before = Job.search([], order="id desc", limit=1).id or 0
        links_before = Link.search([], order="id desc", limit=1).id or 0

        def commit(processed=0):
            cr.commit()
            return float("inf")

        emulator.control("POST", "/config", dict(base.REAL_LIMITS, reset_windows=True))
        before = emulator.calls()
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        runs, idle = 0, 0.0
        while True:
            runs += 1
            outcome = env["clarus.xero.pull"]._run(conn, commit=commit)
            cr.commit()
            if outcome == "ok" or runs >= 20:
                break
            # Handed back (pacing or a 429): come back when the cron would.
            idle_start = time.perf_counter()
            time.sleep(15)
            idle += time.perf_counter() - idle_start
        wall = time.perf_counter() - wall_start
        cpu = time.process_time() - cpu_start
        after = emulator.calls()
        jobs = Job.search([("id", ">", jobs_before), ("connection_id", "=", conn_id)])
        links = Link.search([("id", ">", links_before), ("connection_id", "=", conn_id),
                             ("origin", "=", "xero")])
        by_endpoint = {e: n - before["by_endpoint"].get(e, 0)
                       for e, n in after["by_endpoint"].items()
                       if n - before["by_endpoint"].get(e, 0)}
        paid = env["account.move"].search_count([
            ("id", "in", links.move_id.ids), ("payment_state", "in", ("paid", "in_payment"))])
        result = {
            "label": label, "outcome": outcome, "runs": runs, "wall": wall, "idle": idle,
            "cpu_ms": cpu * 1000, "calls": after["total"] - before["total"],
            "by_endpoint": by_endpoint,
            "rate_limited": after["rate_limited"] - before["rate_limited"],
            "jobs": Counter(f"{j.kind}/{j.state}" for j in jobs),
            "payments": len(links), "paid_invoices": paid,
            "errors": Counter(j.error_message for j in jobs if j.state == "failed"),
            "last_error": conn.last_error,
        }
        log(f"{label}: {result['calls']} calls, {wall:.1f} s wall, {cpu:.2f} s Odoo CPU, "
            f"{len(links)} payments applied, jobs {dict(result['jobs'])}")
        return result


def report(args, first, again):
    changed, pages = first["changed"], first["pages"]
    page_count = sum(pages.values())
    over = (first["calls"] - page_count) / page_count
    cpu_per_payment = first["cpu_ms"] / first["payments"] if first["payments"] else float("nan")
    lines = ["", "Xero pull benchmark", "=" * 72,
             f"load: {args.invoices} invoices changed in Xero since the watermark, "
             f"{args.paid} of them paid there in full; {args.customers} customers; "
             f"emulator limits {base.REAL_LIMITS['minute_limit']}/min, "
             f"{base.REAL_LIMITS['day_limit']}/day",
             "changed since the watermark minus the overlap, and pages at "
             f"{inbound.PAGE_SIZE}: " + ", ".join(
                 f"{name} {changed[name]} ({pages[name]})" for name in inbound.PULL_ORDER),
             "",
             f"{'run':<28} {'API calls':>9} {'pages':>6} {'wall s':>8} {'CPU s':>7} "
             f"{'payments':>8} {'CPU ms/payment':>14}",
             "-" * 86]
    for result in (first, again):
        expected = sum(result["pages"].values())
        per = (result["cpu_ms"] / result["payments"]) if result["payments"] else None
        lines.append(
            f"{result['label']:<28} {result['calls']:>9} {expected:>6} {result['wall']:>8.1f} "
            f"{result['cpu_ms'] / 1000:>7.2f} {result['payments']:>8} "
            f"{'-' if per is None else f'{per:.2f}':>14}")
    lines.append("-" * 86)
    for result in (first, again):
        lines.append(f"{result['label']}: calls by endpoint {result['by_endpoint']}; "
                     f"429s {result['rate_limited']}; runs {result['runs']} "
                     f"(waiting {result['idle']:.0f} s); jobs {dict(result['jobs']) or 'none'}; "
                     f"invoices paid in Odoo {result['paid_invoices']}")
        if result["errors"]:
            lines.append(f"  failures: {dict(result['errors'])}")
    targets = [
        (f"calls within {TARGET_CALLS_OVER_PAGES:.0%} of the page count at "
         f"{inbound.PAGE_SIZE} a page", abs(over) <= TARGET_CALLS_OVER_PAGES,
         f"{first['calls']} calls for {page_count} pages ({over:+.1%})"),
        (f"at most {TARGET_CPU_MS_PER_PAYMENT:.0f} ms Odoo CPU per applied payment",
         cpu_per_payment <= TARGET_CPU_MS_PER_PAYMENT, f"{cpu_per_payment:.2f} ms"),
        ("every payment made in Xero applied once", first["payments"] == args.paid
         and first["paid_invoices"] == args.paid,
         f"{first['payments']} payments, {first['paid_invoices']} invoices paid"),
        ("the second pull applies nothing", not again["payments"] and not again["jobs"],
         f"{again['payments']} payments, {sum(again['jobs'].values())} jobs"),
    ]
    lines += ["", "targets:"] + [f"  {'PASS' if ok else 'FAIL'}  {text}: {value}"
                                 for text, ok, value in targets]
    print("\n".join(lines + [""]), flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="clarus_bench_pull")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reuse", action="store_true", help="use the existing database")
    group.add_argument("--drop", action="store_true", help="drop and recreate the database")
    parser.add_argument("--invoices", type=int, default=10000)
    parser.add_argument("--paid", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--profile", metavar="FILE",
                        help="profile the first pull by CPU time (cProfile stats to FILE; "
                        "the profiler inflates the CPU figures: do not quote them)")
    args = parser.parse_args()
    if min(args.invoices, args.customers) < 1 or not 0 < args.paid <= args.invoices:
        parser.error("--invoices and --customers must be positive, --paid between 1 and "
                     "--invoices")
    return args


def main():
    args = parse_args()
    config.parse_config([f"--addons-path={ROOT}", "--log-level=warn", "--no-http",
                         "-d", args.db])
    base.prepare_database(args)
    threading.current_thread().dbname = args.db
    registry = Registry(args.db)
    if "clarus.xero.pull" not in registry:
        raise SystemExit(f"{base.MODULE} with the pull is not installed in {args.db}.")
    emulator = base.Emulator()
    log(f"emulator (pid {emulator.process.pid}) on {emulator.base_url}")
    try:
        conn_id = prepare(registry, emulator, args)
        results = []
        for label in ("pull", "pull again (nothing new)"):
            changed, pages = pages_expected(registry, emulator, conn_id)
            profiler = (cProfile.Profile(time.process_time) if args.profile and not results
                        else None)
            if profiler:
                profiler.enable()
            results.append(dict(measure(registry, emulator, conn_id, label),
                                changed=changed, pages=pages))
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        report(args, *results)
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
