"""The service's ASGI layers, one module each, as starlette keeps its own middleware.

From the outside in (app.py stacks them): telemetry, CORS (starlette's, when origins are
set), body limit, rate limit (when limits are set), active clients, and the legacy fast path
just before FastAPI's routing.
"""
