# Mixins first: the models below inherit them.
from . import clarus_xero_sync_mixin
from . import clarus_xero_connection
from . import clarus_xero_binding
from . import clarus_xero_api_usage
from . import clarus_xero_reference
from . import clarus_xero_mapping
from . import clarus_xero_job
from . import clarus_xero_document
from . import clarus_xero_push
from . import clarus_xero_webhook_event
from . import account_move
from . import account_move_line
from . import res_partner
from . import product_product
from . import sale_order
from . import purchase_order
from . import stock_picking
