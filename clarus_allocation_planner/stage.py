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
