"""Clarus Xero emulator: a stateful, Xero-compatible HTTP server for tests and demos.

Start one with ``clarus_xero_emulator.server.start_server`` or the ``clarus-xero-emulator``
command; see README.md in this package for the behaviours and the control API.
"""
