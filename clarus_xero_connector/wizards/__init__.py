from . import clarus_xero_tenant_wizard
from . import clarus_xero_missing_items_wizard
