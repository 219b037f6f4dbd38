"""Sign-in throttling per account: after too many failed attempts (default 5 in 15 minutes)
an account refuses further attempts for a while; a complete sign-in resets the count.

Counts live in Flask-Limiter's storage, next to the per-IP limit on the sign-in route, and
are shared by every process of the installation: an SQLite file in the embedded default
(crm.lib.ratelimit_store), Redis in production. A count kept per process would let an attacker
go on against a locked account on the next web worker. Every attempt is counted before it is
checked, in one atomic increment of the store, so concurrent attempts never overshoot.
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


def take_attempt(email: str) -> int:
    """Count one sign-in attempt for the account before its password or code is checked: 0
    when it may go ahead, otherwise the seconds until the account may try again.

    Counting first, in one atomic step of the shared store, means requests in flight at the
    same moment cannot together get more answers than the limit (checking, then recording a
    failure, let every request that checked before the first failure was recorded through).
    A complete sign-in calls ``reset``."""
    limit = _limit()
    if limiter.limiter.hit(limit, NAMESPACE, _key(email)):
        return 0
    reset_at, _remaining = limiter.limiter.get_window_stats(limit, NAMESPACE, _key(email))
    return max(1, math.ceil(reset_at - time.time()))


def reset(email: str) -> None:
    limiter.limiter.clear(_limit(), NAMESPACE, _key(email))
