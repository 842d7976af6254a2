import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)

# Xero's deliveries are a few kilobytes; anything far larger is not from Xero.
MAX_WEBHOOK_BYTES = 1_000_000


class ClarusXeroWebhook(http.Controller):
    @http.route("/clarus_xero/webhook/<int:connection_id>", type="http", auth="none",
                methods=["POST"], csrf=False, save_session=False, readonly=False)
    def webhook(self, connection_id, **_kw):
        """Xero's webhook: 200 for a correctly signed body, 401 otherwise, always empty.

        The signature is checked on the raw bytes, before any parsing, in constant time.
        A body over ``MAX_WEBHOOK_BYTES`` is refused unread (413); a signed body that is
        not a Xero payload is refused (400) and nothing of it is stored.
        """
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > MAX_WEBHOOK_BYTES:
            return request.make_response(b"", status=413)
        httprequest.max_content_length = MAX_WEBHOOK_BYTES
        connection = request.env["clarus.xero.connection"].sudo().browse(connection_id).exists()
        raw = httprequest.get_data()
        if len(raw) > MAX_WEBHOOK_BYTES:
            return request.make_response(b"", status=413)
        signature = httprequest.headers.get("x-xero-signature")
        try:
            accepted = bool(connection) and request.env[
                "clarus.xero.webhook.event"].sudo()._receive(connection, raw, signature)
        except ValueError as exc:
            _logger.info("Xero webhook for connection %s refused: %s", connection_id, exc)
            return request.make_response(str(exc).encode(), status=400,
                                         headers=[("Content-Type", "text/plain")])
        return request.make_response(b"", status=200 if accepted else 401)
