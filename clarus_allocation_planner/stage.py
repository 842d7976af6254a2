"""Where an order stands on the fulfilment board, decided from plain facts."""

from dataclasses import dataclass

TO_ALLOCATE = "to_allocate"
ALLOCATED = "allocated"
PICKING = "picking"
PACKED = "packed"
SHIPPED = "shipped"
EXCEPTION = "exception"

STAGES = (TO_ALLOCATE, ALLOCATED, PICKING, PACKED, SHIPPED, EXCEPTION)


@dataclass(frozen=True)
class OrderFacts:
    """What the board needs to know about one confirmed order."""

    open_quantity: float = 0.0
    allocated_quantity: float = 0.0
    shipped_quantity: float = 0.0
    has_shortfall: bool = False
    picked: bool = False
    packed: bool = False


@dataclass(frozen=True)
class ChainMove:
    """One open move of a delivery chain.

    ``step`` 0 takes stock out of the stock location (the one-step delivery, or the pick
    of a two- or three-step route); later steps exist only once the step before them is
    done (Odoo pushes them then). ``last`` is the move that delivers to the customer.
    ``packaged``: its lines put stock in a package, or (for a later step) take a package
    that an earlier step filled.
    """

    step: int
    last: bool
    picked: bool = False
    packaged: bool = False


def chain_progress(moves):
    """``(picked, packed)`` of an order from the open moves of its delivery chains.

    Picking: a first move is being picked, or a later step exists (the pick is done).
    Packed: the delivery to the customer carries packages, or comes after a pack step
    that is done (step 2 of pick -> pack -> ship).
    """
    moves = list(moves)
    picked = any(m.step == 0 and m.picked for m in moves) or any(m.step > 0 for m in moves)
    packed = any(m.last and (m.packaged or m.step >= 2) for m in moves)
    return picked, packed


def fulfilment_stage(facts, digits=6):
    """The board column of an order.

    Work in progress wins over waiting: an order being packed shows as packed even if
    another line waits for stock, because someone is handling it now. An order with
    nothing left to deliver and something shipped is shipped.
    """
    open_qty = round(facts.open_quantity, digits)
    if open_qty <= 0:
        return SHIPPED if round(facts.shipped_quantity, digits) > 0 else TO_ALLOCATE
    if facts.packed:
        return PACKED
    if facts.picked:
        return PICKING
    if facts.has_shortfall:
        return EXCEPTION
    if round(open_qty - facts.allocated_quantity, digits) <= 0:
        return ALLOCATED
    return TO_ALLOCATE
