from odoo import api, models

from clarus_sync_engine import stock


class ClarusXeroDocument(models.AbstractModel):
    """Stock operations -> zero-total Xero bills and supplier credit notes
    (``clarus_sync_engine.stock``: how Xero values them, and the rounding)."""

    _inherit = "clarus.xero.document"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _stock_increase_element(self, ctx, record):
        return self._stock_element(ctx, record, stock.INCREASE)

    @api.model
    def _stock_decrease_element(self, ctx, record):
        return self._stock_element(ctx, record, stock.DECREASE)

    def _stock_element(self, ctx, record, direction):
        conn = ctx["connection"]
        moves = record._clarus_xero_stock_moves(direction)
        if not moves:
            # Its products were flagged "do not export" (or lost their code) since it
            # was queued: nothing is left for Xero, and the job is done without a call.
            ctx.setdefault("settled", {})[(record._name, record.id)] = self.env._(
                "None of its products is a Xero item any more; nothing was sent.")
            return None, []
        partner = record._clarus_xero_stock_partner(conn)
        data = {
            "direction": direction,
            "number": record._clarus_xero_stock_number(),
            "reference": self.env._("Stock adjustment %(ref)s", ref=record.display_name),
            "date": record._clarus_xero_stock_date(),
            "contact_id": self._binding_id(ctx, partner),
            "currency": record.company_id.currency_id.name,
            "inventory_account": conn.inventory_account_code or None,
            "adjustment_account": conn.stock_adjustment_account_code or None,
            "tax_type": ctx["no_tax_type"],
            "tracking": self._stock_tracking(ctx, moves),
            "lines": self._stock_lines(moves),
        }
        return stock.adjustment_payload(data, ctx["known"], translate=self.env._)

    def _stock_lines(self, moves):
        """One line per product: the quantity moved in its unit, and Odoo's value of it."""
        lines = {}
        for move in moves:
            product = move.product_id
            quantity = move.product_uom._compute_quantity(
                move.quantity, product.uom_id, rounding_method="HALF-UP")
            line = lines.setdefault(product.id, {
                "item_code": product.default_code, "product": product.display_name,
                "description": product.display_name, "quantity": 0.0, "value": 0.0,
                "on_hand_after": None})
            line["quantity"] += quantity
            line["value"] += abs(move.value)
            if move.is_inventory and move.location_id.usage == "internal":
                after = move.clarus_xero_on_hand_after
                line["on_hand_after"] = after if line["on_hand_after"] is None \
                    else min(after, line["on_hand_after"])
        return list(lines.values())

    def _stock_tracking(self, ctx, moves):
        """The warehouse's tracking option, when tracking follows warehouses."""
        conn = ctx["connection"]
        if conn.tracking_source != "warehouse" or not moves:
            return []
        inside = moves[:1].location_id if moves[:1].location_id.usage == "internal" \
            else moves[:1].location_dest_id
        option = ctx["maps"]["warehouse"].get(inside.warehouse_id.id)
        return [{"name": option[0], "option": option[1]}] if option else []
