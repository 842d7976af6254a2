{
    "name": "Clarus WMS Allocation",
    "summary": "Allocate stock to orders by quantity, ship what is allocated, bill what shipped",
    "version": "19.0.1.0.0",
    "category": "Inventory/Inventory",
    "author": "Clarus",
    "website": "https://github.com/clarus-erp/clarus",
    "license": "LGPL-3",
    "depends": ["sale_stock", "stock_delivery"],
    "data": [],
    "demo": [],
    "installable": True,
    "application": True,
}
