"""Command line entry point: ``clarus-xero-emulator``."""

import argparse
import os
import signal
import sys
import threading

from .server import start_server


def main(argv=None):
    parser = argparse.ArgumentParser(prog="clarus-xero-emulator",
                                     description="Run a stateful Xero API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--empty", action="store_true", help="start without seed data")
    parser.add_argument("--minute-limit", type=int, default=60)
    parser.add_argument("--day-limit", type=int, default=5000)
    parser.add_argument("--concurrent-limit", type=int, default=5)
    parser.add_argument("--spec", default=None,
                        help="accounting OpenAPI spec for the contract check "
                             "(default: $XERO_OPENAPI_SPEC)")
    args = parser.parse_args(argv)
    spec = args.spec or os.environ.get("XERO_OPENAPI_SPEC") or None
    handle = start_server(host=args.host, port=args.port, seed=not args.empty, spec_path=spec,
                          minute_limit=args.minute_limit, day_limit=args.day_limit,
                          concurrent_limit=args.concurrent_limit)
    print("Clarus Xero emulator listening on %s" % handle.base_url, flush=True)
    for org in handle.state.orgs.values():
        print("  tenant %s  %s" % (org.tenant_id, org.name), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
