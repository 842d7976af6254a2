"""Shared fixtures: a Clarus Xero emulator driven through the real xero-python SDK."""

import os

import pytest
import requests
import urllib3
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.identity import IdentityApi

from clarus_xero_emulator.server import start_server

CLIENT_ID = "clarus-demo-client"
CLIENT_SECRET = "clarus-demo-secret"
NZ_NAME = "Clarus Demo Company (NZ)"
AU_NAME = "Clarus Test Org (AU)"


# pytest-odoo (one of the project's packages) adds session-wide autouse fixtures that
# load an Odoo registry. This suite needs no Odoo: the same names, overridden here for
# the tests below this folder only, keep the plugin out of it. The addons' own tests
# (clarus_*/tests) still run under the plugin with --odoo-database.
@pytest.fixture(scope="session", autouse=True)
def load_registry():
    yield


@pytest.fixture(scope="session", autouse=True)
def load_http():
    yield


@pytest.fixture(scope="module", autouse=True)
def enable_odoo_test_flag():
    yield


@pytest.fixture(scope="session")
def emulator_spec_path():
    """The accounting OpenAPI spec for the contract check (env XERO_OPENAPI_SPEC), loaded once."""
    path = os.environ.get("XERO_OPENAPI_SPEC")
    if not path or not os.path.isfile(path):
        return None
    from clarus_xero_emulator.contract import load_spec

    load_spec(path)
    return path


@pytest.fixture(scope="module")
def emulator_server(emulator_spec_path):
    handle = start_server(seed=True, spec_path=emulator_spec_path)
    yield handle
    handle.stop()


@pytest.fixture
def emulator(emulator_server):
    """The module's emulator, reset to fresh seed data and default limits for each test."""
    state = emulator_server.state
    state.limits.configure(minute_limit=60, day_limit=5000, concurrent_limit=5)
    state.reset_all(seed=True)
    return emulator_server


@pytest.fixture
def token_urls(emulator_server):
    """Point the SDK's token endpoints (class attributes) at the emulator, then restore them."""
    saved = (TokenApi.refresh_token_url, TokenApi.revoke_token_url,
             TokenApi.client_credentials_token_url)
    TokenApi.refresh_token_url = emulator_server.base_url + "/connect/token"
    TokenApi.client_credentials_token_url = emulator_server.base_url + "/connect/token"
    TokenApi.revoke_token_url = emulator_server.base_url + "/connect/revocation"
    yield
    (TokenApi.refresh_token_url, TokenApi.revoke_token_url,
     TokenApi.client_credentials_token_url) = saved


class XeroSdk:
    """One SDK client (AccountingApi + IdentityApi) bound to the emulator."""

    def __init__(self, base_url, token):
        self.base_url = base_url
        self.token = dict(token)
        self.saved = []
        config = Configuration(oauth2_token=OAuth2Token(client_id=CLIENT_ID,
                                                        client_secret=CLIENT_SECRET))
        self.api_client = ApiClient(config, pool_threads=1,
                                    oauth2_token_getter=lambda: self.token,
                                    oauth2_token_saver=self._save)
        pm = self.api_client.rest_client.pool_manager
        pm.connection_pool_kw["retries"] = urllib3.Retry(
            total=0, raise_on_status=False, respect_retry_after_header=False)
        pm.clear()
        self.acct = AccountingApi(self.api_client, base_url=base_url + "/api.xro/2.0")
        self.ident = IdentityApi(self.api_client, base_url=base_url)
        self.tenants = {c.tenant_name: c.tenant_id for c in self.ident.get_connections()}
        self.nz = self.tenants.get(NZ_NAME)
        self.au = self.tenants.get(AU_NAME)

    def _save(self, token):
        self.token = dict(token)
        self.saved.append(dict(token))


def issue_token(base_url, **body):
    body.setdefault("client_id", CLIENT_ID)
    resp = requests.post(base_url + "/_emulator/tokens", json=body, timeout=10)
    resp.raise_for_status()
    return resp.json()


@pytest.fixture
def sdk(emulator, token_urls):
    return XeroSdk(emulator.base_url, issue_token(emulator.base_url))
