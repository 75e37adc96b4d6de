"""`python -m checkout.testing.stripe_standin --port 12111`: serve the stand-in on loopback."""

from __future__ import annotations

import argparse
import ipaddress
import sys

from werkzeug.serving import make_server

from checkout.testing.stripe_standin.server import build


def _loopback(host: str) -> str:
    """Accept only loopback addresses: the stand-in must never be reachable from outside."""
    try:
        if host == "localhost" or ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"refusing to bind {host!r}: only loopback is allowed")


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m checkout.testing.stripe_standin", description=__doc__
    )
    parser.add_argument("--host", type=_loopback, default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port")
    parser.add_argument(
        "--debit-settle-seconds",
        type=int,
        default=180,
        help="stand-in seconds until a bank debit settles by itself",
    )
    parser.add_argument(
        "--capture-seconds",
        type=int,
        default=60,
        help="stand-in seconds until a card charge's balance transaction exists (async capture)",
    )
    parser.add_argument(
        "--demo-webhooks",
        metavar="URL_TEMPLATE",
        help="register a webhook per office, e.g. 'http://127.0.0.1:5000/webhooks/stripe/{office}'",
    )
    parser.add_argument(
        "--print-demo-env",
        action="store_true",
        help="print `export` lines with each office's demo keys, then exit",
    )
    args = parser.parse_args(argv)
    if args.print_demo_env:
        import os

        from checkout.testing.stripe_standin.demo import export_lines

        print(export_lines(os.environ))  # noqa: T201
        return 0
    standin = build(args.debit_settle_seconds, args.capture_seconds)
    server = make_server(args.host, args.port, standin.app, threaded=True)
    base_url = f"http://{args.host}:{server.port}/"
    standin.store.base_url = base_url
    if args.demo_webhooks:
        from checkout.testing.stripe_standin.demo import register_offices

        register_offices(standin.store, args.demo_webhooks)
    standin.start()
    print(f"Stripe stand-in listening on {base_url}", flush=True)  # noqa: T201
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
