"""Liveness, readiness and the original app's /health."""

from fastapi import APIRouter, Response, status

from kvapi.api.deps import StoreDep
from kvapi.api.schemas import HealthBody, LegacyHealthBody, UnavailableBody
from kvapi.store import StoreUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process serves HTTP (never touches Redis)")
async def healthz() -> HealthBody:
    return HealthBody(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: Redis answers PING within the timeout",
    responses={503: {"model": UnavailableBody, "description": "Redis unavailable"}},
)
async def readyz(store: StoreDep) -> HealthBody:
    await store.ping()  # StoreUnavailable becomes the 503 body
    return HealthBody(status="ready")


@router.get(
    "/health",
    summary="The original app's health check (503 when Redis is down)",
    responses={503: {"model": LegacyHealthBody, "description": "Redis unavailable"}},
)
async def health(store: StoreDep, response: Response) -> LegacyHealthBody:
    try:
        await store.ping()
    except StoreUnavailable:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return LegacyHealthBody(status="unhealthy", redis="disconnected")
    return LegacyHealthBody(status="healthy", redis="connected")
