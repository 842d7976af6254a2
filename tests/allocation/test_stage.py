import pytest

from clarus_allocation_planner import OrderFacts, fulfilment_stage


@pytest.mark.parametrize(
    "facts, stage",
    [
        (OrderFacts(open_quantity=5), "to_allocate"),
        (OrderFacts(open_quantity=5, allocated_quantity=3), "to_allocate"),
        (OrderFacts(open_quantity=5, allocated_quantity=5), "allocated"),
        (OrderFacts(open_quantity=5, allocated_quantity=3, has_shortfall=True), "exception"),
        (OrderFacts(open_quantity=5, allocated_quantity=5, picked=True), "picking"),
        (OrderFacts(open_quantity=5, picked=True, packed=True, has_shortfall=True), "packed"),
        (OrderFacts(open_quantity=0, shipped_quantity=5), "shipped"),
        (OrderFacts(open_quantity=0, shipped_quantity=0), "to_allocate"),
        (OrderFacts(open_quantity=2, shipped_quantity=3, allocated_quantity=2), "allocated"),
    ],
)
def test_fulfilment_stage(facts, stage):
    assert fulfilment_stage(facts) == stage
