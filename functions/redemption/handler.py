"""redemption Lambda, the edge's: the staff redemption page of every venue, `GET` and `POST /c/<client>/<code>` behind
the edge's HTTP API (payload format 2.0). The coupon's QR code opens it; staff redeem with their PIN."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from tagback.app.deletion import public_url
from tagback.app.redemption import Page, PostedForm
from tagback.app.redemption_page import PAGE_HEADERS
from tagback.domain.runtime import Lazy
from tagback.observability import errors_counted, logger, metrics, tracer
from tagback.wiring import redemption_from_environment

page = Lazy(redemption_from_environment)
app = APIGatewayHttpResolver()
HTML = f"{content_types.TEXT_HTML}; charset=utf-8"  # said, not sniffed: the page is in any of six languages


def _html(answer: Page) -> Response:
    return Response(status_code=answer.status, content_type=HTML, body=answer.html, headers=PAGE_HEADERS)


@app.get("/c/<client>/<code>")
def show(client: str, code: str) -> Response:
    return _html(page.get().show(client, code))


@app.post("/c/<client>/<code>")
def redeem(client: str, code: str) -> Response:
    event = app.current_event
    body = event.body or ""
    try:
        raw: bytes | None = base64.b64decode(body, validate=True) if event.is_base64_encoded else body.encode()
    except binascii.Error:
        raw = None  # not a form: refused as such
    form = PostedForm(raw, event.headers.get("origin"), public_url(event.headers, event.request_context.domain_name))
    return _html(page.get().redeem(client, code, form))


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@errors_counted
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
