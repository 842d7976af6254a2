{
    "name": "Clarus WMS Allocation",
    "summary": "Allocate stock to sale orders by quantity, ship what is allocated, invoice what shipped",
    "version": "19.0.1.0.0",
    "category": "Inventory/Inventory",
    "author": "Clarus",
    "website": "https://github.com/clarus-erp/clarus",
    "license": "LGPL-3",
    "depends": ["sale_stock", "stock_delivery", "clarus_xero_connector"],
    "data": [],
    "demo": [],
    "installable": True,
    "application": True,
}
