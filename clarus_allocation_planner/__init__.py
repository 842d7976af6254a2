"""Plain-Python allocation planner: who gets scarce stock, in a deterministic order."""
