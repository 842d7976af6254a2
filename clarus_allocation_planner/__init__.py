"""Plain-Python allocation planner: who gets scarce stock, in a deterministic order."""

from .planner import (
    DEFAULT_DIGITS,
    MODE_ALL_OR_NOTHING,
    MODE_PARTIAL,
    MODES,
    AllocationInputError,
    AllocationPlan,
    DemandLine,
    LineAllocation,
    check_requested_quantity,
    order_sort_key,
    plan_allocation,
    priority_inversions,
    serving_order,
)
from .stage import STAGES, ChainMove, OrderFacts, chain_progress, fulfilment_stage
