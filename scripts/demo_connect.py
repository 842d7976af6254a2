# Run inside `python -m odoo shell` (it provides `env`): connect the demo company to a
# Xero-compatible server without a browser, map its taxes and warehouses, queue its
# posted invoices and push them. Safe to run again: it picks up where it left off.
# The same steps work against real Xero, except the consent, which needs a person.
import os
from urllib.parse import parse_qs, urlparse

import requests

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
tenant_id = conn.tenant_id
currencies, _h, _s = gateway._call(gateway.accounting, "get_currencies", tenant_id)
if company.currency_id.name not in {c["Code"] for c in currencies["Currencies"]}:
    gateway._call(gateway.accounting, "create_currency", tenant_id,
                  {"Code": company.currency_id.name, "Description": company.currency_id.name})

# Every sale tax maps to a Xero tax rate of the same percentage (created if missing).
rates, _h, _s = gateway._call(gateway.accounting, "get_tax_rates", tenant_id)
by_rate = {float(r["EffectiveRate"]): r["TaxType"] for r in rates["TaxRates"]
           if r.get("Status") == "ACTIVE" and r.get("CanApplyToRevenue")}
for tax in env["account.tax"].search([  # noqa: F821
        ("company_id", "=", company.id), ("type_tax_use", "=", "sale"),
        ("amount_type", "=", "percent")]):
    if float(tax.amount) not in by_rate:
        created, _h, _s = gateway._call(gateway.accounting, "create_tax_rates", tenant_id, {
            "TaxRates": [{"Name": f"Odoo {tax.name}"[:50], "ReportTaxType": "OUTPUT",
                          "TaxComponents": [{"Name": "Tax", "Rate": float(tax.amount)}]}]})
        by_rate[float(tax.amount)] = created["TaxRates"][0]["TaxType"]
conn.action_import_reference_data()
Reference, Mapping = env["clarus.xero.reference"], env["clarus.xero.mapping"]  # noqa: F821
for tax in env["account.tax"].search([  # noqa: F821
        ("company_id", "=", company.id), ("type_tax_use", "=", "sale"),
        ("amount_type", "=", "percent")]):
    if not Mapping.search([("connection_id", "=", conn.id), ("tax_id", "=", tax.id)]):
        ref = Reference.search([("connection_id", "=", conn.id), ("kind", "=", "tax_rate"),
                                ("code", "=", by_rate[float(tax.amount)])])
        Mapping.create({"connection_id": conn.id, "kind": "tax", "tax_id": tax.id,
                        "xero_reference_id": ref.id})
option = Reference.search([("connection_id", "=", conn.id), ("kind", "=", "tracking_option")],
                          limit=1)
for warehouse in env["stock.warehouse"].search([("company_id", "=", company.id)]):  # noqa: F821
    if option and not Mapping.search([("connection_id", "=", conn.id),
                                      ("warehouse_id", "=", warehouse.id)]):
        Mapping.create({"connection_id": conn.id, "kind": "tracking",
                        "warehouse_id": warehouse.id, "xero_reference_id": option.id})
# Payments registered in the demo go to Xero's first bank account.
bank = Reference.search([("connection_id", "=", conn.id), ("kind", "=", "account"),
                         ("category", "=", "BANK")], limit=1)
for journal in env["account.journal"].search([  # noqa: F821
        ("company_id", "=", company.id), ("type", "in", ("bank", "cash"))]):
    if bank and not Mapping.search([("connection_id", "=", conn.id),
                                    ("journal_id", "=", journal.id)]):
        Mapping.create({"connection_id": conn.id, "kind": "journal",
                        "journal_id": journal.id, "xero_reference_id": bank.id})
env.cr.commit()  # noqa: F821 - the demo keeps what it set up even if the push below fails

queued = conn.action_queue_posted_invoices()
env.cr.commit()  # noqa: F821 - the queue is the outbox: keep it before sending


def commit(processed=0):
    env.cr.commit()  # noqa: F821 - progress survives an interrupted demo
    return float("inf")


env["clarus.xero.push"]._run(conn, commit=commit)  # noqa: F821
Job = env["clarus.xero.job"]  # noqa: F821
print(f"Connected {company.name} to Xero organisation '{conn.tenant_name}' at {BASE}")
print(f"Queued {queued} posted invoices; jobs done: "
      f"{Job.search_count([('state', '=', 'done')])}, failed: "
      f"{Job.search_count([('state', '=', 'failed')])}, pending: "
      f"{Job.search_count([('state', '=', 'pending')])}")

# The warehouse side: allocate the demo's confirmed orders by quantity, so the order board
# (Inventory > Allocation) has orders at every stage, shortages included.
if "clarus.allocation.engine" in env:  # noqa: F821
    warehouses = env["stock.warehouse"].search([("company_id", "=", company.id)])  # noqa: F821
    warehouses.clarus_allocation_required = True
    orders = env["sale.order"].search(  # noqa: F821
        [("state", "=", "sale"), ("company_id", "=", company.id)])
    # The demo orders were reserved by Odoo before allocation was required: release
    # them, so that allocation decides who gets the stock.
    open_deliveries = orders.picking_ids.filtered(
        lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel"))
    open_deliveries.do_unreserve()
    plan = env["clarus.allocation.engine"]._allocate_orders(orders)  # noqa: F821
    env.cr.commit()  # noqa: F821 - keep the demo's allocations
    stages = {}
    for order in orders:
        stages[order.clarus_fulfilment_stage] = stages.get(order.clarus_fulfilment_stage, 0) + 1
    print(f"Allocated {len(plan.allocations)} delivery lines of {len(orders)} confirmed "
          f"orders; board: {stages}")
