import pytest

from clarus_sync_engine import states


def test_allowed_transitions_return_the_new_state():
    assert states.check_transition(states.PENDING, states.RUNNING) == states.RUNNING
    assert states.check_transition(states.FAILED, states.PENDING) == states.PENDING


@pytest.mark.parametrize("old,new", [
    (states.DONE, states.RUNNING),
    (states.CANCELLED, states.PENDING),
    (states.PENDING, states.DONE),
    ("bogus", states.RUNNING),
])
def test_forbidden_transitions_raise_with_the_states_named(old, new):
    with pytest.raises(states.InvalidTransition) as info:
        states.check_transition(old, new)
    assert repr(old) in str(info.value)


def test_every_category_has_advice():
    for category in states.CATEGORIES:
        assert len(states.what_to_do(category)) > 40


def test_a_waiting_job_is_never_sent_without_going_back_to_the_queue():
    # Waiting jobs are released to pending (then claimed); they can never jump to running.
    assert states.check_transition(states.WAITING, states.PENDING) == states.PENDING
    with pytest.raises(states.InvalidTransition):
        states.check_transition(states.WAITING, states.RUNNING)
    with pytest.raises(states.InvalidTransition):
        states.check_transition(states.WAITING, states.DONE)
    # A waiting job still holds back later changes of its record, and can be cancelled.
    assert states.WAITING in states.BLOCKING_STATES
    assert states.WAITING in states.CANCELLABLE_STATES


def test_refused_before_sending_is_one_transition():
    assert states.check_transition(states.PENDING, states.FAILED) == states.FAILED
