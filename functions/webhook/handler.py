"""webhook Lambda, the edge's: Meta's handshake and deliveries for every venue of the agency's app, the venues'
tracked review links, and Meta's data deletion callback with its status page, behind the edge's HTTP API (payload
format 2.0).

It verifies, routes each event to its venue's table, and persists; it never calls Meta, so it answers well inside
Meta's 5 seconds.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from tagback.app.deletion import PATH as DATA_DELETION
from tagback.app.deletion import DeletionRefused, public_url, request_deletion, status_page
from tagback.app.handoff_page import PAGE_HEADERS as HANDOFF_HEADERS
from tagback.app.ingest import WebhookRejected, answer_handshake, ingest
from tagback.app.links import follow_venue_link
from tagback.domain.runtime import Lazy
from tagback.observability import WEBHOOK_REJECTED, count, errors_counted, logger, metrics, tracer
from tagback.wiring import edge_from_environment

edge = Lazy(edge_from_environment)
app = APIGatewayHttpResolver()


def _text(status: int, body: str) -> Response:
    return Response(status_code=status, content_type=content_types.TEXT_PLAIN, body=body)


@app.get("/webhook")
def handshake() -> Response:
    deps = edge.get()
    params = app.current_event.query_string_parameters or {}
    challenge = answer_handshake(params, deps.secret(deps.settings.verify_token_param))
    return _text(403, "forbidden") if challenge is None else _text(200, challenge)


def _raw_body() -> bytes:
    event = app.current_event
    body = event.body or ""
    if not event.is_base64_encoded:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error:
        raise WebhookRejected(400, "body is not valid base64") from None


@app.exception_handler(WebhookRejected)
def rejected(error: WebhookRejected) -> Response:
    logger.warning("webhook delivery rejected", extra={"status": error.status, "reason": error.reason})
    count(WEBHOOK_REJECTED)
    return Response(status_code=error.status, content_type=content_types.APPLICATION_JSON, body={"error": error.reason})


@app.post("/webhook")
def receive() -> Response:
    deps = edge.get()
    report = ingest(
        _raw_body(),
        app.current_event.headers.get("x-hub-signature-256"),
        app_secret=deps.secret(deps.settings.app_secret_param),
        registry=deps.registry,
        inbound_of=deps.inbound_of,
        quarantine=deps.quarantine,
        clock=deps.clock,
    )
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body={
            "received": report.received,
            "stored": len(report.stored),
            "duplicates": report.duplicates,
            "unknown_account": report.unknown_account,
        },
    )


NOT_FOUND_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Link not found</title>"
    "<body style='font-family:sans-serif;margin:3em'><h1>Link not found</h1>"
    "<p>This link is not valid, or it has expired.</p></body></html>"
)


@app.get("/l/<client>/<token>")
def follow(client: str, token: str) -> Response:
    deps = edge.get()
    user_agent = app.current_event.headers.get("user-agent")
    answer = follow_venue_link(deps.registry, deps.venues.of, client, token, deps.clock.now(), user_agent=user_agent)
    if answer is None:
        return Response(status_code=404, content_type=content_types.TEXT_HTML, body=NOT_FOUND_PAGE)
    if answer.page is not None:  # an in-app browser: the hand-off page, in any of six languages
        html = f"{content_types.TEXT_HTML}; charset=utf-8"
        return Response(status_code=200, content_type=html, body=answer.page, headers=HANDOFF_HEADERS)
    return Response(status_code=302, headers={"Location": answer.target, "Cache-Control": "no-store"})


@app.post(DATA_DELETION)
def data_deletion() -> Response:
    deps = edge.get()
    event = app.current_event
    accepted = request_deletion(
        _raw_body(),
        app_secret=deps.secret(deps.settings.app_secret_param),
        edge_url=public_url(event.headers, event.request_context.domain_name),
        edge_table=deps.settings.registry_table,
        registry=deps.registry,
        requests_of=lambda venue: deps.venues.of(venue).erasures,
        deletions=deps.deletions,
        quarantine=deps.quarantine,
        clock=deps.clock,
    )
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body={"url": accepted.url, "confirmation_code": accepted.confirmation_code},
    )


@app.exception_handler(DeletionRefused)
def deletion_refused(error: DeletionRefused) -> Response:
    logger.warning("data deletion request refused", extra={"status": error.status, "reason": error.reason})
    count("data_deletion_refused")
    return Response(status_code=error.status, content_type=content_types.APPLICATION_JSON, body={"error": error.reason})


@app.get(f"{DATA_DELETION}/<code>")
def deletion_status(code: str) -> Response:
    status, page = status_page(code, edge.get().deletions)
    return Response(
        status_code=status, content_type=content_types.TEXT_HTML, body=page, headers={"Cache-Control": "no-store"}
    )


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@errors_counted
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
