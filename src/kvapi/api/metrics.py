"""GET /metrics: every worker's metrics plus the values read from Redis at scrape time, as
OpenMetrics (with exemplars) when the scraper accepts it, else the Prometheus text format."""

import time

from fastapi import APIRouter, Request, Response

from kvapi.api.deps import StoreDep
from kvapi.observability.metrics import Metrics, ScrapeTimeGauges
from kvapi.store import StoreUnavailable

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, store: StoreDep) -> Response:
    try:
        active_clients: dict[str, int] | None = await store.count_clients(time.time())
    except StoreUnavailable:
        active_clients = None  # absent rather than a misleading zero
    registry_metrics: Metrics = request.app.state.metrics
    extra = ScrapeTimeGauges(request.app.state.build, active_clients)
    body, content_type = registry_metrics.render([extra], request.headers.get("accept", ""))
    return Response(body, media_type=content_type)
