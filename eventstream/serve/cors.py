"""Cross-origin access for a dashboard served from another origin: `[serve] cors_origins`.

Only the listed origins, always with credentials (the session cookie, or an Authorization
header), so never `*` (the settings refuse it). A preflight from another origin is answered
400; a request from one gets no `Access-Control-Allow-*` headers, so the browser keeps the
response from its page. The stream's response start passes through the middleware like any
other, so `GET /v1/events` carries the headers too.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from eventstream.config import ServeSettings

ALLOWED_METHODS = ["GET", "POST", "DELETE"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "Last-Event-ID"]
PREFLIGHT_MAX_AGE_S = 600


def cors_middleware(settings: ServeSettings) -> list[Middleware]:
    """The CORS middleware for the configured origins (none: no middleware, no CORS)."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_credentials=True,
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE_S,
        )
    ]
