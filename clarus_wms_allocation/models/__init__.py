# isort: off
# Order matters: the stock position SQL view is created after the columns it reads.
from . import res_company
from . import res_config_settings
from . import stock_warehouse
from . import clarus_allocation_engine
from . import stock_move
from . import stock_picking
from . import sale_order_line
from . import sale_order
from . import sale_order_board
from . import account_move
from . import clarus_shipment_label
from . import clarus_shipment_label_line
from . import clarus_stock_position
