# Run inside `python -m odoo shell`: uninstall both addons and check nothing of them stays.
modules = env["ir.module.module"].search(  # noqa: F821
    [("name", "in", ("clarus_wms_allocation", "clarus_xero_connector")),
     ("state", "=", "installed")])
modules.button_immediate_uninstall()
env.invalidate_all()  # noqa: F821
cr = env.cr  # noqa: F821
cr.execute("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'clarus%%'")
tables = [row[0] for row in cr.fetchall()]
cr.execute("SELECT model FROM ir_model WHERE model LIKE 'clarus.%%'")
models = [row[0] for row in cr.fetchall()]
cr.execute("SELECT name FROM ir_model_fields WHERE name LIKE 'clarus%%'")
fields_left = [row[0] for row in cr.fetchall()]
states = env["ir.module.module"].search(  # noqa: F821
    [("name", "in", ("clarus_wms_allocation", "clarus_xero_connector"))]).mapped("state")
if tables or models or fields_left or set(states) - {"uninstalled", "uninstallable"}:
    print("UNINSTALL-LEFT-OVERS", tables, models, fields_left, states)
else:
    print("UNINSTALL-CLEAN")
