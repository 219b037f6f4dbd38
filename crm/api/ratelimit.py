"""Rate limits per API client, counted in the limiter's shared storage (Redis in production,
crm.lib.ratelimit_store's SQLite file in the embedded default), so every web process counts
together. The answer carries the standard headers (IETF draft RateLimit header fields:
RateLimit-Limit, -Remaining, -Reset, RateLimit-Policy) and a 429 Retry-After.
"""

from __future__ import annotations

import math
import time

from flask import current_app, g
from flask_babel import gettext as _
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from crm.api.problems import ApiProblem
from crm.extensions import limiter
from crm.models import ApiClient


def _strategy() -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(limiter.storage)


def hit(client: ApiClient) -> None:
    """Count one request of ``client``; 429 when its window is full."""
    item = parse(current_app.config["API_RATE_LIMIT"])
    strategy = _strategy()
    allowed = strategy.hit(item, "api", str(client.id))
    stats = strategy.get_window_stats(item, "api", str(client.id))
    reset = max(0, math.ceil(stats.reset_time - time.time()))
    window = item.get_expiry()
    g.api_ratelimit_headers = {
        "RateLimit-Limit": str(item.amount),
        "RateLimit-Remaining": str(stats.remaining),
        "RateLimit-Reset": str(reset),
        "RateLimit-Policy": f"{item.amount};w={window}",
    }
    if not allowed:
        raise ApiProblem(
            429,
            _("Te veel verzoeken voor deze koppeling; probeer het over %(n)s seconden opnieuw.", n=reset),
            code="rate_limited",
            headers={"Retry-After": str(reset or 1)},
        )
