"""moto's server, one request at a time: what AWS guarantees per item, moto only keeps when nothing runs beside it.

moto's backends are plain Python objects with no locks, and its server answers each request on its own thread. Two
of its races lose writes that were answered 200. A failed DynamoDB transaction (a ConditionalCheckFailed, routine
for the award claims) rolls back by putting back a deep copy of each table it touched, taken when it began: every
write another request made to that table meanwhile vanishes, item and stream record, with no error; and the copy,
taken while another request writes, can itself fail ("dictionary changed size during iteration", a 500). Real
DynamoDB isolates a transaction from other writes; moto cannot, so the sandbox serialises its requests. Handling a
request takes moto about a millisecond, and the GIL already let only one run at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class OneRequestAtATime:
    """WSGI middleware: the wrapped app handles one request at a time, its response body included."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            response = self._app(environ, start_response)
            try:
                return list(response)
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()


def moto_server(host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """moto's server app (as ThreadedMotoServer builds it) behind OneRequestAtATime, bound but not yet serving."""
    app: Any = DomainDispatcherApplication(create_backend_app)
    return make_server(host, port, OneRequestAtATime(app), threaded=True, request_handler=MotoRequestHandler)
