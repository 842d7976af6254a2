from . import clarus_xero_tenant_wizard
