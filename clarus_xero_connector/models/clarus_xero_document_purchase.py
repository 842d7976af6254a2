from odoo import api, fields, models

from clarus_sync_engine import mapping

# Odoo purchase order state -> Xero purchase order status.
STATUS_BY_STATE = {"draft": "DRAFT", "sent": "DRAFT", "to approve": "SUBMITTED",
                   "purchase": "AUTHORISED", "cancel": "DELETED"}
# Xero moves an order to BILLED only from AUTHORISED (and creates none as BILLED).
BILLABLE_FROM = ("AUTHORISED", "BILLED")


def purchase_order_status(state, fully_billed, xero_status):
    """The Xero status an Odoo purchase order goes with.

    ``state``: the Odoo order's state; ``fully_billed``: Odoo's billing status is
    "invoiced"; ``xero_status``: what Xero holds now (None when it holds nothing).
    A fully billed order becomes BILLED once Xero holds it AUTHORISED; before that it
    goes AUTHORISED (the binding then queues it again)."""
    status = STATUS_BY_STATE.get(state, "DRAFT")
    if status == "AUTHORISED" and fully_billed and xero_status in BILLABLE_FROM:
        return "BILLED"
    return status


class ClarusXeroDocument(models.AbstractModel):
    """Purchase orders -> Xero PurchaseOrders."""

    _inherit = "clarus.xero.document"

    @api.model
    def _purchase_order_element(self, ctx, order):
        binding = self.env["clarus.xero.binding"]._get(ctx["connection"], order)
        held = binding.xero_status if binding and binding.xero_status != "DELETED" else None
        if held == "BILLED" and order.state != "cancel":
            # Xero takes no change to a billed order (its status is final there): the
            # change stays in Odoo, and the job says so instead of failing on each retry.
            ctx.setdefault("settled", {})[(order._name, order.id)] = self.env._(
                "Xero holds this order as BILLED and takes no more changes to it; the "
                "change stays in Odoo.")
            return None, []
        data = self._purchase_order_data(ctx, order, binding.xero_id if held else None, held)
        problems = self._purchase_line_problems(order)
        # A cancelled order Xero holds goes as a deletion; Xero refuses to delete one it
        # already billed, and the job then fails with its reason, shown on the order.
        payload = mapping.purchase_order_payload(data, problems)
        problems += mapping.validate_purchase_order(payload, ctx["known"])
        return payload, problems

    def _purchase_order_data(self, ctx, order, xero_id, held):
        """Plain data for ``mapping.purchase_order_payload`` (see its module docstring)."""
        company_currency = order.company_id.currency_id
        address = order.dest_address_id or order.picking_type_id.warehouse_id.partner_id
        return {
            "xero_id": xero_id,
            "number": order.name,
            "date": self._local_date(order, order.date_approve or order.date_order),
            "delivery_date": self._local_date(order, order.date_planned),
            "currency": order.currency_id.name,
            "rate": order.currency_rate if order.currency_id != company_currency else None,
            "contact_id": self._binding_id(ctx, order.partner_id.commercial_partner_id),
            "reference": order.partner_ref or None,
            "delivery_address": self._delivery_address(address),
            "telephone": address.phone or None,
            "status": purchase_order_status(
                order.state, order.invoice_status == "invoiced", held),
            "line_amount_types": self._purchase_amount_types(order),
            "rounding": order.company_id.tax_calculation_rounding_method,
            "amount_untaxed": order.amount_untaxed,
            "amount_tax": order.amount_tax,
            "amount_total": order.amount_total,
            "no_tax_type": ctx["no_tax_type"],
            "rounding_account_code": ctx["connection"].rounding_account_code or None,
            "lines": [self._purchase_line_data(ctx, order, line)
                      for line in self._purchase_lines(order)],
        }

    def _purchase_lines(self, order):
        return order.order_line.filtered(lambda line: not line.display_type)

    def _purchase_line_problems(self, order):
        problems = []
        for index, line in enumerate(self._purchase_lines(order), start=1):
            if len(line.tax_ids) > 1:
                problems.append(self.env._(
                    "Line %(index)s (%(name)s) has %(count)s taxes; Xero takes one tax rate "
                    "per line. Use a single (group) tax mapped to one Xero tax rate.",
                    index=index, name=line.name or "", count=len(line.tax_ids)))
        return problems

    def _local_date(self, order, value):
        if not value:
            return None
        return fields.Datetime.context_timestamp(order, value).date()

    def _delivery_address(self, partner):
        """Where the goods go (the dropship address, else the receiving warehouse's), as
        address lines."""
        if not partner:
            return None
        lines = [partner.name or ""]
        lines += partner._display_address(without_company=True).splitlines()
        return list(dict.fromkeys(line.strip() for line in lines if line.strip())) or None

    def _purchase_amount_types(self, order):
        taxes = order.order_line.tax_ids
        if not taxes:
            return "NoTax"
        return "Inclusive" if all(taxes.mapped("price_include")) else "Exclusive"

    def _purchase_line_data(self, ctx, order, line):
        conn = ctx["connection"]
        product = line.product_id
        shipping = conn._is_shipping_product(product)
        tax = line.tax_ids[:1]
        tax_type = ctx["maps"]["tax"].get(tax.id) if tax else ctx["no_tax_type"]
        if shipping:
            account_code = conn.shipping_expense_account_code
        else:
            account = product.property_account_expense_id \
                or product.categ_id.property_account_expense_categ_id
            account_code = self._account_code(ctx, account) or conn.default_expense_account_code
        description = line.name or product.display_name
        if not conn.include_product_description and product:
            description = product.display_name
        return {
            "item_code": (product.default_code or None)
            if product and not product.clarus_xero_no_sync else None,
            "shipping": shipping,
            "description": description,
            "quantity": line.product_qty,
            "price_unit": line.price_unit,
            # Sent net of the discount: Xero takes discounts on sales documents only.
            "discount": line.discount,
            "account_code": account_code,
            "tax_type": tax_type,
            "tax_rate": self._tax_rate(ctx, tax, tax_type),
            "tracking": self._purchase_tracking(ctx, order, line),
        }

    def _purchase_tracking(self, ctx, order, line):
        conn, maps = ctx["connection"], ctx["maps"]
        option = None
        if conn.tracking_source == "warehouse":
            option = maps["warehouse"].get(order.picking_type_id.warehouse_id.id)
        elif conn.tracking_source == "analytic":
            for account_id in (line.analytic_distribution or {}):
                option = maps["analytic"].get(int(str(account_id).split(",")[0]))
                if option:
                    break
        return [{"name": option[0], "option": option[1]}] if option else []
