from . import clarus_xero_tenant_wizard
from . import clarus_xero_missing_items_wizard
from . import clarus_xero_import_wizard_line
from . import clarus_xero_import_wizard
