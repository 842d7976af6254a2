"""Several workers pacing one organisation through one shared store pace it as one."""

import threading

from clarus_sync_engine.pacing import MemoryPacingStore, SharedRatePacer


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def call(pacer, clock, headers=None, status=200):
    """One call as the gateway makes it; returns the decision."""
    decision = pacer.before_call()
    if decision.stop:
        return decision
    clock.now += decision.wait
    pacer.call_started()
    pacer.after_response(headers or {}, status)
    return decision


def test_two_workers_share_one_minute_budget():
    clock = Clock()
    store = MemoryPacingStore(clock)
    first, second = (SharedRatePacer(store, per_minute=10) for _ in range(2))
    for n in range(10):
        assert call(first if n % 2 else second, clock).wait == 0
    # Both made 5 calls: the organisation's 11th call waits for the first slot to free.
    decision = call(second, clock)
    assert not decision.stop and decision.wait == 60
    assert first.calls_made + second.calls_made == 11


def test_reserved_slots_are_distinct_for_callers_asking_at_once():
    clock = Clock()
    store = MemoryPacingStore(clock)
    pacers = [SharedRatePacer(store, per_minute=3) for _ in range(5)]
    waits = [p.before_call().wait for p in pacers]
    # Three go now; the next two get the slots freed a minute later, not the same ones.
    assert sorted(waits) == [0, 0, 0, 60, 60]
    assert len(store.state["recent"]) == 5


def test_a_429_seen_by_one_worker_holds_back_the_other():
    clock = Clock()
    store = MemoryPacingStore(clock)
    first, second = SharedRatePacer(store), SharedRatePacer(store)
    call(first, clock, {"Retry-After": "20", "X-Rate-Limit-Problem": "minute"}, 429)
    decision = second.before_call()
    assert decision.wait == 20 and "429" in decision.reason


def test_low_minute_remaining_header_blocks_every_worker_for_a_window():
    clock = Clock()
    store = MemoryPacingStore(clock)
    first, second = SharedRatePacer(store), SharedRatePacer(store)
    call(first, clock, {"X-MinLimit-Remaining": "1", "X-DayLimit-Remaining": "4000"})
    assert store.state["minute_left"] == 1 and store.state["day_left"] == 4000
    clock.now += 15
    assert second.before_call().wait == 45


def test_day_limit_stops_every_worker_instead_of_sleeping():
    clock = Clock()
    store = MemoryPacingStore(clock)
    first, second = SharedRatePacer(store), SharedRatePacer(store)
    call(first, clock, {"X-DayLimit-Remaining": "3"})
    decision = second.before_call()
    assert decision.stop and "day limit" in decision.reason


def test_local_day_budget_counts_every_worker():
    clock = Clock()
    store = MemoryPacingStore(clock)
    first, second = (SharedRatePacer(store, per_day=4, per_minute=100) for _ in range(2))
    for pacer in (first, second, first, second):
        assert not call(pacer, clock).stop
    assert first.before_call().stop and second.before_call().stop


def test_concurrency_cap_holds_across_workers_and_dead_calls_expire():
    clock = Clock()
    store = MemoryPacingStore(clock)
    pacers = [SharedRatePacer(store, concurrent=2, in_flight_timeout=120) for _ in range(3)]
    for pacer in pacers[:2]:
        assert pacer.before_call().wait == 0
        pacer.call_started()
    decision = pacers[2].before_call()
    assert decision.wait > 0 and "in flight" in decision.reason
    pacers[0].after_response({}, 200)
    assert pacers[2].before_call().wait == 0
    # A worker that died with a call in flight does not hold the slot forever.
    clock.now += 121
    assert len(pacers[1].store.state["in_flight"]) == 2  # reserved by pacers[2], pacers[1]
    assert pacers[0].before_call().wait == 0
    assert len(store.state["in_flight"]) == 1


def test_a_wait_longer_than_max_wait_stops_and_reserves_nothing():
    clock = Clock()
    store = MemoryPacingStore(clock)
    pacer = SharedRatePacer(store, max_wait=10)
    call(pacer, clock, {"Retry-After": "30", "X-Rate-Limit-Problem": "minute"}, 429)
    before = list(store.state["recent"])
    assert pacer.before_call().stop
    assert store.state["recent"] == before


def test_threads_hammering_one_store_never_exceed_the_minute_budget():
    store = MemoryPacingStore()
    granted = []
    lock = threading.Lock()

    def worker():
        pacer = SharedRatePacer(store, per_minute=25, max_wait=0.5)
        for _ in range(20):
            decision = pacer.before_call()
            if decision.wait == 0 and not decision.stop:
                pacer.call_started()
                with lock:
                    granted.append(1)
                pacer.after_response({}, 200)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 25
