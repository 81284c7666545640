"""The benches' sender (sandbox/meta_payloads.py): a delivery sent again after a 429, a 5xx or no answer, as Meta does,
on one keep-alive connection opened again after a broken one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sandbox import meta_payloads

BODY, HEADERS = meta_payloads.signed({"object": "instagram", "entry": []}, "secret")


class Webhook(ThreadingHTTPServer):
    """Answers each POST with the next of `answers` (0: closes the connection without an answer)."""

    def __init__(self, answers: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers = answers
        self.connections: set[int] = set()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the sandbox's edge serves
    server: Webhook

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.connections.add(self.client_address[1])
        status = self.server.answers.pop(0)
        if status == 0:
            self.close_connection = True
            return
        body = f'{{"status": {status}}}'.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def webhook(request: pytest.FixtureRequest) -> Iterator[Webhook]:
    server = Webhook(list(request.param))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def deliver(webhook: Webhook, tries: int) -> tuple[list[int], bytes]:
    connection = meta_payloads.webhook_connection(f"http://127.0.0.1:{webhook.server_address[1]}")
    try:
        return meta_payloads.deliver(connection, BODY, HEADERS, [0.0] * tries)
    finally:
        connection.close()


@pytest.mark.parametrize("webhook", [[429, 503, 0, 500, 200]], indirect=True)
def test_a_delivery_is_sent_again_after_429_5xx_or_no_answer_until_taken(webhook: Webhook) -> None:
    assert deliver(webhook, tries=8) == ([429, 503, 0, 500, 200], b'{"status": 200}')
    assert len(webhook.connections) == 2  # kept alive, opened again once after the broken one


@pytest.mark.parametrize("webhook", [[429, 400]], indirect=True)
def test_a_4xx_other_than_429_ends_the_delivery(webhook: Webhook) -> None:
    assert deliver(webhook, tries=8) == ([429, 400], b'{"status": 400}')


@pytest.mark.parametrize("webhook", [[503, 503, 503, 200]], indirect=True)
def test_a_delivery_is_given_up_when_the_pauses_run_out(webhook: Webhook) -> None:
    assert deliver(webhook, tries=3) == ([503, 503, 503], b'{"status": 503}')
