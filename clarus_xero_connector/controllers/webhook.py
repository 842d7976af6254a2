from odoo import http
from odoo.http import request


class ClarusXeroWebhook(http.Controller):
    @http.route("/clarus_xero/webhook/<int:connection_id>", type="http", auth="none",
                methods=["POST"], csrf=False, save_session=False, readonly=False)
    def webhook(self, connection_id, **_kw):
        """Xero's webhook: 200 for a correctly signed body, 401 otherwise, always empty.

        The signature is checked on the raw bytes, before any parsing, in constant time.
        """
        connection = request.env["clarus.xero.connection"].sudo().browse(connection_id).exists()
        raw = request.httprequest.get_data()
        signature = request.httprequest.headers.get("x-xero-signature")
        accepted = bool(connection) and request.env["clarus.xero.webhook.event"].sudo()._receive(
            connection, raw, signature
        )
        return request.make_response(b"", status=200 if accepted else 401)
