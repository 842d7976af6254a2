#!/usr/bin/env python3
"""Benchmark: push a backlog of posted invoices to the Xero emulator, batched vs one by one.

Run from the repository root::

    python3 benchmarks/bench_xero_push.py [--db NAME] [--reuse | --drop] [--invoices 2000]
        [--customers 500] [--products 200] [--per-document-sample 200]

What it does, in one run:

1. creates a database with ``clarus_xero_connector`` installed (``--reuse`` keeps an
   existing one, ``--drop`` recreates it);
2. starts ``clarus_xero_emulator`` as a separate process (its CPU is not Odoo's) with
   Xero's real limits: 60 calls/minute, 5000/day, 5 concurrent per organisation;
3. connects the main company to the emulator's demo organisation through the OAuth
   authorisation-code flow (no browser), enables the company currency there, imports the
   reference data and maps the sale tax to OUTPUT2;
4. builds the load: N new customers, M new products, and a backlog of posted customer
   invoices (two product lines each); posting enqueues the contact, item and invoice jobs;
5. measures the batched push (``batch_size=50``) of the whole backlog;
6. wipes the Xero side (emulator reset, bindings deleted, company reconnected) and
   measures the one-request-per-document mode (``batch_size=1``) on a proportional sample
   of the SAME backlog (the first invoices, their customers and their products), then
   projects that mode's calls and wall time to the full backlog at 60 calls/minute.

Both pushes run in a fresh transaction with a ``commit`` callback that really commits,
as the push cron does. When a run stops early (the pacer asks to reschedule, or Xero
answers 429), the script waits until the first job is due again and resumes, as the
cron's trigger would.

Figures: API calls (the emulator's own count), documents (contacts + items + invoices
sent), documents per call, 429s received, wall seconds, and Odoo CPU milliseconds per
document (``time.process_time()`` of this process, which is the Odoo side only).

The script exits 0 when the measurement completed, whether or not the targets are met.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.service import db as odoo_db
from odoo.tools import config

ROOT = Path(__file__).resolve().parents[1]
MODULE = "clarus_xero_connector"
CLIENT_ID = "clarus-demo-client"
CLIENT_SECRET = "clarus-demo-secret"
DEMO_ORG = "Clarus Demo Company (NZ)"
REAL_LIMITS = {"minute_limit": 60, "day_limit": 5000, "concurrent_limit": 5}
BUILD_CONTEXT = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
KINDS = ("contact", "item", "invoice")
ENDPOINT_KIND = {"/Contacts": "contact", "/Items": "item", "/Invoices": "invoice"}

# Targets from the issue.
TARGET_DOCS_PER_CALL = 40
TARGET_CPU_MS_PER_DOC = 10.0


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------- emulator


class Emulator:
    """The emulator in its own process, and its control API."""

    def __init__(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clarus_xero_emulator", "--host", "127.0.0.1",
             "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.base_url}/_emulator/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("The Xero emulator did not start.")
            time.sleep(0.2)

    def control(self, method, path, body=None):
        response = requests.request(method, f"{self.base_url}/_emulator{path}", json=body,
                                    timeout=30)
        response.raise_for_status()
        return response.json()

    def calls(self):
        return self.control("GET", "/calls")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---------------------------------------------------------------------- database


def prepare_database(args):
    """Create the benchmark database with the connector installed, unless reused."""
    exists = odoo_db.exp_db_exist(args.db)
    if exists and args.drop:
        log(f"dropping database {args.db}")
        odoo_db.exp_drop(args.db)
        exists = False
    if exists and not args.reuse:
        raise SystemExit(f"Database {args.db} exists: pass --reuse to use it or --drop to "
                         "recreate it.")
    if exists:
        log(f"reusing database {args.db}")
        return
    log(f"creating database {args.db} with {MODULE} installed (a few minutes)")
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "odoo", "-d", args.db, f"--addons-path={ROOT}", "-i", MODULE,
         "--stop-after-init", "--no-http", "--log-level=warn"],
        check=True,
    )
    log(f"database ready in {time.monotonic() - started:.0f} s")


# ---------------------------------------------------------------------- connecting


def connect(env, emulator, company):
    """Connect ``company`` to the demo organisation, as a user does (without a browser)."""
    Connection = env["clarus.xero.connection"]
    conn = Connection.search([("company_id", "=", company.id)], limit=1)
    vals = {
        "api_base_url": emulator.base_url,
        "identity_base_url": emulator.base_url,
        "login_base_url": emulator.base_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "default_sales_account_code": "200",
    }
    if conn:
        conn.write(vals)
    else:
        conn = Connection.create(dict(vals, name=f"Xero {company.name}",
                                      company_id=company.id))
    action = conn.action_authorize()
    consent = requests.get(action["url"], allow_redirects=False, timeout=10)
    if consent.status_code not in (302, 303):
        raise SystemExit(f"Authorisation failed: {consent.status_code} {consent.text}")
    query = parse_qs(urlparse(consent.headers["Location"]).query)
    found = Connection._find_by_oauth_state(query["state"][0])
    if found != conn:
        raise SystemExit("The OAuth state that came back does not identify the connection.")
    found._complete_authorization(query["code"][0])
    tenant = next(t for t in conn.available_tenants if t["tenantName"] == DEMO_ORG)
    if conn.state == "choose_tenant" or conn.tenant_id != tenant["tenantId"]:
        conn._select_tenant(tenant["tenantId"])

    gateway = conn._gateway()
    code = company.currency_id.name
    data, _headers, _status = gateway._call(gateway.accounting, "get_currencies",
                                            conn.tenant_id)
    if code not in {c.get("Code") for c in (data or {}).get("Currencies") or []}:
        gateway._call(gateway.accounting, "create_currency", conn.tenant_id,
                      {"Code": code, "Description": code})
    conn.action_import_reference_data()

    map_tax(env, conn, company.account_sale_tax_id, "OUTPUT2", "sale")
    return conn


def map_tax(env, conn, tax, code, use):
    """Map the company's default ``use`` tax to the Xero tax rate ``code``."""
    if not tax:
        raise SystemExit(f"Company {conn.company_id.name} has no default {use} tax.")
    ref = env["clarus.xero.reference"].search([
        ("connection_id", "=", conn.id), ("kind", "=", "tax_rate"), ("code", "=", code),
    ], limit=1)
    Mapping = env["clarus.xero.mapping"]
    mapping = Mapping.search([("connection_id", "=", conn.id), ("kind", "=", "tax"),
                              ("tax_id", "=", tax.id)])
    if mapping:
        mapping.write({"xero_reference_id": ref.id})
    else:
        Mapping.create({"connection_id": conn.id, "kind": "tax", "tax_id": tax.id,
                        "xero_reference_id": ref.id})


def forget_xero_side(env, conn):
    """Delete the connection's jobs and bindings: Odoo believes nothing is in Xero."""
    env["clarus.xero.job"].search([("connection_id", "=", conn.id)]).unlink()
    env["clarus.xero.binding"].search([("connection_id", "=", conn.id)]).unlink()


# ---------------------------------------------------------------------- the load


def customer_index(i, args):
    """Invoice ``i``'s customer: each customer gets a run of consecutive invoices."""
    return i * args.customers // args.invoices


def product_pair(i, args):
    """Invoice ``i``'s two products, consecutive pairs in runs of invoices."""
    pairs = max(args.products // 2, 1)
    k = i * pairs // args.invoices
    return 2 * k, min(2 * k + 1, args.products - 1)


def build_backlog(env, args, tag, chunk=250):
    """Customers, products and posted invoices; posting enqueues the Xero jobs."""
    env = env(context=dict(env.context, **BUILD_CONTEXT))
    company = env.company
    tax = company.account_sale_tax_id
    started = time.monotonic()
    partners = env["res.partner"].create([
        {"name": f"Bench Customer {tag} {i:04d}", "is_company": True,
         "email": f"customer{i:04d}.{tag}@example.com"}
        for i in range(args.customers)
    ])
    products = env["product.product"].create([
        {"name": f"Bench Product {tag} {i:04d}", "default_code": f"B{tag}-{i:04d}",
         "type": "consu", "list_price": 10.0 + i % 40, "standard_price": 5.0 + i % 20,
         "taxes_id": [Command.set(tax.ids)]}
        for i in range(args.products)
    ])
    env.cr.commit()
    log(f"created {len(partners)} customers and {len(products)} products "
        f"in {time.monotonic() - started:.1f} s")

    today = date.today()
    moves = env["account.move"]
    post_seconds = 0.0
    for first in range(0, args.invoices, chunk):
        vals = []
        for i in range(first, min(first + chunk, args.invoices)):
            a, b = product_pair(i, args)
            vals.append({
                "move_type": "out_invoice",
                "partner_id": partners[customer_index(i, args)].id,
                "invoice_date": today,
                "invoice_line_ids": [
                    Command.create({"product_id": products[p].id, "quantity": 1 + (i + n) % 5,
                                    "price_unit": products[p].list_price,
                                    "tax_ids": [Command.set(tax.ids)]})
                    for n, p in enumerate((a, b) if a != b else (a,))
                ],
            })
        batch = env["account.move"].create(vals)
        post_started = time.monotonic()
        batch.action_post()
        post_seconds += time.monotonic() - post_started
        env.cr.commit()
        moves |= batch
        log(f"  {len(moves)}/{args.invoices} invoices created and posted")
    log(f"backlog built in {time.monotonic() - started:.1f} s "
        f"(posting with enqueue: {post_seconds * 1000 / max(len(moves), 1):.1f} ms/invoice)")
    return partners, products, moves


# ---------------------------------------------------------------------- measuring


def endpoint_kind(endpoint):
    for fragment, kind in ENDPOINT_KIND.items():
        if fragment in endpoint:
            return kind
    return "other"


def measure(registry, emulator, conn_id, label, batch_size, max_seconds):
    """Push every pending job of the connection, in a fresh transaction, and measure."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        conn = env["clarus.xero.connection"].browse(conn_id)
        Job = env["clarus.xero.job"]
        job_ids = Job.search([("connection_id", "=", conn.id), ("state", "=", "pending")]).ids
        queued = Counter(j["kind"] for j in Job.browse(job_ids).read(["kind"]))

        def commit(processed=0):
            cr.commit()
            return float("inf")

        emulator.control("POST", "/config", dict(REAL_LIMITS, reset_windows=True))
        before = emulator.calls()
        log(f"{label}: pushing {len(job_ids)} jobs ({dict(queued)}), batch_size={batch_size}")
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        runs, complete, idle = 0, False, 0.0
        while True:
            runs += 1
            env["clarus.xero.push"]._run(conn, commit=commit, batch_size=batch_size)
            cr.commit()
            pending = Job.search([("id", "in", job_ids), ("state", "=", "pending")])
            if not pending:
                complete = True
                break
            elapsed = time.perf_counter() - wall_start
            if elapsed > max_seconds:
                log(f"{label}: stopped after {elapsed:.0f} s with {len(pending)} jobs pending")
                break
            # The run handed back (a pacing stop or a 429 pause): wait until the first
            # pending job is due, as the cron's trigger would, then go on.
            due = min((d for d in pending.mapped("next_attempt_at") if d), default=None)
            now = odoo.fields.Datetime.now()
            wait = min(max((due - now).total_seconds(), 0.5), 120.0) if due else 0.5
            log(f"{label}: run {runs} handed back with {len(pending)} jobs pending; "
                f"resuming in {wait:.0f} s")
            idle_start = time.perf_counter()
            time.sleep(wait)
            idle += time.perf_counter() - idle_start
        wall = time.perf_counter() - wall_start
        cpu = time.process_time() - cpu_start
        after = emulator.calls()

        rows = Job.browse(job_ids).read(["kind", "state"])
        done = Counter(r["kind"] for r in rows if r["state"] == "done")
        not_done = Counter((r["kind"], r["state"]) for r in rows if r["state"] != "done")
        by_endpoint = {
            endpoint: count - before["by_endpoint"].get(endpoint, 0)
            for endpoint, count in after["by_endpoint"].items()
            if count - before["by_endpoint"].get(endpoint, 0)
        }
        calls_by_kind = Counter()
        for endpoint, count in by_endpoint.items():
            calls_by_kind[endpoint_kind(endpoint)] += count
        xero_invoices = emulator.control(
            "GET", f"/documents/Invoices?tenant={conn.tenant_id}")["records"]
        documents = sum(done.values())
        calls = after["total"] - before["total"]
        result = {
            "label": label,
            "batch_size": batch_size,
            "queued": dict(queued),
            "done": dict(done),
            "not_done": {f"{k}/{s}": n for (k, s), n in not_done.items()},
            "documents": documents,
            "calls": calls,
            "by_endpoint": by_endpoint,
            "calls_by_kind": dict(calls_by_kind),
            "rate_limited": after["rate_limited"] - before["rate_limited"],
            "wall": wall,
            "idle": idle,
            "runs": runs,
            "complete": complete,
            "cpu_ms": cpu * 1000,
            "xero_invoices": len(xero_invoices),
        }
        log(f"{label}: {documents} documents in {calls} calls, {wall:.1f} s wall, "
            f"{cpu:.2f} s Odoo CPU, {result['rate_limited']} x 429, runs={runs}")
        return result


def prepare_sample(registry, emulator, conn_id, moves, sample):
    """Forget the Xero side, reset the emulator, reconnect, queue the sample again."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        conn = env["clarus.xero.connection"].browse(conn_id)
        forget_xero_side(env, conn)
        emulator.control("POST", "/reset", {"seed": True})
        connect(env, emulator, conn.company_id)
        sample_moves = env["account.move"].browse(moves.ids[:sample])
        sample_moves._clarus_xero_enqueue_on(conn)
        cr.commit()
        partners = sample_moves.partner_id.commercial_partner_id
        products = sample_moves._clarus_xero_products()
        return {"invoice": len(sample_moves), "contact": len(partners),
                "item": len(products)}


# ---------------------------------------------------------------------- report


def per_doc(value, documents):
    return value / documents if documents else float("nan")


def report(args, batched, single, sample_counts, full_counts):
    minute = REAL_LIMITS["minute_limit"]
    # Calls the one-by-one mode needs per document of each kind, measured on the sample.
    per_kind = {
        kind: per_doc(single["calls_by_kind"].get(kind, 0), sample_counts[kind])
        for kind in KINDS
    }
    projected_calls = round(sum(per_kind[k] * full_counts[k] for k in KINDS))
    projected_docs = sum(full_counts.values())
    projected_wall = projected_calls * 60.0 / minute

    rows = [
        ("batched, 50/request (full backlog, measured)", batched["documents"],
         batched["calls"], batched["rate_limited"], batched["wall"],
         per_doc(batched["cpu_ms"], batched["documents"])),
        (f"1 per request (sample of {args.per_document_sample} invoices, measured)",
         single["documents"], single["calls"], single["rate_limited"], single["wall"],
         per_doc(single["cpu_ms"], single["documents"])),
        ("1 per request (full backlog, PROJECTED)", projected_docs, projected_calls, None,
         projected_wall, None),
    ]
    header = (f"{'mode':<52} {'documents':>9} {'API calls':>9} {'docs/call':>9} "
              f"{'429s':>5} {'wall s':>8} {'CPU ms/doc':>10}")
    lines = ["", "Xero push benchmark", "=" * len(header),
             f"load: {args.invoices} posted invoices (2 lines each), {args.customers} new "
             f"customers, {args.products} new products; emulator limits {minute}/min, "
             f"{REAL_LIMITS['day_limit']}/day, {REAL_LIMITS['concurrent_limit']} concurrent",
             f"sample for the one-per-request mode: the first {sample_counts['invoice']} "
             f"invoices, {sample_counts['contact']} customers, {sample_counts['item']} products",
             "", header, "-" * len(header)]
    for mode, documents, calls, limited, wall, cpu in rows:
        lines.append(
            f"{mode:<52} {documents:>9} {calls:>9} {per_doc(documents, calls):>9.1f} "
            f"{'-' if limited is None else limited:>5} {wall:>8.1f} "
            f"{'-' if cpu is None else f'{cpu:.2f}':>10}")
    lines.append("-" * len(header))
    for result in (batched, single):
        lines.append(f"{result['label']}: calls by endpoint {json.dumps(result['by_endpoint'])}")
        lines.append(f"  done {result['done']}, not done {result['not_done'] or 'none'}, "
                     f"invoices in Xero {result['xero_invoices']}, push runs {result['runs']}, "
                     f"time waiting between runs {result['idle']:.0f} s, "
                     f"complete: {'yes' if result['complete'] else 'NO'}")
    lines.append("one-per-request calls per document, measured on the sample: " + ", ".join(
        f"{k} {per_kind[k]:.2f}" for k in KINDS))
    lines.append(f"projected one-per-request wall time = {projected_calls} calls / {minute} "
                 f"per minute = {projected_wall / 60:.1f} min"
                 + (f" (more than one day's limit of {REAL_LIMITS['day_limit']} calls)"
                    if projected_calls > REAL_LIMITS["day_limit"] else ""))
    lines.append("")
    lines.append(f"ratios (one-per-request PROJECTED / batched measured): API calls "
                 f"{per_doc(projected_calls, batched['calls']):.1f}x, wall time "
                 f"{per_doc(projected_wall, batched['wall']):.1f}x")
    lines.append(f"ratios on the sample (measured one-per-request / batched, per document): "
                 f"calls {per_doc(per_doc(single['calls'], single['documents']), per_doc(batched['calls'], batched['documents'])):.1f}x, "  # noqa: E501
                 f"wall {per_doc(per_doc(single['wall'], single['documents']), per_doc(batched['wall'], batched['documents'])):.1f}x")  # noqa: E501
    if batched["wall"] > 180:
        lines.append(f"FINDING: the batched push of the backlog took {batched['wall'] / 60:.1f} "
                     "min at 60 calls/minute.")

    docs_per_call = per_doc(batched["documents"], batched["calls"])
    cpu_per_doc = per_doc(batched["cpu_ms"], batched["documents"])
    limited = batched["rate_limited"] + single["rate_limited"]
    targets = [
        (f"at least {TARGET_DOCS_PER_CALL} documents per call (batched)",
         docs_per_call >= TARGET_DOCS_PER_CALL, f"{docs_per_call:.1f}"),
        ("no 429 caused by our own pace (both runs; nothing else calls the emulator)",
         limited == 0, f"{batched['rate_limited']} + {single['rate_limited']}"),
        (f"at most {TARGET_CPU_MS_PER_DOC:.0f} ms Odoo CPU per document (batched)",
         cpu_per_doc <= TARGET_CPU_MS_PER_DOC, f"{cpu_per_doc:.2f} ms"),
        ("every queued job done (batched run)", batched["complete"] and not
         batched["not_done"], f"{batched['documents']} of {sum(batched['queued'].values())}"),
    ]
    lines.append("")
    lines.append("targets:")
    for text, ok, value in targets:
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {text}: {value}")
    lines.append("")
    print("\n".join(lines), flush=True)


# ---------------------------------------------------------------------- main


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="clarus_bench_xero_push")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reuse", action="store_true", help="use the existing database")
    group.add_argument("--drop", action="store_true", help="drop and recreate the database")
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--per-document-sample", type=int, default=200,
                        help="invoices pushed one per request (with their customers and "
                             "products); 0 skips that mode")
    parser.add_argument("--max-run-seconds", type=int, default=900,
                        help="give up a push run after this long")
    args = parser.parse_args()
    if min(args.invoices, args.customers, args.products) < 1:
        parser.error("--invoices, --customers and --products must be positive")
    args.per_document_sample = max(0, min(args.per_document_sample, args.invoices))
    return args


def main():
    args = parse_args()
    config.parse_config([f"--addons-path={ROOT}", "--log-level=warn", "--no-http",
                         "-d", args.db])
    prepare_database(args)
    threading.current_thread().dbname = args.db
    registry = Registry(args.db)
    if "clarus.xero.push" not in registry:
        raise SystemExit(f"{MODULE} is not installed in {args.db}.")
    emulator = Emulator()
    log(f"emulator (pid {emulator.process.pid}) on {emulator.base_url}, real limits")
    try:
        tag = time.strftime("%H%M%S")
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.company
            conn = connect(env, emulator, company)
            forget_xero_side(env, conn)
            cr.commit()
            log(f"company {company.name} ({company.currency_id.name}) connected to "
                f"{conn.tenant_name}")
            partners, products, moves = build_backlog(env, args, tag)
            conn_id = conn.id
        full_counts = {"invoice": len(moves), "contact": len(partners), "item": len(products)}

        batched = measure(registry, emulator, conn_id, "batched", 50, args.max_run_seconds)
        if not args.per_document_sample:
            log("one-per-request mode skipped (--per-document-sample 0)")
            print(json.dumps(batched, indent=1, default=str))
            return 0
        sample_counts = prepare_sample(registry, emulator, conn_id, moves,
                                       args.per_document_sample)
        single = measure(registry, emulator, conn_id, "one per request", 1,
                         args.max_run_seconds)
        report(args, batched, single, sample_counts, full_counts)
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
