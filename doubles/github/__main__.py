"""python -m doubles.github --port 0 [--plan team] [--visibility private] [--owner koomy-app --repo koomy]

Serves until interrupted; prints the base URL to give the provider (base_url / GITHUB_BASE_URL).
"""

from __future__ import annotations

import argparse
import signal
import threading

from .plans import PLANS, VISIBILITIES
from .server import GitHubDouble


def _user(text: str) -> tuple[str, int]:
    login, _, number = text.partition("=")
    if not login or not number.isdigit():
        raise argparse.ArgumentTypeError("expected LOGIN=ID, e.g. koomy-cto=1234567")
    return login, int(number)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m doubles.github", description=__doc__.splitlines()[2])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--plan", choices=PLANS, default="enterprise")
    parser.add_argument("--visibility", choices=VISIBILITIES, default="private")
    parser.add_argument("--owner", default="koomy-app")
    parser.add_argument("--repo", default="koomy")
    parser.add_argument("--owner-type", choices=("User", "Organization"),
                        help="default: User on the pro plan, Organization otherwise")
    parser.add_argument("--user", type=_user, action="append", metavar="LOGIN=ID",
                        help="seed a user (repeatable; replaces the default users)")
    parser.add_argument("--verbose", action="store_true", help="print each request line and status")
    args = parser.parse_args(argv)

    double = GitHubDouble(port=args.port, verbose=args.verbose, plan=args.plan, visibility=args.visibility,
                          owner=args.owner, repo=args.repo, owner_type=args.owner_type,
                          users=dict(args.user) if args.user else None)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with double:
        print(double.base_url, flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
