"""Sign-in throttling per account: after too many failed attempts (default 5 in 15 minutes)
an account refuses further attempts for a while; a successful sign-in resets the count.

Counts live in Flask-Limiter's storage, next to the per-IP limit on the sign-in route, and
are shared by every process of the installation: an SQLite file in the embedded default
(crm.ratelimit_store), Redis in production. A count kept per process would let an attacker
go on against a locked account on the next web worker. The increment is atomic in both
stores; the check before it is not, so concurrent attempts can overshoot the limit by the
number of requests in flight, never more.
"""

from __future__ import annotations

import math
import time

from flask import current_app
from limits import parse

from crm.extensions import limiter

NAMESPACE = "login-account"


def _limit():
    return parse(current_app.config["LOGIN_ACCOUNT_LIMIT"])


def _key(email: str) -> str:
    return email.strip().lower()[:254]


def seconds_blocked(email: str) -> int:
    """0 when the account may try to sign in; otherwise the seconds until it may again."""
    limit = _limit()
    if limiter.limiter.test(limit, NAMESPACE, _key(email)):
        return 0
    reset_at, _remaining = limiter.limiter.get_window_stats(limit, NAMESPACE, _key(email))
    return max(1, math.ceil(reset_at - time.time()))


def record_failure(email: str) -> None:
    limiter.limiter.hit(_limit(), NAMESPACE, _key(email))


def reset(email: str) -> None:
    limiter.limiter.clear(_limit(), NAMESPACE, _key(email))
