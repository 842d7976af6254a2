#!/usr/bin/env python3
"""Benchmark: many organisations drained by 1, 2 and 4 Odoo servers on one database.

Run from the repository root::

    python3 benchmarks/bench_scaling.py [--db NAME] [--reuse | --drop] [--orgs 20]
        [--invoices 500] [--workers 1,2,4] [--latency-base 0.5] [--latency-per-record 0.03]

What it does:

1. creates a database with ``clarus_xero_connector`` installed (``--reuse`` keeps an
   existing one, ``--drop`` recreates it), and in it ``--orgs`` companies, each with its
   customers, products and a backlog of ``--invoices`` posted invoices (built once);
2. for each worker count: starts the Xero emulator as a process of its own with Xero's
   real limits (60 calls a minute, 5000 a day, 5 at once per organisation) and a
   realistic answer time (``--latency-base`` per call plus ``--latency-per-record`` per
   record sent: 2 s for 50 invoices by default), adds one organisation per company,
   connects every company to its organisation through the OAuth flow, forgets what an
   earlier round sent and queues every company's backlog;
3. starts that many real Odoo server processes (``python3 -m odoo``, one cron thread
   each, no HTTP traffic), waits until they answer, then wakes their cron threads and
   measures the time until every job of every organisation is done;
4. reads the emulator's request log and prints, per worker count: documents sent,
   wall time, documents per minute, duplicates in Xero, 429s, and the most requests of
   one organisation ever in flight at once (1 means one worker at a time).

The script exits 0 when the measurement completed, whether or not the targets are met.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.service import db as odoo_db
from odoo.tools import config

ROOT = Path(__file__).resolve().parents[1]
MODULE = "clarus_xero_connector"
CLIENT_ID = "clarus-demo-client"
CLIENT_SECRET = "clarus-demo-secret"
REAL_LIMITS = {"minute_limit": 60, "day_limit": 5000, "concurrent_limit": 5}
BUILD_CONTEXT = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
COMPANY_PREFIX = "Bench Scaling Company"
TARGET_RATIO = 3.0


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port(taken=()):
    for port in range(18200, 18300):
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in 18200-18299")


# ---------------------------------------------------------------------- emulator


class Emulator:
    """The emulator in its own process, and its control API."""

    def __init__(self, args, orgs):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clarus_xero_emulator", "--host", "127.0.0.1",
             "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.base_url}/_emulator/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("The Xero emulator did not start.")
            time.sleep(0.2)
        self.control("POST", "/config", dict(
            REAL_LIMITS, request_log_size=100000,
            latency={"base": args.latency_base, "per_record": args.latency_per_record}))
        self.tenants = [self.control("POST", "/tenants", {"name": org_name(n)})["tenantId"]
                        for n in range(orgs)]

    def control(self, method, path, body=None):
        response = requests.request(method, f"{self.base_url}/_emulator{path}", json=body,
                                    timeout=60)
        response.raise_for_status()
        return response.json()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def org_name(n):
    return f"Bench Org {n:02d}"


# ---------------------------------------------------------------------- database


def prepare_database(args):
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
    subprocess.run(
        [sys.executable, "-m", "odoo", "-d", args.db, "-i", MODULE, "--stop-after-init",
         "--no-http", "--log-level=warn"],
        check=True)


def build_companies(env, args):
    """The companies and their backlogs, once per database."""
    companies = env["res.company"].search([("name", "=like", f"{COMPANY_PREFIX} %")],
                                          order="name")
    if len(companies) >= args.orgs:
        return companies[:args.orgs]
    env = env(context=dict(env.context, **BUILD_CONTEXT))
    today = date.today()
    for n in range(len(companies), args.orgs):
        started = time.monotonic()
        company = env["res.company"].create({"name": f"{COMPANY_PREFIX} {n:02d}"})
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        env.cr.commit()
        cenv = env(context=dict(env.context, allowed_company_ids=[company.id]))
        tax = company.account_sale_tax_id
        partners = cenv["res.partner"].create([
            {"name": f"Scaling Customer {n:02d}-{i:03d}", "is_company": True,
             "company_id": company.id} for i in range(args.customers)])
        products = cenv["product.product"].create([
            {"name": f"Scaling Product {n:02d}-{i:03d}", "default_code": f"S{n:02d}-{i:03d}",
             "type": "consu", "list_price": 10.0 + i, "company_id": company.id,
             "taxes_id": [Command.set(tax.ids)]} for i in range(args.products)])
        for first in range(0, args.invoices, 250):
            moves = cenv["account.move"].with_company(company).create([{
                "move_type": "out_invoice", "company_id": company.id,
                "partner_id": partners[i % len(partners)].id, "invoice_date": today,
                "invoice_line_ids": [Command.create({
                    "product_id": products[i % len(products)].id, "quantity": 1 + i % 3,
                    "price_unit": products[i % len(products)].list_price,
                    "tax_ids": [Command.set(tax.ids)]})],
            } for i in range(first, min(first + 250, args.invoices))])
            moves.action_post()
            env.cr.commit()
        log(f"company {n + 1}/{args.orgs}: {args.invoices} invoices posted in "
            f"{time.monotonic() - started:.0f} s")
    return env["res.company"].search([("name", "=like", f"{COMPANY_PREFIX} %")],
                                     order="name")[:args.orgs]


def connect(env, emulator, company, tenant_id):
    """Connect ``company`` to ``tenant_id`` as a user does, without a browser; forget what
    an earlier round sent, then queue the company's backlog."""
    Connection = env["clarus.xero.connection"]
    conn = Connection.with_context(active_test=False).search(
        [("company_id", "=", company.id)], limit=1)
    vals = {"api_base_url": emulator.base_url, "identity_base_url": emulator.base_url,
            "login_base_url": emulator.base_url, "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "default_sales_account_code": "200"}
    if conn:
        conn.write(vals)
    else:
        conn = Connection.create(dict(vals, name=f"Xero {company.name}",
                                      company_id=company.id))
    env["clarus.xero.job"].search([("connection_id", "=", conn.id)]).unlink()
    env["clarus.xero.binding"].with_context(active_test=False).search(
        [("connection_id", "=", conn.id)]).unlink()
    env["clarus.xero.pacing"].search([("connection_id", "=", conn.id)]).unlink()
    action = conn.action_authorize()
    consent = requests.get(action["url"], allow_redirects=False, timeout=10)
    query = parse_qs(urlparse(consent.headers["Location"]).query)
    Connection._find_by_oauth_state(query["state"][0])._complete_authorization(
        query["code"][0])
    if conn.state != "connected" or conn.tenant_id != tenant_id:
        conn._select_tenant(tenant_id)
    gateway = conn._gateway()
    gateway._call(gateway.accounting, "create_currency", conn.tenant_id,
                  {"Code": company.currency_id.name, "Description": company.currency_id.name})
    conn.action_import_reference_data()
    ref = env["clarus.xero.reference"].search([
        ("connection_id", "=", conn.id), ("kind", "=", "tax_rate"), ("code", "=", "OUTPUT2")],
        limit=1)
    tax = company.account_sale_tax_id
    Mapping = env["clarus.xero.mapping"]
    mapping = Mapping.search([("connection_id", "=", conn.id), ("kind", "=", "tax"),
                              ("tax_id", "=", tax.id)])
    if mapping:
        mapping.write({"xero_reference_id": ref.id})
    else:
        Mapping.create({"connection_id": conn.id, "kind": "tax", "tax_id": tax.id,
                        "xero_reference_id": ref.id})
    env["account.move"].with_company(company)._clarus_xero_queue_backlog(conn)
    return conn


# ---------------------------------------------------------------------- one round


def start_servers(args, count, logs):
    servers, ports = [], []
    for _n in range(count):
        port = free_port(ports)
        ports.append(port)
        log_file = os.path.join(logs, f"odoo-{count}-{port}.log")
        process = subprocess.Popen(
            [sys.executable, "-m", "odoo", "server", "-d", args.db, f"--db-filter=^{args.db}$",
             f"--http-port={port}", "--http-interface=127.0.0.1", "--max-cron-threads=1",
             "--workers=0", "--limit-time-real-cron=3600", f"--logfile={log_file}",
             "--log-level=info"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        servers.append((process, port, log_file))
    for process, port, _log in servers:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the Odoo server on port {port} stopped")
            try:
                if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the Odoo server on port {port} did not answer")
            time.sleep(0.5)
    # The cron threads start listening as the server starts; give them a moment.
    time.sleep(3)
    return servers


def stop_servers(servers):
    for process, _port, _log in servers:
        process.terminate()
    for process, _port, _log in servers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def job_states(registry, conn_ids):
    with registry.cursor() as cr:
        cr.execute("SELECT state, count(*) FROM clarus_xero_job WHERE connection_id = ANY(%s)"
                   " GROUP BY state", [conn_ids])
        return dict(cr.fetchall())


def run_round(args, registry, company_ids, workers, logs):
    emulator = Emulator(args, len(company_ids))
    try:
        started = time.monotonic()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # Connections of companies outside this run (an earlier, larger one) would
            # be worked on too: they are archived.
            env["clarus.xero.connection"].search(
                [("company_id", "not in", company_ids)]).active = False
            conns = []
            companies = env["res.company"].browse(company_ids)
            for company, tenant in zip(companies, emulator.tenants, strict=True):
                conns.append(connect(env, emulator, company, tenant).id)
                cr.commit()
        queued = job_states(registry, conns)
        log(f"{workers} worker(s): {len(conns)} organisations connected and queued "
            f"({queued}) in {time.monotonic() - started:.0f} s")
        with registry.cursor() as cr:
            # The database's other scheduled actions (vacuum, mail queue ...) run at
            # another time: the round measures the Xero work only.
            cr.execute("UPDATE ir_cron SET nextcall = now() at time zone 'UTC' + interval "
                       "'1 day' WHERE cron_name NOT LIKE 'Xero:%%'")
        before = emulator.control("GET", "/calls")
        servers = start_servers(args, workers, logs)
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                # What a newly committed queue does: wake the cron workers.
                env.ref("clarus_xero_connector.ir_cron_clarus_xero_push")._trigger()
                for conn in env["clarus.xero.connection"].browse(conns):
                    conn._schedule("push")
            t0 = time.monotonic()
            states = {}
            while time.monotonic() - t0 < args.max_seconds:
                states = job_states(registry, conns)
                if not states.get("pending") and not states.get("running"):
                    break
                time.sleep(0.5)
            wall = time.monotonic() - t0
        finally:
            stop_servers(servers)
        return measure(emulator, registry, conns, before, states, wall, workers, logs)
    finally:
        emulator.stop()


def max_in_flight(rows):
    edges = sorted([(row["time"], 1) for row in rows] + [(row["end"], -1) for row in rows])
    now = most = 0
    for _when, step in edges:
        now += step
        most = max(most, now)
    return most


def measure(emulator, registry, conns, before, states, wall, workers, logs):
    after = emulator.control("GET", "/calls")
    rows = emulator.control("GET", "/requests?limit=100000")["requests"]
    by_tenant = defaultdict(list)
    for row in rows:
        if row.get("tenant") and row.get("end") is not None:
            by_tenant[row["tenant"]].append(row)
    duplicates, in_xero = 0, 0
    for tenant in emulator.tenants:
        records = emulator.control("GET", f"/documents/Invoices?tenant={tenant}")["records"]
        counts = Counter(r["InvoiceNumber"] for r in records)
        in_xero += len(counts)
        duplicates += sum(n - 1 for n in counts.values() if n > 1)
    with registry.cursor() as cr:
        cr.execute("SELECT kind, count(*) FROM clarus_xero_job WHERE connection_id = ANY(%s)"
                   " AND state = 'done' GROUP BY kind", [conns])
        done = dict(cr.fetchall())
    documents = sum(done.values())
    in_flight = {tenant: max_in_flight(rows) for tenant, rows in by_tenant.items()}
    server_jobs = {}
    for name in sorted(os.listdir(logs)):
        if name.startswith(f"odoo-{workers}-"):
            with open(os.path.join(logs, name), encoding="utf-8") as handle:
                server_jobs[name] = sum(1 for line in handle
                                        if "Job 'Xero: push" in line and "starting" in line)
    result = {
        "workers": workers, "wall": wall, "documents": documents, "done": done,
        "states": states, "per_minute": documents * 60.0 / wall if wall else 0.0,
        "calls": after["total"] - before["total"],
        "rate_limited": after["rate_limited"] - before["rate_limited"],
        "duplicates": duplicates, "in_xero": in_xero,
        "max_in_flight": max(in_flight.values() or [0]),
        "log_complete": len(rows) >= after["total"],
        "push_jobs_per_server": list(server_jobs.values()),
    }
    log(f"{workers} worker(s): {documents} documents in {wall:.1f} s = "
        f"{result['per_minute']:.0f} per minute; {result['calls']} calls, "
        f"{result['rate_limited']} x 429, {duplicates} duplicates, max in flight per "
        f"organisation {result['max_in_flight']}, push runs per server "
        f"{result['push_jobs_per_server']}")
    return result


# ---------------------------------------------------------------------- report


def report(args, results):
    header = (f"{'workers':>7} {'documents':>9} {'wall s':>8} {'docs/min':>9} {'calls':>6} "
              f"{'429s':>5} {'dupes':>5} {'in flight':>9} {'push runs per server':>22}")
    lines = ["", "Scaling benchmark: many organisations, several Odoo servers",
             "=" * len(header),
             f"load: {args.orgs} organisations x {args.invoices} posted invoices (one line "
             f"each), {args.customers} customers and {args.products} products per company; "
             f"emulator limits {REAL_LIMITS['minute_limit']}/min, "
             f"{REAL_LIMITS['day_limit']}/day, {REAL_LIMITS['concurrent_limit']} at once per "
             f"organisation; latency {args.latency_base} s a call + "
             f"{args.latency_per_record} s a record",
             "workers = Odoo server processes on one database, one cron thread each",
             "", header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r['workers']:>7} {r['documents']:>9} {r['wall']:>8.1f} {r['per_minute']:>9.0f} "
            f"{r['calls']:>6} {r['rate_limited']:>5} {r['duplicates']:>5} "
            f"{r['max_in_flight']:>9} {str(r['push_jobs_per_server']):>22}")
    lines.append("-" * len(header))
    by_workers = {r["workers"]: r for r in results}
    expected = args.orgs * args.invoices
    checks = []
    if 1 in by_workers and 4 in by_workers and by_workers[1]["per_minute"]:
        ratio = by_workers[4]["per_minute"] / by_workers[1]["per_minute"]
        lines.append(f"throughput 4 workers / 1 worker: {ratio:.2f}x")
        checks.append((f"4 workers at least {TARGET_RATIO:.0f}x the throughput of 1",
                       ratio >= TARGET_RATIO, f"{ratio:.2f}x"))
    for r in results:
        checks.append((f"{r['workers']} worker(s): every invoice in Xero exactly once",
                       r["in_xero"] == expected and not r["duplicates"],
                       f"{r['in_xero']} of {expected}, {r['duplicates']} duplicates"))
        checks.append((f"{r['workers']} worker(s): no 429", not r["rate_limited"],
                       str(r["rate_limited"])))
        checks.append((f"{r['workers']} worker(s): one request of an organisation in flight "
                       "at a time (never two workers on one organisation, never over 5)",
                       r["max_in_flight"] == 1 and r["log_complete"],
                       f"max {r['max_in_flight']}, log complete: {r['log_complete']}"))
        checks.append((f"{r['workers']} worker(s): queue drained",
                       not r["states"].get("pending") and not r["states"].get("running")
                       and not r["states"].get("failed"), str(r["states"])))
    lines.append("")
    lines.append("checks:")
    for text, ok, value in checks:
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {text}: {value}")
    lines.append("")
    print("\n".join(lines), flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="clarus_bench_scaling")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reuse", action="store_true", help="use the existing database")
    group.add_argument("--drop", action="store_true", help="drop and recreate the database")
    parser.add_argument("--orgs", type=int, default=20)
    parser.add_argument("--invoices", type=int, default=500, help="per organisation")
    parser.add_argument("--customers", type=int, default=25, help="per organisation")
    parser.add_argument("--products", type=int, default=10, help="per organisation")
    parser.add_argument("--workers", default="1,2,4",
                        help="comma-separated numbers of Odoo server processes")
    parser.add_argument("--latency-base", type=float, default=0.5)
    parser.add_argument("--latency-per-record", type=float, default=0.03)
    parser.add_argument("--max-seconds", type=int, default=1800,
                        help="give up a round after this long")
    args = parser.parse_args()
    args.workers = [int(n) for n in args.workers.split(",") if n.strip()]
    if min(args.orgs, args.invoices, args.customers, args.products, *args.workers) < 1:
        parser.error("counts must be positive")
    return args


def main():
    args = parse_args()
    config.parse_config(["--log-level=warn", "--no-http", "-d", args.db])
    prepare_database(args)
    threading.current_thread().dbname = args.db
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        companies = build_companies(env, args)
        company_ids = companies.ids
    logs = tempfile.mkdtemp(prefix="clarus-bench-scaling-")
    log(f"server logs in {logs}")
    results = []
    for workers in args.workers:
        results.append(run_round(args, registry, company_ids, workers, logs))
    report(args, results)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
