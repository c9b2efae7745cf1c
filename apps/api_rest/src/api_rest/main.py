"""The FastAPI application: settings, lifespan (pool, migrations, outbox relay), routers."""

import gc
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import db, errors
from .limits import BodyLimitMiddleware
from .metrics import MetricsMiddleware
from .outbox import OutboxRelay
from .routers import comments, root
from .settings import Settings, get_settings

log = logging.getLogger("api_rest")


def create_app(settings: Settings | None = None, *, relay: bool = True) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await db.migrate_with_retry(settings)
        pool = db.make_pool(settings)
        await pool.open()
        app.state.pool = pool
        app.state.relay = None
        if relay:
            app.state.relay = OutboxRelay(settings, pool)
            app.state.relay.start()
        # The start-up objects (modules, routes, schemas) live as long as the process: keep them out
        # of the collector's sight so its full passes stay short instead of pausing requests.
        gc.collect()
        gc.freeze()
        log.info("api ready", extra={"kafka": settings.kafka_bootstrap_servers})
        try:
            yield
        finally:
            if app.state.relay:
                await app.state.relay.stop()
            await pool.close()
            log.info("api stopped")

    app = FastAPI(title="Shipay api_rest", version="1.0.0", lifespan=lifespan)
    errors.install(app)
    app.include_router(root.router)
    app.include_router(comments.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(MetricsMiddleware)
    return app
