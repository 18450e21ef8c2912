"""The ASGI app of ``offduty serve``: the API (``/api/v1``), the pages, and the background
work of a live program (the poller that runs due wake-ups, the outbox's delivery).

``create_app(store)`` is what tests and ``offduty serve`` both run; OpenAPI is at
``/openapi.json``.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from offduty_core.errors import InputError, OffdutyError

from .errors import ApiError
from .outbox import deliver
from .store import Store


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:500]


def create_app(store: Store, *, poll_seconds: float | None = 5.0,
               sender: Callable[[dict[str, Any]], None] | None = None) -> FastAPI:
    """The service over ``store``.  ``poll_seconds``: how often the background poller looks
    for due wake-ups and undelivered notifications (None: no background thread, as in tests,
    which call :meth:`Store.tick_if_due` and :func:`deliver` themselves)."""
    stop = threading.Event()

    def background() -> None:
        while not stop.wait(poll_seconds):
            with contextlib.suppress(Exception):  # a failed turn is retried at the next one
                if not store.clock.manual:
                    store.tick_if_due()
                if sender is not None:
                    deliver(store.engine, sender)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        thread = None
        if poll_seconds is not None:
            thread = threading.Thread(target=background, name="offduty-poller", daemon=True)
            thread.start()
        yield
        stop.set()
        if thread is not None:
            thread.join(timeout=5)

    app = FastAPI(title="offduty", version="1", lifespan=lifespan,
                  description="Run a police off-duty program: vendors request, officers sign up and clock in, "
                              "the operator bills and pays. Every input is logged; every decision is the "
                              "agency's rules'.")
    app.state.store = store

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return JSONResponse({"error": _one_line(exc.message)}, status_code=exc.status)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        status = 404 if "is not a request" in str(exc) or "is not an open request" in str(exc) else 422
        return JSONResponse({"error": _one_line(str(exc))}, status_code=status)

    @app.exception_handler(OffdutyError)
    async def _offduty_error(request: Request, exc: OffdutyError):
        return JSONResponse({"error": _one_line(str(exc))}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            why = (first.get("ctx") or {}).get("error", "")
            return JSONResponse({"error": _one_line(f"body: is not valid JSON ({why})" if why else
                                                    "body: is not valid JSON")}, status_code=422)
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return JSONResponse({"error": _one_line(f"{where}: {first.get('msg', 'is not valid')}")}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return JSONResponse({"error": _one_line(exc.detail)}, status_code=exc.status_code)

    from .api import router
    app.include_router(router)
    from .webhooks import router as webhooks
    app.include_router(webhooks)
    from .pages import router as pages
    app.include_router(pages)
    return app
