"""kvapi for granian, for the server-model comparison (docs/adr/0060): per worker, what
`kvapi serve` prepares under gunicorn: JSON logging, multiprocess metrics files and the
garbage collector's tuning."""

import os
import tempfile

from fastapi import FastAPI

from kvapi.app import create_app
from kvapi.observability.logging import configure_logging
from kvapi.server import tune_gc
from kvapi.settings import Settings


def create() -> FastAPI:
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="kvapi-metrics-"))
    settings = Settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    tune_gc()
    return app
