"""Plain parts of the Xero client, and its look-ups through the real SDK and urllib3
with the socket replaced: every URL the SDK would put on the wire is captured."""

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token

from clarus_sync_engine import states, urls
from clarus_sync_engine.client import XeroGateway, contact_conflict, element_result
from clarus_sync_engine.retry import LookupNotFound, classify

BASE = "https://api.xero.com/api.xro/2.0"


def test_chunks_fit_the_encoded_url_and_keep_every_value_in_order():
    # Quotes, spaces and '&' triple in size once encoded: 60 names of ~45 raw characters
    # are ~2,700 characters of where text, under the old 4,000 raw-character budget.
    names = ['Customer "%02d" & Sons of Wellington, Ltd' % i for i in range(60)]
    clauses = [urls.equals_clause("Name", n) for n in names]
    assert len(urls.or_join(clauses)) < 4000  # the old chunker sent all of it at once
    assert len(urls.encoded_url(BASE + "/Contacts", [("where", urls.or_join(clauses))])) > 2000
    chunks = urls.chunk_values(BASE + "/Contacts", [("includeArchived", True)], "where",
                               clauses, urls.or_join)
    assert len(chunks) > 1
    assert [c for chunk in chunks for c in chunk] == clauses
    for chunk in chunks:
        url = urls.encoded_url(BASE + "/Contacts", [("includeArchived", True),
                                                   ("where", urls.or_join(chunk))])
        assert len(url) <= urls.URL_BUDGET < urls.URL_MAX


def test_chunks_are_greedy():
    ids = [str(uuid.UUID(int=i)) for i in range(200)]
    chunks = urls.chunk_values(BASE + "/Invoices", [], "IDs", ids, urls.csv_join)
    for chunk, following in zip(chunks, chunks[1:], strict=False):
        longer = urls.encoded_url(BASE + "/Invoices", [("IDs", urls.csv_join(
            chunk + following[:1]))])
        assert len(longer) > urls.URL_BUDGET, "a chunk was closed while the next ID fitted"


def test_a_value_too_long_alone_is_a_clear_error():
    with pytest.raises(urls.UrlTooLong, match="Shorten the value"):
        urls.chunk_values(BASE + "/Contacts", [], "where",
                          [urls.equals_clause("Name", "é" * 400)], urls.or_join)


class FakeWire:
    """Stands in for the socket: records each URL urllib3 would request, answers JSON."""

    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def urlopen(self, method, url, body=None, **_kw):
        self.calls.append((method, url, json.loads(body) if body else None))
        status, data = self.answer(method, url, json.loads(body) if body else None)
        return urllib3.HTTPResponse(body=json.dumps(data).encode(), status=status,
                                    headers={"Content-Type": "application/json"},
                                    preload_content=False)


def gateway_with(answer):
    token = {"access_token": "a", "token_type": "Bearer", "expires_in": 1800, "scope": []}
    configuration = Configuration()
    configuration.oauth2_token = OAuth2Token()
    client = ApiClient(configuration, pool_threads=1, oauth2_token_getter=lambda: token)
    wire = FakeWire(answer)
    client.rest_client.pool_manager.urlopen = wire.urlopen
    return XeroGateway(client, "https://api.xero.com"), wire


def test_find_contacts_splits_by_the_real_url_and_matches_names_as_xero_does():
    names = ["Acme & Sons %03d of Greater Wellington" % i for i in range(80)]

    def answer(method, url, body):
        where = parse_qs(urlsplit(url).query)["where"][0]
        found = [{"ContactID": str(i), "Name": n.upper()} for i, n in enumerate(names)
                 if '"%s"' % n in where]
        return 200, {"Contacts": found}

    gateway, wire = gateway_with(answer)
    by_number, by_name, _ = gateway.find_contacts("t", names=[" %s " % n.replace(" ", "  ")
                                                               for n in names])
    assert len(wire.calls) > 1
    assert all(len(url) <= urls.URL_BUDGET for _m, url, _b in wire.calls)
    assert all("includeArchived=True" in url for _m, url, _b in wire.calls)
    assert len(by_name) == 80 and not by_number


def test_invoice_numbers_and_webhook_ids_are_chunked():
    ids = [str(uuid.uuid4()) for _ in range(120)]
    gateway, wire = gateway_with(lambda m, url, b: (200, {"Invoices": [], "CreditNotes": []}))
    gateway.read_by_ids("invoice", "t", ids)
    gateway.read_by_ids("credit_note", "t", ids)
    gateway.find_existing("invoice", "t", ["INV/2026/%05d" % i for i in range(300)])
    assert len(wire.calls) >= 6
    assert all(len(url) <= urls.URL_BUDGET for _m, url, _b in wire.calls)
    sent_ids = [i for _m, url, _b in wire.calls if "/Invoices?" in url and "IDs=" in url
                for i in parse_qs(urlsplit(url).query)["IDs"][0].split(",")]
    assert sent_ids == ids


def test_a_lookup_404_is_not_a_validation_failure():
    gateway, _wire = gateway_with(lambda m, url, b: (404, {"Message": "not found"}))
    with pytest.raises(LookupNotFound) as info:
        gateway.find_existing("invoice", "t", ["INV/1"])
    verdict = classify(info.value)
    assert verdict.category == states.TRANSIENT and verdict.retryable
    assert "not proof" in verdict.message


def test_new_contacts_go_by_put_bound_ones_by_post_and_results_keep_order():
    def answer(method, url, body):
        out = []
        for element in body["Contacts"]:
            if element["Name"] == "Taken":
                out.append(dict(element, HasValidationErrors=True, StatusAttributeString="ERROR",
                                ValidationErrors=[{"Message": "The contact name Taken is "
                                                   "already assigned to another contact."}]))
            else:
                out.append(dict(element, ContactID=element.get("ContactID") or "new-" +
                                element["Name"], StatusAttributeString="OK"))
        return 200, {"Contacts": out}

    gateway, wire = gateway_with(answer)
    payloads = [{"Name": "Fresh", "ContactNumber": "C1"},
                {"ContactID": "c-2", "Name": "Bound", "ContactNumber": "C2"},
                {"Name": "Taken", "ContactNumber": "C3"}]
    result = gateway.send_batch("contact", "t", payloads, "key-1")
    methods = {m: b for m, _url, b in wire.calls}
    assert set(methods) == {"PUT", "POST"}
    assert [e["Name"] for e in methods["PUT"]["Contacts"]] == ["Fresh", "Taken"]
    assert methods["POST"]["Contacts"] == [payloads[1]]
    assert all("summarizeErrors=False" in url for _m, url, _b in wire.calls)
    fresh, bound, taken = result.results
    assert (fresh.ok, fresh.xero_id, bound.ok, bound.xero_id) == (True, "new-Fresh", True, "c-2")
    assert not taken.ok and taken.conflict == "name_clash"


def test_contact_conflict_reads_xero_refusals():
    assert contact_conflict(["The contact name Acme is already assigned to another contact. "
                             "The contact name must be unique across all active contacts."]) \
        == "name_clash"
    assert contact_conflict(["The contact number C1 is already assigned to another contact."]) \
        == "number_clash"
    assert contact_conflict(["Email address must be valid."]) is None


def test_element_result_reads_identity_and_errors():
    ok = element_result("invoice", {"InvoiceID": "i1", "InvoiceNumber": "INV/1",
                                    "Status": "AUTHORISED", "StatusAttributeString": "OK"})
    assert (ok.ok, ok.xero_id, ok.number, ok.status) == (True, "i1", "INV/1", "AUTHORISED")
    bad = element_result("contact", {"Name": "X", "HasErrors": True, "ValidationErrors": [
        {"Message": "The contact name X is already assigned to another contact."}]})
    assert not bad.ok and "already assigned" in bad.errors[0] and bad.conflict == "name_clash"
    archived = element_result("contact", {"ContactID": "c1", "ContactStatus": "ARCHIVED"})
    assert archived.status == "ARCHIVED" and archived.conflict is None


def test_a_name_too_long_to_look_up_is_left_to_puts_refusal():
    gateway, wire = gateway_with(lambda m, url, b: (200, {"Contacts": []}))
    _by_number, by_name, _ = gateway.find_contacts("t", numbers=["C1"], names=["東" * 255,
                                                                              "Acme"])
    assert len(wire.calls) == 1 and "%E6%9D%B1" not in wire.calls[0][1] and not by_name
    assert "Acme" in parse_qs(urlsplit(wire.calls[0][1]).query)["where"][0]
    verdict = classify(urls.UrlTooLong("too long"))
    assert (verdict.category, verdict.retryable) == (states.VALIDATION, False)


def test_the_measured_url_is_the_url_on_the_wire():
    gateway, wire = gateway_with(lambda m, url, b: (200, {"Contacts": []}))
    gateway.find_contacts("t", numbers=["C/1 & 2"], names=['Zoë "Z" Ltd'])
    (_method, url, _body), = wire.calls
    where = 'ContactNumber=="C/1 & 2" OR Name=="Zoë \\"Z\\" Ltd"'
    assert url == urls.encoded_url(BASE + "/Contacts",
                                   [("where", where), ("includeArchived", True)])
