"""Plain-Python Xero sync engine: planning, pacing, retry classification, payload mapping."""
