"""kvapi's four Grafana dashboards, as code. `python -m kvapi_dashboards` renders them."""

from . import application, business, infrastructure, redis_health
from .spec import Dashboard

DASHBOARDS: tuple[Dashboard, ...] = (
    application.DASHBOARD,
    infrastructure.DASHBOARD,
    redis_health.DASHBOARD,
    business.DASHBOARD,
)
