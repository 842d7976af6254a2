"""Plain parts of the Xero client: no server needed."""

from clarus_sync_engine.client import _where_any, _where_chunks, element_result


def test_where_clauses_are_chunked_under_the_url_budget():
    clauses = [_where_any("Name", [f"Customer {i:03d}"]) for i in range(100)]
    chunks = list(_where_chunks(clauses, 300))
    assert all(len(chunk) <= 300 for chunk in chunks)
    rejoined = [part for chunk in chunks for part in chunk.split(" OR ")]
    assert rejoined == clauses, "every clause once, in order"
    assert len(chunks) > 1


def test_element_result_reads_identity_and_errors():
    ok = element_result("invoice", {"InvoiceID": "i1", "InvoiceNumber": "INV/1",
                                    "Status": "AUTHORISED", "StatusAttributeString": "OK"})
    assert (ok.ok, ok.xero_id, ok.number, ok.status) == (True, "i1", "INV/1", "AUTHORISED")
    bad = element_result("contact", {"Name": "X", "HasErrors": True, "ValidationErrors": [
        {"Message": "The contact name X is already assigned to another contact."}]})
    assert not bad.ok and "already assigned" in bad.errors[0]
    archived = element_result("contact", {"ContactID": "c1", "ContactStatus": "ARCHIVED"})
    assert archived.status == "ARCHIVED"
