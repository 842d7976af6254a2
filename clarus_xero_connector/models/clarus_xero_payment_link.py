from odoo import fields, models

LINK_ORIGINS = [("odoo", "Registered in Odoo"), ("xero", "Made in Xero")]
LINK_KINDS = [
    ("payment", "Payment"),
    ("overpayment", "Overpayment"),
    ("prepayment", "Prepayment"),
    ("credit_note", "Credit note allocation"),
]


class ClarusXeroPaymentLink(models.Model):
    """One Xero payment (or allocation) and the Odoo payment and document it stands for.

    A payment in Xero pays one document; an Odoo payment may pay several. Each pair
    (Odoo payment, paid document) is one Xero payment, so each has its own link. The
    origin says which side made it: what came from Xero is never sent back, and what
    Odoo sent is never applied again when Xero reports it.
    """

    _name = "clarus.xero.payment.link"
    _description = "Xero Payment Link"
    _order = "id desc"

    connection_id = fields.Many2one(
        "clarus.xero.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    payment_id = fields.Many2one("account.payment", ondelete="set null", index=True)
    move_id = fields.Many2one("account.move", "Document", ondelete="set null", index=True)
    amount = fields.Float(digits=(16, 2))
    xero_payment_id = fields.Char("Xero Payment ID", index=True)
    origin = fields.Selection(LINK_ORIGINS, required=True)
    kind = fields.Selection(LINK_KINDS, required=True, default="payment")
    state = fields.Selection([("active", "Active"), ("deleted", "Deleted")],
                             default="active", required=True)

    _xero_uniq = models.UniqueIndex(
        "(connection_id, xero_payment_id, move_id) WHERE xero_payment_id IS NOT NULL",
        "A Xero payment is linked once per document.",
    )
