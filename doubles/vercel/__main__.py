"""python -m doubles.vercel --port 0 [--plan pro] [--team-id team_... --team-slug koomy]

Serves until interrupted or SIGTERM; prints the proxy URL, then the CA path (HTTPS_PROXY and SSL_CERT_FILE).
"""

from __future__ import annotations

import argparse
import signal
import threading

from .plans import PLANS
from .server import VercelDouble


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m doubles.vercel", description=__doc__.splitlines()[2])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--plan", choices=PLANS, default="pro")
    parser.add_argument("--team-id", help="a team (team_...): Pro and Enterprise only")
    parser.add_argument("--team-slug")
    parser.add_argument("--sensitive-policy", choices=("on", "off"),
                        help="the team's sensitiveEnvironmentVariablePolicy (default: absent)")
    parser.add_argument("--org-owner", action="append", metavar="OWNER",
                        help="a GitHub owner that is an organisation (repeatable; default koomy-app)")
    parser.add_argument("--verbose", action="store_true", help="print each request line and status")
    args = parser.parse_args(argv)

    options = dict(plan=args.plan, team_id=args.team_id, team_slug=args.team_slug,
                   sensitive_policy=args.sensitive_policy)
    if args.org_owner:
        options["org_owners"] = args.org_owner
    double = VercelDouble(port=args.port, verbose=args.verbose, **options)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with double:
        print(f"HTTPS_PROXY={double.proxy_url}", flush=True)
        print(f"SSL_CERT_FILE={double.ca_path}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
