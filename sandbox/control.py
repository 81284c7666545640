"""The sandbox's port: its control API under `/_sandbox/` (README, "The sandbox") beside the edge's HTTP API.

`/_sandbox/...` shows what the fakes received, the agency's alerts and the schedules waiting, moves the clock,
replays the failure queues and queues faults on the fakes (Meta's Graph API, Google's Sheets, the owner's CRM);
`PUT /_sandbox/cloudformation/…` is CloudFormation's response URL for the venues' registrations; every other request
goes to the edge's routes (sandbox/apigw.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from sandbox.runtime import Sandbox

_FAULTS_USAGE = (
    'send {"send": ["throttle", ...], "profile": [...], "conversations": [...], "client_id": "<only this venue\'s '
    'calls>", "graph_connections": "refused" | "accepted", "sheets": ["503", ...], "sheets_unavailable_seconds": N, '
    '"crm": [500, ...], "dynamodb_throttled_writes": N, "create_schedule_failures": N, "kill_prize_after_requests": N}'
)
_CLOUDFORMATION = "/_sandbox/cloudformation/"


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data, indent=2, ensure_ascii=False), status=status, mimetype="application/json")


@dataclass
class ControlApi:
    """The WSGI application on the sandbox's port."""

    sandbox: Sandbox

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        answer = self._control(request) or self.sandbox.api(request)
        return answer(environ, start_response)

    def _control(self, request: Request) -> Response | None:
        sandbox = self.sandbox
        # What the fakes received and the agency was told, as they are.
        reads: dict[str, Callable[[], object]] = {
            "/_sandbox/messages": sandbox.graph.sent_messages,
            "/_sandbox/sheets": lambda: sandbox.google.rows,
            "/_sandbox/webhooks": lambda: sandbox.crm.requests,
            "/_sandbox/alerts": sandbox.alerts,
        }
        match (request.method, request.path):
            case ("GET", "/_sandbox/status"):
                return _json(sandbox.status())
            case ("GET", path) if path in reads:
                return _json(reads[path]())
            case ("GET", "/_sandbox/schedules"):
                try:
                    return _json(sandbox.schedules(request.args.get("client_id")))
                except KeyError as error:
                    return _json({"error": error.args[0]}, status=404)
            case ("POST", "/_sandbox/clock"):
                minutes = (request.get_json(silent=True, force=True) or {}).get("advance_minutes")
                if not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes < 0:
                    return _json({"error": 'send {"advance_minutes": N} with N >= 0'}, status=400)
                return _json(sandbox.advance(minutes))
            case ("POST", "/_sandbox/faults"):
                faults = request.get_json(silent=True, force=True)  # `curl -d` sends no JSON content type
                try:
                    self.queue_faults(faults)
                except (ValueError, TypeError) as error:
                    return _json({"error": str(error)}, status=400)
                return _json({"queued": faults})
            case ("POST", "/_sandbox/replay"):
                return _json({name: asdict(r) for name, r in sandbox.replay_dead_letters().items()})
            case ("PUT", path) if path.startswith(_CLOUDFORMATION):
                # CloudFormation's presigned response URL: where a custom resource's provider answers.
                sandbox.registrations[path.removeprefix(_CLOUDFORMATION)] = json.loads(request.get_data())
                return Response(status=200)
        return None

    def queue_faults(self, faults: object) -> None:
        """The fakes' next answers are these failures: `sheets`, `sheets_unavailable_seconds` and `crm` Google's and the
        CRM's; `graph_connections` refuses (or accepts again) every connection to the fake Graph API; AWS's errors for
        the functions' next N conditional writes (throttled) or Scheduler creations (sandbox/aws_faults.py), or the
        prize function of `client_id`'s venue (the first's) killed at its Nth AWS request; any other key names a Graph
        API call (`send`, `profile`, `conversations`), of every venue or of `client_id`'s only."""
        if not isinstance(faults, dict):
            raise ValueError(_FAULTS_USAGE)
        faults = dict(faults)
        client_id = faults.pop("client_id", None)
        try:
            account = self.sandbox.venue(client_id).config.instagram_account_id if client_id is not None else None
        except KeyError as error:
            raise ValueError(error.args[0]) from None
        for call, value in faults.items():
            if call == "sheets":
                self.sandbox.google.fail_next(*value)
            elif call == "sheets_unavailable_seconds":
                self.sandbox.google.unavailable_for(float(value))
            elif call == "dynamodb_throttled_writes":
                self.sandbox.aws_faults.throttle_writes(int(value))
            elif call == "create_schedule_failures":
                self.sandbox.aws_faults.fail_schedule_creations(int(value))
            elif call == "kill_prize_after_requests":
                self.sandbox.aws_faults.kill(self.sandbox.venue(client_id).role("prize"), int(value))
            elif call == "crm":
                self.sandbox.crm.fail_next(*(int(status) for status in value))
            elif call == "graph_connections" and value == "refused":
                self.sandbox.refuse_graph_connections()
            elif call == "graph_connections" and value == "accepted":
                self.sandbox.accept_graph_connections()
            else:
                self.sandbox.graph.fail_next(call, *value, account_id=account)
