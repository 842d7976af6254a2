from odoo import fields, models, tools


class ClarusStockPosition(models.Model):
    """Stock figures per product and location (and so per warehouse), read-only.

    On hand and reserved come from quants; allocated from the reservations of
    allocation-managed moves; demand not yet allocated from the open sale moves that take
    stock out of the stock location (the delivery in one step, the pick in two or three
    steps; later steps are not counted again), at the location they take it from. All in
    the product's unit.
    """

    _name = "clarus.stock.position"
    _description = "Allocation Stock Position"
    _auto = False
    _order = "product_id, location_id"
    _depends = {
        "stock.quant": ["product_id", "location_id", "quantity", "reserved_quantity"],
        "stock.move": ["clarus_allocated_qty", "product_qty", "sale_line_id", "state",
                       "picked", "picking_type_id", "location_id", "product_id",
                       "move_orig_ids", "origin_returned_move_id"],
        "stock.picking.type": ["code", "warehouse_id"],
        "stock.warehouse": ["pick_type_id", "lot_stock_id"],
        "stock.move.line": ["quantity_product_uom", "picked", "move_id", "location_id"],
        "stock.location": ["usage", "warehouse_id", "company_id", "parent_path"],
    }

    product_id = fields.Many2one("product.product", readonly=True)
    location_id = fields.Many2one("stock.location", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    on_hand_qty = fields.Float("On Hand", digits="Product Unit", readonly=True)
    allocated_qty = fields.Float("Allocated", digits="Product Unit", readonly=True)
    available_qty = fields.Float("Available to Allocate", digits="Product Unit", readonly=True)
    unallocated_demand_qty = fields.Float(
        "Demand Not Allocated", digits="Product Unit", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(f"""
            CREATE VIEW {self._table} AS (
            WITH figures AS (
                SELECT q.product_id, q.location_id, q.quantity AS on_hand,
                       q.quantity - q.reserved_quantity AS available,
                       0.0 AS allocated, 0.0 AS demand
                  FROM stock_quant q
                  JOIN stock_location l ON l.id = q.location_id AND l.usage = 'internal'
                UNION ALL
                SELECT ml.product_id, ml.location_id, 0.0, 0.0, ml.quantity_product_uom, 0.0
                  FROM stock_move_line ml
                  JOIN stock_move m ON m.id = ml.move_id
                 WHERE m.clarus_allocated_qty > 0 AND NOT ml.picked
                   AND m.state NOT IN ('draft', 'done', 'cancel')
                UNION ALL
                SELECT m.product_id, m.location_id, 0.0, 0.0, 0.0,
                       m.product_qty - COALESCE(m.clarus_allocated_qty, 0.0)
                  FROM stock_move m
                  JOIN stock_picking_type t ON t.id = m.picking_type_id
                  JOIN stock_location src ON src.id = m.location_id
                  LEFT JOIN stock_warehouse w ON w.id = t.warehouse_id
                  LEFT JOIN stock_location ws ON ws.id = w.lot_stock_id
                 WHERE m.sale_line_id IS NOT NULL
                   AND (t.code = 'outgoing'
                        OR (t.id = w.pick_type_id AND m.origin_returned_move_id IS NULL
                            AND src.parent_path LIKE ws.parent_path || '%'))
                   AND NOT EXISTS (SELECT 1 FROM stock_move_move_rel r
                                    WHERE r.move_dest_id = m.id)
                   AND m.state IN ('confirmed', 'waiting', 'partially_available', 'assigned')
                   AND NOT m.picked
            )
            SELECT row_number() OVER (ORDER BY f.product_id, f.location_id) AS id,
                   f.product_id, f.location_id, l.warehouse_id, l.company_id,
                   SUM(f.on_hand) AS on_hand_qty,
                   SUM(f.allocated) AS allocated_qty,
                   SUM(f.available) AS available_qty,
                   SUM(f.demand) AS unallocated_demand_qty
              FROM figures f
              JOIN stock_location l ON l.id = f.location_id
             GROUP BY f.product_id, f.location_id, l.warehouse_id, l.company_id
            )
        """)
