# Run inside `python -m odoo shell` (it provides `env`): connect the demo company to a
# Xero-compatible server without a browser, build the demo's warehouse day
# (clarus_xero_connector/demo_story.py), map taxes, warehouses and bank journals, queue
# the posted invoices and push them. Safe to run again: it picks up where it left off and
# creates nothing twice.
# The same steps work against real Xero, except the consent, which needs a person.
import os
import sys
from urllib.parse import parse_qs, urlparse

import requests

from odoo.addons.clarus_xero_connector import demo_story

BASE = os.environ.get("CLARUS_EMULATOR_URL", "http://127.0.0.1:8070")
ODOO_URL = os.environ.get("CLARUS_ODOO_URL", "http://127.0.0.1:8069")
TENANT = os.environ.get("CLARUS_XERO_TENANT", "Clarus Demo Company (NZ)")

env["ir.config_parameter"].sudo().set_param("web.base.url", ODOO_URL)  # noqa: F821
Connection = env["clarus.xero.connection"]  # noqa: F821
company = env.company  # noqa: F821
conn = Connection.search([("company_id", "=", company.id)], limit=1) or Connection.create({
    "name": f"Xero ({company.name})",
    "company_id": company.id,
})
conn.write({
    "api_base_url": BASE, "identity_base_url": BASE, "login_base_url": BASE,
    "client_id": "clarus-demo-client", "client_secret": "clarus-demo-secret",
})

if conn.state != "connected":
    # The authorisation-code flow, as a browser would follow it.
    url = conn.action_authorize()["url"]
    answer = requests.get(url, allow_redirects=False, timeout=30)
    query = parse_qs(urlparse(answer.headers["Location"]).query)
    conn = Connection._find_by_oauth_state(query["state"][0])
    conn._complete_authorization(query["code"][0])
    if conn.state == "choose_tenant":
        tenant = next(t for t in conn.available_tenants if t["tenantName"] == TENANT)
        conn._select_tenant(tenant["tenantId"])

gateway = conn._gateway()
currencies, _h, _s = gateway._call(gateway.accounting, "get_currencies", conn.tenant_id)
if company.currency_id.name not in {c["Code"] for c in currencies["Currencies"]}:
    gateway._call(gateway.accounting, "create_currency", conn.tenant_id,
                  {"Code": company.currency_id.name, "Description": company.currency_id.name})
conn.action_import_reference_data()
env.cr.commit()  # noqa: F821 - the demo keeps its connection even if the day below fails


def commit(processed=0):
    env.cr.commit()  # noqa: F821 - progress survives an interrupted demo
    return float("inf")


# The day: a warehouse that allocates before picking, customers, products, orders at every
# stage of the board, a tracked shipment, a credit note, a payment, a purchase order and
# one failed job to fix. Every tax, warehouse and bank journal is mapped, and it is sent.
try:
    day = demo_story.run(env, conn, commit=commit)  # noqa: F821
except demo_story.DemoStoryError as error:
    sys.exit(str(error))
print("Board of %s: %s" % (day["warehouse"].name, ", ".join(
    f"{stage} {len(names)}" for stage, names in sorted(day["stages"].items()))))

# Odoo's own demo invoices go too (once: a document already queued or sent is not queued
# again).
Job = env["clarus.xero.job"]  # noqa: F821
jobs_before = Job.search_count([])
conn.action_queue_posted_invoices()
commit()
env["clarus.xero.push"]._run(conn, commit=commit)  # noqa: F821
print(f"Connected {company.name} to Xero organisation '{conn.tenant_name}' at {BASE}")
print(f"New jobs for Odoo's posted invoices: {Job.search_count([]) - jobs_before}; jobs done: "
      f"{Job.search_count([('state', '=', 'done')])}, failed: "
      f"{Job.search_count([('state', '=', 'failed')])}, pending: "
      f"{Job.search_count([('state', '=', 'pending')])}")
for job in Job.search([("state", "=", "failed")], limit=5):
    print(f"  failed: {job.display_name}: {job.error_message}")
