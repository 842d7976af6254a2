from werkzeug.exceptions import BadRequest, Forbidden

from odoo import http
from odoo.http import request

from clarus_sync_engine.oauth import OAuthFlowError

from ..models.clarus_xero_connection import XERO_CALL_ERRORS


class ClarusXeroOAuth(http.Controller):
    @http.route("/clarus_xero/oauth/callback", type="http", auth="user", methods=["GET"])
    def oauth_callback(self, code=None, state=None, error=None, **_kw):
        """Xero sends the user back here. The state must be the one this connection issued
        (CSRF), to the user who started the authorisation, in one of their companies: any
        other state is refused and changes nothing."""
        Connection = request.env["clarus.xero.connection"]
        user = request.env.user
        if not user.has_group("account.group_account_manager"):
            raise Forbidden("Only accounting administrators can connect Xero.")
        conn = Connection._find_by_oauth_state(state)
        if not conn:
            raise BadRequest("This authorisation link is not valid or was already used.")
        if conn.company_id not in user.company_ids:
            raise Forbidden("This authorisation belongs to a company you do not work for; "
                            "nothing was connected.")
        if conn.sudo().oauth_user_id != user:
            raise Forbidden("This authorisation was started by another user; nothing was "
                            "connected. Click 'Connect to Xero' yourself to authorise.")
        try:
            if error or not code:
                raise OAuthFlowError(error or "no authorisation code")
            conn._complete_authorization(code)
        except XERO_CALL_ERRORS as exc:
            # Shown on the connection form, where the user lands.
            conn.sudo().write({
                "last_error": f"Xero refused the authorisation: {exc}",
                "oauth_state": False, "oauth_code_verifier": False, "oauth_user_id": False,
            })
        return request.redirect(
            f"/odoo/action-clarus_xero_connector.clarus_xero_connection_action/{conn.id}"
        )
