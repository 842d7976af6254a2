import random
from datetime import date, datetime

import pytest

from clarus_allocation_planner import (
    MODE_ALL_OR_NOTHING,
    MODE_PARTIAL,
    AllocationInputError,
    DemandLine,
    check_requested_quantity,
    plan_allocation,
    priority_inversions,
    serving_order,
)

P1, P2, LOC, LOC2 = 1, 2, 10, 20


def line(order, line_id, qty, product=P1, loc=LOC, **kw):
    return DemandLine(order, line_id, product, loc, qty, **kw)


def allocated(plan):
    return {a.line_id: a.allocated for a in plan.allocations}


def test_priority_beats_dates_and_ids():
    demands = [
        line(1, 11, 5, order_date=datetime(2025, 1, 1)),
        line(2, 21, 5, priority=1, order_date=datetime(2025, 3, 1)),
    ]
    plan = plan_allocation(demands, {(P1, LOC): 5})
    assert allocated(plan) == {21: 5, 11: 0}
    assert plan.shortfalls == {11: 5}
    assert plan.short_order_ids == [1]


def test_commitment_date_then_order_date_then_id():
    demands = [
        line(4, 41, 1, order_date=datetime(2025, 1, 1)),
        line(3, 31, 1, order_date=datetime(2025, 1, 1)),
        line(2, 21, 1, order_date=datetime(2024, 1, 1)),
        line(1, 11, 1, commitment_date=datetime(2025, 6, 1), order_date=datetime(2025, 2, 1)),
    ]
    assert [oid for oid, _ in serving_order(demands)] == [1, 2, 3, 4]
    plan = plan_allocation(demands, {(P1, LOC): 3})
    assert allocated(plan) == {11: 1, 21: 1, 31: 1, 41: 0}


def test_missing_dates_are_served_last_and_dates_mix_with_datetimes():
    demands = [
        line(1, 11, 1),
        line(2, 21, 1, commitment_date=date(2025, 5, 1)),
        line(3, 31, 1, commitment_date=datetime(2025, 4, 30, 23, 0)),
    ]
    assert [oid for oid, _ in serving_order(demands)] == [3, 2, 1]


def test_partial_mode_serves_lines_in_part():
    demands = [line(1, 11, 4), line(1, 12, 3, product=P2), line(2, 21, 4)]
    plan = plan_allocation(demands, {(P1, LOC): 6, (P2, LOC): 1}, MODE_PARTIAL)
    assert allocated(plan) == {11: 4, 12: 1, 21: 2}
    assert plan.shortfalls == {12: 2, 21: 2}
    assert plan.remaining == {(P1, LOC): 0, (P2, LOC): 0}


def test_all_or_nothing_skips_an_order_and_leaves_its_stock_to_the_next():
    demands = [line(1, 11, 4), line(1, 12, 3, product=P2), line(2, 21, 4)]
    plan = plan_allocation(demands, {(P1, LOC): 6, (P2, LOC): 1}, MODE_ALL_OR_NOTHING)
    assert allocated(plan) == {11: 0, 12: 0, 21: 4}
    assert plan.shortfalls == {11: 4, 12: 3}
    assert plan.remaining[(P1, LOC)] == 2


def test_all_or_nothing_counts_two_lines_of_the_same_product_together():
    demands = [line(1, 11, 3), line(1, 12, 3)]
    plan = plan_allocation(demands, {(P1, LOC): 5}, MODE_ALL_OR_NOTHING)
    assert plan.total_allocated == 0
    plan = plan_allocation(demands, {(P1, LOC): 6}, MODE_ALL_OR_NOTHING)
    assert plan.total_allocated == 6


def test_locations_are_separate_pools():
    demands = [line(1, 11, 5, loc=LOC), line(2, 21, 5, loc=LOC2)]
    plan = plan_allocation(demands, {(P1, LOC): 5})
    assert allocated(plan) == {11: 5, 21: 0}


def test_same_inputs_in_any_order_give_the_same_plan():
    rng = random.Random(7)
    demands = [
        line(o, o * 10 + i, rng.randint(1, 9), product=rng.randint(1, 4),
             priority=rng.randint(0, 2), order_date=datetime(2025, 1, rng.randint(1, 28)))
        for o in range(1, 60) for i in range(rng.randint(1, 4))
    ]
    available = {(p, LOC): rng.randint(10, 60) for p in range(1, 5)}
    reference = allocated(plan_allocation(demands, available))
    for _ in range(5):
        shuffled = demands[:]
        rng.shuffle(shuffled)
        assert allocated(plan_allocation(shuffled, available)) == reference
    assert priority_inversions(demands, reference) == []


def test_never_allocates_more_than_available_or_wanted():
    rng = random.Random(3)
    demands = [line(o, o, rng.uniform(0, 5), product=rng.randint(1, 3)) for o in range(1, 200)]
    available = {(p, LOC): rng.uniform(0, 100) for p in range(1, 4)}
    for mode in (MODE_PARTIAL, MODE_ALL_OR_NOTHING):
        plan = plan_allocation(demands, available, mode)
        for product in range(1, 4):
            given = sum(a.allocated for a in plan.allocations if a.product_id == product)
            assert given <= available[(product, LOC)] + 1e-6
        assert all(0 <= a.allocated <= a.wanted for a in plan.allocations)


def test_fractional_quantities_do_not_leave_float_noise():
    demands = [line(1, 11, 0.1), line(2, 21, 0.2), line(3, 31, 0.3)]
    plan = plan_allocation(demands, {(P1, LOC): 0.6})
    assert plan.shortfalls == {}
    assert plan.remaining[(P1, LOC)] == 0


def test_no_stock_at_all_gives_full_shortfall():
    plan = plan_allocation([line(1, 11, 2), line(1, 12, 1, product=P2)], {})
    assert plan.total_allocated == 0
    assert plan.shortfalls == {11: 2, 12: 1}


def test_negative_available_counts_as_none():
    plan = plan_allocation([line(1, 11, 2)], {(P1, LOC): -4})
    assert plan.total_allocated == 0


@pytest.mark.parametrize(
    "demands, mode, code",
    [
        ([line(1, 11, -1)], MODE_PARTIAL, "negative"),
        ([line(1, 11, 1), line(2, 11, 1)], MODE_PARTIAL, "duplicate"),
        ([line(1, 11, 1)], "fifo", "mode"),
    ],
)
def test_bad_demand_is_refused(demands, mode, code):
    with pytest.raises(AllocationInputError) as err:
        plan_allocation(demands, {(P1, LOC): 5}, mode)
    assert err.value.code == code


def test_priority_inversions_spots_a_lower_priority_order_served_first():
    demands = [line(1, 11, 5, priority=1), line(2, 21, 5)]
    assert priority_inversions(demands, {11: 0, 21: 5}) == [(11, 21)]
    assert priority_inversions(demands, {11: 5, 21: 0}) == []
    assert priority_inversions(demands, {11: 3, 21: 0}) == []


@pytest.mark.parametrize(
    "requested, open_qty, code",
    [(-1, 5, "negative"), (None, 5, "negative"), (6, 5, "too_much")],
)
def test_check_requested_quantity_refuses_bad_input(requested, open_qty, code):
    with pytest.raises(AllocationInputError) as err:
        check_requested_quantity(requested, open_qty)
    assert err.value.code == code
    assert str(err.value)


def test_check_requested_quantity_accepts_zero_to_open():
    assert check_requested_quantity(0, 5) == 0
    assert check_requested_quantity(5.0000001, 5) == 5


def test_false_dates_from_an_orm_count_as_missing():
    demands = [line(1, 11, 1, commitment_date=False, order_date=False),
               line(2, 21, 1, order_date=datetime(2025, 1, 1))]
    assert [oid for oid, _ in serving_order(demands)] == [2, 1]
