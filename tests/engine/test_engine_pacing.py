from clarus_sync_engine.pacing import RatePacer, retry_after_from


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def headers(minute=50, day=4000, app=9000):
    return {"X-MinLimit-Remaining": str(minute), "X-DayLimit-Remaining": str(day),
            "X-AppMinLimit-Remaining": str(app)}


def run_calls(pacer, clock, count, response_headers=None):
    waited = 0.0
    for _ in range(count):
        decision = pacer.before_call()
        assert not decision.stop
        clock.now += decision.wait
        waited += decision.wait
        pacer.call_started()
        pacer.after_response(response_headers or {}, 200)
    return waited


def test_local_model_never_exceeds_the_minute_budget_before_any_header():
    clock = Clock()
    pacer = RatePacer(per_minute=5, clock=clock)
    start = clock.now
    assert run_calls(pacer, clock, 5) == 0
    run_calls(pacer, clock, 1)
    assert clock.now - start == 60  # the 6th call waits for the first to leave the window


def test_low_minute_remaining_waits_a_full_window_from_that_response():
    clock = Clock()
    pacer = RatePacer(clock=clock)
    pacer.call_started()
    pacer.after_response(headers(minute=1), 200)
    clock.now += 10
    decision = pacer.before_call()
    assert not decision.stop and decision.wait == 50
    clock.now += 50
    assert pacer.before_call().wait == 0


def test_plenty_remaining_means_no_wait():
    clock = Clock()
    pacer = RatePacer(clock=clock)
    assert run_calls(pacer, clock, 30, headers(minute=40)) == 0


def test_day_limit_exhausted_stops_the_run_instead_of_sleeping():
    clock = Clock()
    pacer = RatePacer(clock=clock)
    pacer.call_started()
    pacer.after_response(headers(day=3), 200)
    decision = pacer.before_call()
    assert decision.stop and decision.wait > 60 and "day" in decision.reason


def test_app_wide_limit_low_waits():
    clock = Clock()
    pacer = RatePacer(clock=clock)
    pacer.call_started()
    pacer.after_response(headers(app=10), 200)
    assert pacer.before_call().wait == 60


def test_429_minute_honours_retry_after_and_429_day_stops():
    clock = Clock()
    pacer = RatePacer(clock=clock)
    pacer.call_started()
    pacer.after_response({"Retry-After": "17", "X-Rate-Limit-Problem": "minute"}, 429)
    assert pacer.before_call() == (17.0, False, "Xero answered 429 (minute limit)")
    pacer.call_started()
    pacer.after_response({"retry-after": "7200", "x-rate-limit-problem": "day"}, 429)
    decision = pacer.before_call()
    assert decision.stop and decision.wait == 7200


def test_a_wait_longer_than_max_wait_becomes_a_stop():
    clock = Clock()
    pacer = RatePacer(clock=clock, max_wait=30)
    pacer.call_started()
    pacer.after_response({"Retry-After": "45", "X-Rate-Limit-Problem": "minute"}, 429)
    assert pacer.before_call().stop


def test_concurrency_limit_makes_callers_wait():
    clock = Clock()
    pacer = RatePacer(clock=clock, concurrent=2)
    pacer.call_started()
    pacer.call_started()
    assert pacer.before_call().wait > 0
    pacer.after_response(headers(), 200)
    assert pacer.before_call().wait == 0


def test_local_day_budget_stops():
    clock = Clock()
    pacer = RatePacer(clock=clock, per_day=3, per_minute=100)
    run_calls(pacer, clock, 3)
    assert pacer.before_call().stop


def test_retry_after_parsing():
    assert retry_after_from({"Retry-After": "30"}) == 30
    assert retry_after_from({"retry-after": " 2.5 "}) == 2.5
    assert retry_after_from({}) is None
    assert retry_after_from({"Retry-After": "soon"}) is None
    assert retry_after_from({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"},
                            now=1445412480) == 30
