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
