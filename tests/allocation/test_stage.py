import pytest

from clarus_allocation_planner import ChainMove, OrderFacts, chain_progress, fulfilment_stage


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


ONE_STEP = [ChainMove(step=0, last=True)]
PICK = ChainMove(step=0, last=False)


@pytest.mark.parametrize(
    "moves, progress",
    [
        # one step: the delivery is the first and the last move
        (ONE_STEP, (False, False)),
        ([ChainMove(step=0, last=True, picked=True)], (True, False)),
        ([ChainMove(step=0, last=True, picked=True, packaged=True)], (True, True)),
        # two steps, pick -> ship
        ([PICK], (False, False)),
        ([ChainMove(step=0, last=False, picked=True)], (True, False)),
        ([ChainMove(step=1, last=True)], (True, False)),
        ([ChainMove(step=1, last=True, packaged=True)], (True, True)),
        # three steps, pick -> pack -> ship
        ([ChainMove(step=1, last=False)], (True, False)),
        ([ChainMove(step=1, last=False, picked=True, packaged=True)], (True, False)),
        ([ChainMove(step=2, last=True)], (True, True)),
        # a partial pick: the backorder waits while the picked part goes on
        ([PICK, ChainMove(step=1, last=False)], (True, False)),
        ([], (False, False)),
    ],
)
def test_chain_progress(moves, progress):
    assert chain_progress(moves) == progress


def test_stage_follows_a_three_step_chain():
    def stage(moves, open_qty=5, allocated=5):
        picked, packed = chain_progress(moves)
        return fulfilment_stage(OrderFacts(
            open_quantity=open_qty, allocated_quantity=allocated, picked=picked,
            packed=packed, shipped_quantity=5 - open_qty))

    assert stage([PICK]) == "allocated"
    assert stage([ChainMove(step=0, last=False, picked=True)]) == "picking"
    assert stage([ChainMove(step=1, last=False)]) == "picking"
    assert stage([ChainMove(step=2, last=True)]) == "packed"
    assert stage([], open_qty=0, allocated=0) == "shipped"
