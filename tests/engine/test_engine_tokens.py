import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from xero_python.api_client.oauth2 import TokenApi

from clarus_sync_engine.client import make_api_client
from clarus_sync_engine.retry import InvalidGrant
from clarus_sync_engine.tokens import TokenRefreshError, refresh_token, sdk_token


class TokenHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server naming)
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.server.seen.append(form)
        if form["refresh_token"] == ["good"]:
            status, body = 200, {"access_token": "new", "token_type": "Bearer",
                                 "expires_in": 1800, "refresh_token": "rotated",
                                 "scope": "offline_access accounting.invoices"}
        elif form["refresh_token"] == ["stale"]:
            status, body = 400, {"error": "invalid_grant"}
        else:
            status, body = 500, {"oops": True}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def token_url():
    server = HTTPServer(("127.0.0.1", 0), TokenHandler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/connect/token" % server.server_port, server.seen
    server.shutdown()
    server.server_close()


def test_refresh_posts_credentials_in_the_body_and_adds_expires_at(token_url):
    url, seen = token_url
    token = refresh_token("cid", "secret", "good", url, now=1000.0)
    assert token["refresh_token"] == "rotated" and token["expires_at"] == 2800.0
    assert seen[0]["grant_type"] == ["refresh_token"] and seen[0]["client_secret"] == ["secret"]


def test_stale_refresh_token_raises_invalid_grant(token_url):
    with pytest.raises(InvalidGrant):
        refresh_token("cid", "secret", "stale", token_url[0])
    with pytest.raises(TokenRefreshError) as info:
        refresh_token("cid", "secret", "other", token_url[0])
    assert info.value.status == 500


def test_sdk_token_drops_keys_the_sdk_would_reject():
    raw = {"access_token": "a", "token_type": "Bearer", "expires_in": 1800,
           "scope": "a b", "refresh_token": "r", "expires_at": 5.0, "ext_expires_in": 1,
           "tenant": "x"}
    token = sdk_token(raw)
    assert set(token) == {"access_token", "token_type", "expires_in", "scope",
                          "refresh_token", "expires_at"}
    assert token["scope"] == ["a", "b"]


def test_sdk_auto_refresh_uses_the_per_client_url_and_leaves_the_class_alone(token_url):
    url, seen = token_url
    saved = []
    stored = {"access_token": "old", "token_type": "Bearer", "expires_in": 1800,
              "scope": ["offline_access"], "refresh_token": "good", "expires_at": 1.0,
              "xero_userid": "extra key the SDK would reject"}
    client = make_api_client("cid", "secret", lambda: stored, saved.append,
                             identity_base_url=url.rsplit("/connect/token", 1)[0])
    client.refresh_oauth2_token()
    assert saved and saved[-1]["access_token"] == "new" and seen
    assert TokenApi.refresh_token_url == "https://identity.xero.com/connect/token"


def test_each_client_keeps_its_own_credentials_despite_the_sdk_default_configuration():
    first = make_api_client("cid-1", "s1", dict, print, identity_base_url="http://a")
    second = make_api_client("cid-2", "s2", dict, print, identity_base_url="http://b")
    assert first.configuration.oauth2_token.client_id == "cid-1"
    assert second.configuration.oauth2_token.client_id == "cid-2"
    assert second.configuration.oauth2_token.token_url == "http://b/connect/token"
