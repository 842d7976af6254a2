"""Clarus Xero emulator: a stateful, Xero-compatible HTTP server for tests and demos."""
