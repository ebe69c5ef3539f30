"""REST over the inventory: `/v1/assets`, `/v1/assets/{name}`, `/v1/assets/{name}/history`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from eventstream.serve.context import services
from eventstream.serve.errors import ApiError


async def list_assets(request: Request) -> Response:
    services(request).auth.grant(request)
    raise ApiError(503, "unavailable", "inventory not available yet")


async def get_asset(request: Request) -> Response:
    services(request).auth.grant(request)
    raise ApiError(503, "unavailable", "inventory not available yet")


async def asset_history(request: Request) -> Response:
    services(request).auth.grant(request)
    raise ApiError(503, "unavailable", "inventory not available yet")
