"""Share scarce stock between order lines in one deterministic pass.

The planner knows nothing about Odoo: it takes plain demand lines and free quantities
per (product, location) and returns how much each line gets. The same inputs always
give the same plan, whatever order they arrive in.

Orders are served by priority (highest first), then commitment date, then order date
(missing dates last), then order id. Inside an order, lines are served by line id.

Two modes:

* ``partial``: each line takes what is left, up to what it wants.
* ``all_or_nothing``: an order is served only if every one of its lines can be served
  in full; otherwise it gets nothing and its stock stays for the orders after it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

MODE_PARTIAL = "partial"
MODE_ALL_OR_NOTHING = "all_or_nothing"
MODES = (MODE_PARTIAL, MODE_ALL_OR_NOTHING)

#: Quantities are rounded to this many decimals, so float noise never becomes stock.
DEFAULT_DIGITS = 6

_LATEST = datetime.max


class AllocationInputError(ValueError):
    """The demand or the request cannot be planned as given."""

    def __init__(self, code, message, **params):
        super().__init__(message % params if params else message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class DemandLine:
    """One order line that still wants stock from one stock location."""

    order_id: int
    line_id: int
    product_id: int
    location_id: int
    quantity: float
    priority: int = 0
    commitment_date: date | datetime | None = None
    order_date: date | datetime | None = None


@dataclass(frozen=True)
class LineAllocation:
    """What one line wanted and what it gets."""

    order_id: int
    line_id: int
    product_id: int
    location_id: int
    wanted: float
    allocated: float
    digits: int = DEFAULT_DIGITS

    @property
    def shortfall(self):
        return round(self.wanted - self.allocated, self.digits)


@dataclass
class AllocationPlan:
    """The outcome of one planning pass, in serving order."""

    mode: str
    allocations: list = field(default_factory=list)
    remaining: dict = field(default_factory=dict)

    @property
    def by_line(self):
        return {alloc.line_id: alloc for alloc in self.allocations}

    @property
    def shortfalls(self):
        """Lines that did not get everything they wanted, with the missing quantity."""
        return {a.line_id: a.shortfall for a in self.allocations if a.shortfall > 0}

    @property
    def short_order_ids(self):
        return sorted({a.order_id for a in self.allocations if a.shortfall > 0})

    @property
    def total_allocated(self):
        return sum(a.allocated for a in self.allocations)


def _as_datetime(value):
    if not value:  # None, or False as an ORM leaves an empty date
        return _LATEST
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)


def order_sort_key(line):
    """Serving rank of the order a line belongs to: lower is served first."""
    return (
        -int(line.priority or 0),
        _as_datetime(line.commitment_date),
        _as_datetime(line.order_date),
        line.order_id,
    )


def serving_order(demands):
    """Demand lines grouped by order, in serving order: a list of (order_id, lines)."""
    orders = defaultdict(list)
    rank = {}
    for line in demands:
        orders[line.order_id].append(line)
        key = order_sort_key(line)
        rank[line.order_id] = min(rank.get(line.order_id, key), key)
    ordered = sorted(orders, key=lambda order_id: rank[order_id])
    return [(oid, sorted(orders[oid], key=lambda ln: ln.line_id)) for oid in ordered]


def _check_demands(demands, mode):
    if mode not in MODES:
        raise AllocationInputError("mode", "Unknown allocation mode %(mode)r.", mode=mode)
    seen = set()
    for line in demands:
        if line.quantity < 0:
            raise AllocationInputError(
                "negative", "Line %(line)s asks for a negative quantity (%(qty)s).",
                line=line.line_id, qty=line.quantity,
            )
        if line.line_id in seen:
            raise AllocationInputError(
                "duplicate", "Line %(line)s appears twice in the demand.", line=line.line_id
            )
        seen.add(line.line_id)


def _fits(lines, free, digits):
    """Whether every line of an order can be served in full from ``free``."""
    needed = defaultdict(float)
    for line in lines:
        needed[line.product_id, line.location_id] += line.quantity
    return all(
        round(free.get(key, 0.0) - qty, digits) >= 0 for key, qty in needed.items()
    )


def plan_allocation(demands, available, mode=MODE_PARTIAL, digits=DEFAULT_DIGITS):
    """Plan who gets the free stock.

    :param demands: iterable of :class:`DemandLine`
    :param available: mapping ``(product_id, location_id) -> free quantity``
    :param mode: :data:`MODE_PARTIAL` or :data:`MODE_ALL_OR_NOTHING`
    :returns: :class:`AllocationPlan` (allocations in serving order, stock left over)
    """
    demands = list(demands)
    _check_demands(demands, mode)
    free = {key: max(round(qty, digits), 0.0) for key, qty in available.items()}
    plan = AllocationPlan(mode=mode)
    for _order_id, lines in serving_order(demands):
        serve_all = mode == MODE_PARTIAL or _fits(lines, free, digits)
        for line in lines:
            key = (line.product_id, line.location_id)
            wanted = round(line.quantity, digits)
            taken = min(wanted, free.get(key, 0.0)) if serve_all else 0.0
            if taken > 0:
                free[key] = round(free[key] - taken, digits)
            plan.allocations.append(LineAllocation(
                line.order_id, line.line_id, line.product_id, line.location_id,
                wanted, round(taken, digits), digits,
            ))
    plan.remaining = free
    return plan


def priority_inversions(demands, allocated, digits=DEFAULT_DIGITS):
    """Pairs of lines where a later-served line got stock an earlier one still lacked.

    ``allocated`` maps line id to the quantity it holds. For a partial allocation that
    respects the serving order, the result is empty: once a line of a (product,
    location) is short, no later line of that (product, location) holds anything.
    Used to check any allocator, including Odoo's own reservation.
    """
    first_short = {}
    inversions = []
    for _order_id, lines in serving_order(demands):
        for line in lines:
            key = (line.product_id, line.location_id)
            held = round(allocated.get(line.line_id, 0.0), digits)
            if key in first_short and held > 0:
                inversions.append((first_short[key], line.line_id))
            if round(line.quantity - held, digits) > 0 and key not in first_short:
                first_short[key] = line.line_id
    return inversions


def check_requested_quantity(requested, open_quantity, digits=DEFAULT_DIGITS):
    """Validate a quantity a person asks to allocate on one line.

    :raises AllocationInputError: negative, or more than the line still has to deliver
    """
    if requested is None or round(requested, digits) < 0:
        raise AllocationInputError(
            "negative", "The quantity to allocate cannot be negative (%(qty)s).", qty=requested
        )
    if round(requested - open_quantity, digits) > 0:
        raise AllocationInputError(
            "too_much",
            "Cannot allocate %(qty)s: only %(open)s is still to deliver on this line.",
            qty=requested, open=open_quantity,
        )
    return round(requested, digits)
