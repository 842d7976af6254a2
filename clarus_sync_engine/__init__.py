"""Plain-Python Xero sync engine: planning, pacing, retry classification, payload mapping.

Nothing in this package imports ``odoo``. The Odoo addon reads records into plain
dicts, calls these functions, and writes the plain results back. The data flow is:

* ``planner.plan_batches``: claimed jobs -> ordered batches (and jobs left waiting);
* ``mapping``: plain Odoo data -> Xero JSON elements, plus ``validate_invoice``;
* ``pacing.RatePacer``: how long to wait before the next call, or stop and reschedule;
* ``client.XeroGateway.send_batch``: one batch -> per-element results;
* ``retry.classify`` / ``retry.backoff``: what a failure means and when to try again;
* ``states``: job states, allowed transitions and error categories;
* ``urls``: look-ups cut to Xero's URL limit, measured as encoded on the wire;
* ``totals``: Xero's arithmetic, and ``fit_to_odoo`` to land on Odoo's totals;
* ``taxes``: which tax rate fits which account, the organisation's "no tax" rate;
* ``guards``: allocation caps by what Xero still has open, lock dates;
* ``idempotency``: keys derived from the logical send, not the attempt;
* ``scopes``: the granular OAuth scopes the connector asks for.
"""
