import random

import pytest

from clarus_sync_engine.planner import plan_batches


def job(id, kind, key, tenant="T1", **extra):
    return {"id": id, "tenant": tenant, "kind": kind, "record_key": key, **extra}


def test_prerequisite_kinds_come_first_and_groups_are_per_tenant_and_kind():
    jobs = [
        job(1, "history", "note,1"),
        job(2, "invoice", "move,1"),
        job(3, "credit_note", "move,2"),
        job(4, "contact", "partner,1"),
        job(5, "item", "product,1"),
        job(6, "allocation", "alloc,1"),
        job(7, "contact", "partner,2", tenant="T2"),
    ]
    plan = plan_batches(jobs)
    order = [(b.tenant, b.kind) for b in plan.batches]
    assert order.index(("T1", "contact")) < order.index(("T1", "invoice"))
    assert order.index(("T1", "item")) < order.index(("T1", "invoice"))
    assert order.index(("T1", "invoice")) < order.index(("T1", "credit_note"))
    assert order.index(("T1", "credit_note")) < order.index(("T1", "allocation"))
    assert order.index(("T1", "allocation")) < order.index(("T1", "history"))
    assert ("T2", "contact") in order and len(order) == 7


def test_an_update_never_shares_a_batch_with_or_overtakes_its_creation():
    jobs = [job(10, "invoice", "move,1"), job(11, "invoice", "move,1"),
            job(12, "invoice", "move,2")]
    plan = plan_batches(jobs)
    assert [b.job_ids for b in plan.batches] == [(10, 12)]
    assert [w.job_id for w in plan.waiting] == [11]
    assert "earlier change" in plan.waiting[0].reason
    assert plan.waiting[0].blocker_id == 10


def test_failed_earlier_change_holds_back_later_changes_of_the_same_record():
    jobs = [job(1, "invoice", "move,1", state="failed"), job(2, "invoice", "move,1")]
    plan = plan_batches(jobs)
    assert plan.batches == []
    assert plan.waiting[0].job_id == 2 and "failed" in plan.waiting[0].reason


def test_documents_wait_for_pending_or_failed_prerequisites_transitively():
    jobs = [
        job(1, "contact", "partner,1", state="failed"),
        job(2, "invoice", "move,1", depends_on=["partner,1"]),
        job(3, "credit_note", "move,2", depends_on=["move,1"]),
        job(4, "invoice", "move,3", depends_on=["partner,2"]),  # partner,2 already done
    ]
    plan = plan_batches(jobs)
    assert [b.job_ids for b in plan.batches] == [(4,)]
    reasons = {w.job_id: w.reason for w in plan.waiting}
    assert set(reasons) == {2, 3}
    assert "partner,1" in reasons[2] and "move,1" in reasons[3]
    # Each waiting job names the job it waits for, so it can be released when that one is.
    assert {w.job_id: w.blocker_id for w in plan.waiting} == {2: 1, 3: 2}


def test_prerequisite_in_another_tenant_does_not_block():
    jobs = [job(1, "contact", "partner,1", tenant="T2"),
            job(2, "invoice", "move,1", depends_on=["partner,1"])]
    assert [b.job_ids for b in plan_batches(jobs).batches] == [(1,), (2,)]


def test_count_and_byte_limits_split_batches_in_order():
    jobs = [job(i, "invoice", "move,%d" % i, payload_size=400) for i in range(1, 8)]
    by_count = plan_batches(jobs, max_per_batch=3)
    assert [b.job_ids for b in by_count.batches] == [(1, 2, 3), (4, 5, 6), (7,)]
    by_bytes = plan_batches(jobs, max_bytes=1000)
    assert [len(b.job_ids) for b in by_bytes.batches] == [2, 2, 2, 1]
    assert all(b.size <= 1000 for b in by_bytes.batches)


def test_payload_size_is_measured_from_the_payload_when_not_given():
    big = {"Description": "x" * 600}
    plan = plan_batches([job(1, "item", "p,1", payload=big), job(2, "item", "p,2", payload=big)],
                        max_bytes=1000)
    assert [b.job_ids for b in plan.batches] == [(1,), (2,)]


def test_a_job_too_large_for_any_request_is_reported_not_sent():
    plan = plan_batches([job(1, "invoice", "m,1", payload_size=5000)], max_bytes=1000)
    assert plan.batches == [] and plan.oversized == [1]


def test_single_element_kinds_are_batches_of_one():
    jobs = [job(i, kind, "%s,%d" % (kind, i)) for i, kind in
            enumerate(["allocation", "allocation", "history", "history"], start=1)]
    assert all(len(b.job_ids) == 1 for b in plan_batches(jobs).batches)


def test_priority_orders_within_a_group_and_output_is_deterministic():
    jobs = [job(i, "contact", "p,%d" % i, priority=(5 if i % 2 else 20)) for i in range(1, 9)]
    plan = plan_batches(jobs)
    assert plan.batches[0].job_ids == (1, 3, 5, 7, 2, 4, 6, 8)
    shuffled = jobs[:]
    random.Random(3).shuffle(shuffled)
    assert plan_batches(shuffled) == plan


def test_objects_are_accepted_as_jobs_and_unknown_kinds_rejected():
    class Job:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    plan = plan_batches([Job(id=1, tenant="T", kind="payment", record_key="pay,1")])
    assert plan.batches[0].kind == "payment"
    with pytest.raises(ValueError, match="Unknown job kind"):
        plan_batches([job(1, "journal", "x,1")])



def test_split_by_size_keeps_order_and_the_limit():
    import json

    from clarus_sync_engine.planner import ENVELOPE_BYTES, split_by_size

    elements = [{"InvoiceNumber": f"INV-{i}", "Description": "x" * (100 * (i % 4 + 1))}
                for i in range(30)]
    groups = split_by_size(elements, max_bytes=1500)
    assert [i for group in groups for i in group] == list(range(30))
    for group in groups:
        body = json.dumps([elements[i] for i in group], separators=(",", ":"))
        assert len(body) + ENVELOPE_BYTES <= 1500
    assert split_by_size(elements) == [list(range(30))], "small batches stay whole"
    huge = [{"Description": "y" * 5000}, {"Description": "z"}]
    assert split_by_size(huge, max_bytes=1000) == [[0], [1]]
