"""Operator commands.

python -m tagback.cli check [clients/*.yaml]        validate agency.yaml and the client configs before a deploy, and
                                                    draw every prize's coupon in every language
python -m tagback.cli replay --stack Tagback-<id>    replay the dead-letter and on-failure queues
python -m tagback.cli coupon --signing-key-param /tagback/<id>/coupon-signing-key CODE
                                                    check a coupon code offline (typos, made-up codes)
python -m tagback.cli connect --client <id> [--code CODE] < token
                                                    connect the venue's Instagram account to the agency's app
python -m tagback.cli staff-pins --client <id> < pins.json
                                                    store the staff PINs of the venue's redemption page ({"Ana":
                                                    "4821", …}), checked first
python -m tagback.cli retention --client <id>        delete the owner's sheet rows older than retention_days
python -m tagback.cli guest erase --client <id> (--igsid ID | --email E | --phone +E164)
                                                    erase a guest everywhere the venue keeps them (GDPR Art. 17)
python -m tagback.cli guest export --client <id> (--igsid ID | --email E | --phone +E164)
                                                    everything held about a guest, as JSON (GDPR Art. 15)
python -m tagback.cli status [--json]               every venue the edge knows, in one table
python -m tagback.cli cost --mentions N [--venues V]
                                                    the monthly AWS cost of a venue and of the edge
export, report, redeem, coupon, connect, staff-pins, retention, guest and status use the AWS credential chain and
region, as the AWS CLI does; with --sandbox http://127.0.0.1:8787 they use that running sandbox's AWS and clock (and
connect its fake Graph API, retention its fake Google, status its registry) instead. cost reads bench/cost/.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagback.adapters.aws import (
    Aws,
    SandboxUnavailable,
    aws_problem,
    boto3_client,
    sandbox_aws,
    sandbox_status,
    stack_outputs,
)
from tagback.config.loading import (
    ConfigError,
    client_files,
    load_client_config,
    load_client_configs,
    shared_setting_warnings,
)
from tagback.domain.clock import Clock, ManualClock, SystemClock
from tagback.domain.stats import days_of

if TYPE_CHECKING:
    from tagback.app.redeem import CouponStatus
    from tagback.config.model import ClientConfig
    from tagback.store.repositories import Repositories

SANDBOX_HELP = "a running sandbox's URL, e.g. http://127.0.0.1:8787: its AWS, region, table and credentials"


class CommandError(Exception):
    """What the operator must fix, said in one line."""


def _aws(sandbox: str | None, client: str | None = None) -> Aws:
    """The AWS to use: a running sandbox's moto, as its status describes it, or (no sandbox) AWS itself."""
    if sandbox is None:
        return Aws()
    try:
        aws = sandbox_aws(sandbox, client)
    except SandboxUnavailable as error:
        raise CommandError(str(error)) from None
    if client is not None and client != aws.client_id:
        raise CommandError(f"the sandbox at {sandbox} runs client {aws.client_id!r}, not {client!r}")
    return aws


def _clock(sandbox: str | None) -> Clock:
    """The time a command works by: a sandbox's clock (what its coupons and rows are dated by, moved by its control
    API), as its status gives it, or (no sandbox) the system's."""
    if sandbox is None:
        return SystemClock()
    try:
        now = sandbox_status(sandbox).get("now")
    except SandboxUnavailable as error:
        raise CommandError(str(error)) from None
    if not now:
        raise CommandError(f"the sandbox at {sandbox} publishes no clock (now): restart it with this version")
    return ManualClock(datetime.fromisoformat(now))


def _secret(aws: Aws, name: str) -> str:
    return str(aws.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])


def check(paths: list[Path], agency_file: Path) -> int:
    from tagback.adapters.coupon_image import layout_coupon  # noqa: PLC0415
    from tagback.config.agency import AgencyConfigError, load_agency_config  # noqa: PLC0415
    from tagback.config.checks import coupon_problems  # noqa: PLC0415

    try:
        agency = load_agency_config(agency_file)
        configs = load_client_configs(paths)
        # Every prize's coupon in every language, laid out with the fonts the functions will have.
        files = {path.stem: path for path in paths}
        drawn = [f"{files[c.client_id]}: {problem}" for c in configs for problem in coupon_problems(c, layout_coupon)]
        if drawn:
            raise ConfigError("files", drawn)
    except (AgencyConfigError, ConfigError) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"ok  {agency_file}: {agency.agency_name}, Meta app {agency.meta.app_id}")
    for config in configs:
        print(f"ok  {config.client_id}: {config.venue_name} ({len(config.prizes)} prizes, {config.timezone})")
    for warning in shared_setting_warnings(configs, paths):
        print(f"warning  {warning}")
    return 0


def replay_dead_letters(
    queue_url: str, function_name: str, table: str | None = None, filter_pattern: dict[str, Any] | None = None
) -> int:
    """Replay one dead-letter queue through the function; `table` lets refused owner events be re-read;
    `filter_pattern` is what the function's stream mapping admits (a stream's pointer covers every record between)."""
    from tagback.app.replay import replay  # noqa: PLC0415
    from tagback.store.repositories import Repositories  # noqa: PLC0415

    functions = boto3_client("lambda")

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        answer = functions.invoke(FunctionName=function_name, Payload=json.dumps(event, default=str).encode())
        payload = json.loads(answer["Payload"].read() or b"{}")
        if answer.get("FunctionError"):
            raise RuntimeError(f"{function_name} failed: {payload}")
        return payload if isinstance(payload, dict) else {}

    outbox_item = Repositories.on(table).outbox.get if table else None
    report = replay(
        boto3_client("sqs"),
        queue_url,
        boto3_client("dynamodbstreams"),
        invoke,
        outbox_item=outbox_item,
        filter_pattern=filter_pattern,
    )
    print(
        f"replayed {report.replayed}, still failing {report.still_failing}, "
        f"no longer in the stream (over 24 h) {report.expired}"
    )
    for failure in report.failures:
        print(f"  {failure}")
    return 0 if report.still_failing == 0 and report.expired == 0 else 1


def verify_coupon(code: str, signing_key_param: str, *, aws: Aws) -> int:
    from tagback.domain.prizes import code_is_genuine, normalise_code  # noqa: PLC0415

    genuine = code_is_genuine(code, _secret(aws, signing_key_param))
    print(f"{normalise_code(code)}: {'genuine' if genuine else 'NOT a code this client issued (or a typo)'}")
    return 0 if genuine else 1


def store_staff_pins(client: str, pins_json: str, *, aws: Aws) -> int:
    """The staff PINs of the venue's redemption page, checked (names, 4–8 digits, no PIN twice), into the SecureString
    the edge reads them from. From stdin, never the command line (shell history); the PINs are never printed."""
    from tagback.domain.redemption import parse_staff_pins, staff_pins_parameter  # noqa: PLC0415

    try:
        pins = parse_staff_pins(pins_json)
    except ValueError as wrong:
        raise CommandError(f"staff PINs refused: {wrong}") from None
    name = staff_pins_parameter(client)
    aws.client("ssm").put_parameter(Name=name, Value=json.dumps(pins), Type="SecureString", Overwrite=True)
    print(f"stored {len(pins)} staff PINs for {client} in {name}: {', '.join(sorted(pins))}")
    print("the redemption page reads them within 5 minutes (its cache); a PIN names who redeemed each coupon")
    return 0


def export_csv(client: str, start: date, end: date, *, aws: Aws, table: str | None, out: Path) -> int:
    from tagback.app.export import export  # noqa: PLC0415
    from tagback.config.loading import load_client_config  # noqa: PLC0415

    config = load_client_config(Path("clients") / f"{client}.yaml")
    done = export(_table(client, aws, table), config, start, end, out)
    print(f"{done.award_rows} awards → {done.awards}\n{done.contact_rows} contacts → {done.contacts}")
    return 0


def _table(client: str, aws: Aws, table: str | None) -> Repositories:
    from tagback.store.repositories import Repositories  # noqa: PLC0415

    # A sandbox names its table in its status; in AWS the stack's output names it.
    name = table or aws.table or stack_outputs(f"Tagback-{client}")["TableName"]
    return Repositories.on(name, client=aws.client("dynamodb"))


def monthly_report(
    client: str, month: str, *, send: bool, aws: Aws, table: str | None, out: Path, agency_file: Path
) -> int:
    from tagback.adapters.report_delivery import ReportDelivery  # noqa: PLC0415
    from tagback.app.monthly_report import compose_report  # noqa: PLC0415
    from tagback.config.agency import AgencyConfigError, load_agency_config  # noqa: PLC0415
    from tagback.config.loading import load_client_config  # noqa: PLC0415

    config = load_client_config(Path("clients") / f"{client}.yaml")
    try:  # the report names the agency as the deployed one does; without agency.yaml, no agency
        agency = load_agency_config(agency_file).agency_name if agency_file.is_file() else None
    except AgencyConfigError as error:
        raise CommandError(str(error)) from None
    _, message = compose_report(config, _table(client, aws, table), month, agency)
    out.mkdir(parents=True, exist_ok=True)
    named = f"{client}-report-{month}"  # the client's id in it, as the export's: one folder serves every venue
    (out / f"{named}.eml").write_bytes(message.as_bytes())
    (out / f"{named}.html").write_text(message.get_body(("html",)).get_content(), encoding="utf-8")  # type: ignore[union-attr]
    print(f"report for {month} → {out / named}.html and .eml")
    if send:
        mailer = ReportDelivery("", ses=aws.client("ses"))
        sent = mailer.send(message, config.report.sender, config.report.recipients)
        print(f"SES message {sent}" if sent else "SES refused the report (see the log line above)")
        return 0 if sent else 1
    return 0


def redeem_coupon(client: str, code: str, *, check_only: bool, aws: Aws, table: str | None, clock: Clock) -> int:
    from tagback.app.redeem import CouponDesk, Verdict  # noqa: PLC0415
    from tagback.config.loading import load_client_config  # noqa: PLC0415

    config = load_client_config(Path("clients") / f"{client}.yaml")
    desk = CouponDesk.of(config, _table(client, aws, table), _secret(aws, config.secrets.coupon_signing_key))
    now = clock.now()
    status = desk.check(code, now) if check_only else desk.redeem(code, now)
    print(f"{status.code}: {redemption_answer(status, now.astimezone(config.tz).date())}")
    return 0 if status.verdict in (Verdict.VALID, Verdict.REDEEMED) else 1


def redemption_answer(status: CouponStatus, today: date) -> str:
    """What staff read: the verdict first, then the prize, whose it is and the dates, in the venue's local time."""
    from babel.dates import format_date  # noqa: PLC0415

    from tagback.app.redeem import Verdict  # noqa: PLC0415

    def day(value: date) -> str:
        return format_date(value, "d MMM" if value.year == today.year else "d MMM y", locale="en")

    if status.verdict is Verdict.UNKNOWN:  # a typo, a made-up code or another venue's: staff do the same for each
        return "UNKNOWN — not a coupon of this venue, or a typo"
    whose = (
        f" for {status.guest}" if status.guest else " for a guest whose data was erased" if status.guest_erased else ""
    )
    what = f"{status.prize}{whose}"
    until = f"until {day(status.valid_until)}" if status.valid_until else ""
    if status.verdict is Verdict.ALREADY_USED and status.used_at is not None:
        return f"ALREADY USED on {day(status.used_at.date())} at {status.used_at:%H:%M} — {what}"
    if status.verdict is Verdict.EXPIRED:
        return f"EXPIRED — {what} (valid {until})"
    return f"{status.verdict.upper()} — {what} ({until})"


def _client_config(client: str) -> tuple[Path, ClientConfig]:
    """The client's file and config; a missing file names the clients there are."""
    client_file = Path("clients") / f"{client}.yaml"
    if not client_file.is_file():
        known = ", ".join(path.stem for path in client_files(Path("clients"))) or "none"
        raise CommandError(
            f"no client file {client_file} (clients here: {known}); run from the repository's folder, or add the "
            "venue first (copy clients/demo.yaml)"
        )
    return client_file, load_client_config(client_file)


def connect_venue(client: str, code: str | None, *, sandbox: str | None, agency_file: Path) -> int:
    """Connect the venue's Instagram account (app/connect.py) with a token read from stdin, or a login code."""
    from tagback.adapters.meta.account import InstagramAccountApi  # noqa: PLC0415
    from tagback.adapters.ssm import SsmSecrets  # noqa: PLC0415
    from tagback.app.connect import WHERE_TO_GENERATE, ConnectRefused, connect  # noqa: PLC0415
    from tagback.config.agency import AgencyConfigError, load_agency_config  # noqa: PLC0415

    client_file, config = _client_config(client)
    try:
        agency = load_agency_config(agency_file)
    except AgencyConfigError as error:
        raise CommandError(str(error)) from None
    aws = _aws(sandbox, client)
    graph_url, webhook_url = _meta_endpoints(sandbox)
    records = _table(client, aws, None).tokens  # the venue's stack must exist before its token is worth storing
    token = None
    if code is None:
        token = _read_token(f"the Instagram token of {config.venue_name}'s account (from {WHERE_TO_GENERATE}): ")
    try:
        connected = connect(
            config,
            agency,
            token=token,
            code=code.removesuffix("#_") if code else None,  # Instagram appends "#_" to the redirect, not the code
            account=InstagramAccountApi(api_version=agency.meta.api_version, graph_url=graph_url, oauth_url=graph_url),
            vault=SsmSecrets(client=aws.client("ssm")),
            tokens=records,
            clock=_clock(sandbox),
            client_file=str(client_file),
            webhook_url=webhook_url,
        )
    except ConnectRefused as error:
        raise CommandError(str(error)) from None
    print(f"connected @{connected.username} ({connected.account_id}) to {client}\ndone:")
    print("\n".join(f"  - {line}" for line in connected.done))
    print("left for a person:")
    print("\n".join(f"  - {line}" for line in connected.left))
    return 0


def purge_retention(client: str, *, sandbox: str | None) -> int:
    """Delete the rows of the owner's Google Sheet dated before the client's retention (app/retention.py)."""
    from tagback.adapters.google.sheets import SHEETS_API, GoogleSheetsSink  # noqa: PLC0415
    from tagback.app.retention import purge_owner_sheet  # noqa: PLC0415
    from tagback.domain.events import SinkRefused, SinkUnavailable  # noqa: PLC0415

    _, config = _client_config(client)
    sheets = config.integrations.google_sheets
    if sheets is None:
        print(f"{client} has no Google Sheet (integrations.google_sheets): nothing to purge")
        return 0
    aws = _aws(sandbox, client)
    sheets_url = SHEETS_API
    if sandbox is not None:  # the sandbox's fake Google
        status = sandbox_status(sandbox)
        if not status.get("sheets_url"):
            raise CommandError(f"the sandbox at {sandbox} publishes no sheets_url: restart it with this version")
        sheets_url = status["sheets_url"]
    sheet = GoogleSheetsSink(
        spreadsheet_id=sheets.spreadsheet_id,
        sheet=sheets.sheet,
        service_account=json.loads(_secret(aws, sheets.service_account_param)),
        tz=config.tz,
        base_url=sheets_url,
    )
    try:
        cutoff, purged = purge_owner_sheet(config, sheet, _clock(sandbox).now())
    except SinkRefused as refused:
        raise CommandError(f"{refused}; {refused.fix}") from None
    except SinkUnavailable as unavailable:
        raise CommandError(f"{unavailable}: Google did not answer, nothing was deleted; run it again later") from None
    print(
        f"the sheet {sheets.sheet!r}: {purged.deleted} row(s) dated before {cutoff.isoformat()} (over "
        f"{config.retention_days} days old) deleted, {purged.kept} newer row(s) of ours kept (the header and rows not "
        "dated by Tagback are left alone)"
    )
    return 0


def venues_status(sandbox: str | None, *, as_json: bool) -> int:
    """Every venue in the edge's registry: its table's figures and its stack's failure queues (app/status.py), their
    depths from CloudWatch (adapters/queue_metrics.py: asking the queues would wake their metrics)."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from tagback.adapters.queue_metrics import queue_depths  # noqa: PLC0415
    from tagback.app.status import status_table, venue_status  # noqa: PLC0415
    from tagback.store.registry import Registry  # noqa: PLC0415
    from tagback.store.repositories import Repositories  # noqa: PLC0415
    from tagback.store.table import Table  # noqa: PLC0415

    aws = _aws(sandbox)
    if sandbox is not None:  # the sandbox's registry, clock and each venue's outputs, as its status publishes them
        published = sandbox_status(sandbox)
        registry_table, now = published["registry_table"], datetime.fromisoformat(published["now"])
        outputs = {venue["client_id"]: venue.get("outputs") or {} for venue in published.get("clients") or []}
    else:
        registry_table, now = stack_outputs("Tagback-Edge")["RegistryTableName"], datetime.now(UTC)
    rows = []
    for venue in Registry(Table(registry_table, aws.client("dynamodb"))).clients():
        venue_aws = aws if sandbox is not None else Aws(region=venue.region)  # a venue may be in another region
        queues: dict[str, int] = {}
        problems: list[str] = []
        try:
            stack = (
                dict(outputs.get(venue.client_id, {}))
                if sandbox is not None
                else stack_outputs(f"Tagback-{venue.client_id}", venue_aws.client("cloudformation"))
            )
            urls = {o.removesuffix("QueueUrl"): url for o, url in sorted(stack.items()) if o.endswith("QueueUrl")}
            queues = queue_depths(venue_aws.client("cloudwatch"), urls, now)
        except Exception as error:
            if aws_problem(error) is None:
                raise
            problems.append(f"its stack's queues could not be read: {aws_problem(error)}")
        store = Repositories.on(venue.table, client=venue_aws.client("dynamodb"))
        rows.append(venue_status(venue, store, now, queues, problems))
    if as_json:
        print(json.dumps([row.as_json() for row in rows], indent=2, ensure_ascii=False))
    else:
        print(status_table(rows, now))
    return 0


def monthly_cost(mentions: float, venues: int, measured_file: Path, prices_file: Path) -> int:
    """The monthly AWS cost of a venue and of the edge (app/cost.py), from the committed measurements and prices."""
    from tagback.app.cost import BARE_MENTION, CostModelError, bills_table, monthly_bills  # noqa: PLC0415

    try:
        measured = json.loads(measured_file.read_text(encoding="utf-8"))
        listed = json.loads(prices_file.read_text(encoding="utf-8"))
        prices = {name: float(price["value"]) for name, price in listed["prices"].items()}
        bills = monthly_bills(measured, prices, mentions, venues)
        bare = monthly_bills(measured, prices, mentions, venues, BARE_MENTION)
        dates = {"measured": measured["measured_on"], "prices": f"{listed['region']}, {listed['retrieved']}"}
    except (OSError, ValueError, KeyError, TypeError, CostModelError) as error:
        problem = f"no {error}" if isinstance(error, KeyError) else str(error)
        raise CommandError(f"{measured_file} / {prices_file}: {problem} (run from the repository's folder)") from None
    print(bills_table(bills, mentions, venues, dates, bare=bare))
    return 0


WRONG_CLIENT = 2  # `guest`'s exit status for a client that is not one of the agency's


def _clients(sandbox: str | None) -> list[str]:
    """The agency's clients: a sandbox's venues, or the client files here."""
    if sandbox is None:
        return [path.stem for path in client_files(Path("clients"))]
    try:
        return [venue["client_id"] for venue in sandbox_status(sandbox).get("clients") or []]
    except SandboxUnavailable as error:
        raise CommandError(str(error)) from None


def _guest_ids(store: Repositories, arguments: argparse.Namespace) -> tuple[list[str], str]:
    """The guests the command is about, and how they were named. An email or a phone is looked up by a scan of the
    table (an operator's occasional command)."""
    if arguments.igsid:
        return [arguments.igsid], f"guest {arguments.igsid}"
    named = f"email {arguments.email}" if arguments.email else f"phone {arguments.phone}"
    return store.guest_data.guests_with_contact(email=arguments.email, phone=arguments.phone), f"the guest with {named}"


def guest_command(arguments: argparse.Namespace) -> int:
    """`guest erase` / `guest export` for one client's guest, by IGSID, email or phone."""
    from tagback.app.erasure import ErasurePending, describe, request_erasure  # noqa: PLC0415
    from tagback.app.guest_export import guest_export  # noqa: PLC0415

    client, sandbox = arguments.client, arguments.sandbox
    known = _clients(sandbox)
    if client not in known:
        print(f"error: no client {client!r}; the clients are: {', '.join(known) or 'none'}", file=sys.stderr)
        return WRONG_CLIENT
    store, clock = _table(client, _aws(sandbox, client), arguments.table), _clock(sandbox)
    guest_ids, named = _guest_ids(store, arguments)
    if not guest_ids:
        print(f"nothing held about {named} in {client}")
        return 0
    if arguments.action == "export":
        held = [guest_export(g, store.guest_data, client_id=client, now=clock.now()) for g in guest_ids]
        found = [h for h in held if h is not None]
        if not found:
            print(f"nothing held about {named} in {client}")
            return 0
        print(json.dumps(found[0] if arguments.igsid else found, indent=2, ensure_ascii=False, default=str))
        return 0
    for guest_id in guest_ids:
        try:
            report = request_erasure(guest_id, store.erasures, clock, wait_seconds=arguments.wait)
        except ErasurePending as pending:
            raise CommandError(str(pending)) from None
        if not report.held:
            print(f"nothing held about guest {guest_id} in {client}")
            continue
        print(f"guest {guest_id} erased from {client}:")
        print("\n".join(f"  {line}" for line in describe(report)))
    return 0


def _read_token(prompt: str) -> str:
    """The token from stdin, never from the command line (shell history): hidden when typed, else one line."""
    token = (getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()).strip()
    if not token:
        raise CommandError("no token on stdin: paste the venue's Instagram token, or give --code CODE from the login")
    return token


def _meta_endpoints(sandbox: str | None) -> tuple[str | None, str | None]:
    """Where Meta's API answers (None: Meta itself) and the edge's webhook URL (None: it cannot be read)."""
    if sandbox is not None:
        try:
            status = sandbox_status(sandbox)
        except SandboxUnavailable as error:
            raise CommandError(str(error)) from None
        if not status.get("graph_url"):
            raise CommandError(f"the sandbox at {sandbox} publishes no graph_url: restart it with this version")
        edge = status.get("edge_url")
        webhook = None if not edge else edge if edge.endswith("/webhook") else f"{edge.rstrip('/')}/webhook"
        return status["graph_url"], webhook
    try:
        return None, stack_outputs("Tagback-Edge")["WebhookUrl"]
    except KeyError:
        return None, None
    except Exception as error:
        if aws_problem(error) is None:
            raise
        return None, None  # not deployed yet, or not readable here: the output lists it as left to do


def _period(arguments: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[date, date]:
    if arguments.month:
        days = days_of(arguments.month)
        return days[0], days[-1]
    if arguments.start and arguments.end:
        return date.fromisoformat(arguments.start), date.fromisoformat(arguments.end)
    parser.error("export needs --month YYYY-MM, or --from and --to (YYYY-MM-DD)")
    raise AssertionError("unreachable")  # parser.error exits


def _add_coupon(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    coupon = commands.add_parser("coupon", help="check a coupon code offline with the client's signing key")
    coupon.add_argument("code")
    coupon.add_argument("--signing-key-param", required=True, help="the SSM parameter named in the client config")
    coupon.add_argument("--sandbox", help=SANDBOX_HELP)


def _add_connect(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    connecting = commands.add_parser(
        "connect", help="connect a venue's Instagram account to the agency's app (the token is read from stdin)"
    )
    connecting.add_argument("--client", required=True)
    connecting.add_argument("--code", help="instead of a token: the code Instagram's login redirect carried")
    connecting.add_argument("--sandbox", help=SANDBOX_HELP)
    connecting.add_argument("--agency", type=Path, default=Path("agency.yaml"), help="default: agency.yaml")


def _add_venue_setup(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """What a venue needs set up besides its stack: its Instagram account connected, its staff PINs."""
    _add_connect(commands)
    _add_staff_pins(commands)


def _add_staff_pins(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pins = commands.add_parser(
        "staff-pins", help='store the staff PINs of a venue\'s redemption page: {"Ana": "4821", …} on stdin'
    )
    pins.add_argument("--client", required=True)
    pins.add_argument("--sandbox", help=SANDBOX_HELP)


def _add_retention(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    retention = commands.add_parser(
        "retention", help="delete the owner's Google Sheet rows older than the client's retention_days"
    )
    retention.add_argument("--client", required=True)
    retention.add_argument("--sandbox", help=SANDBOX_HELP)


def _add_guest(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    guest = commands.add_parser("guest", help="a guest's rights: erase them everywhere, or export what is held")
    actions = guest.add_subparsers(dest="action", required=True)
    for action, help_text in (
        ("erase", "erase the guest from the table, S3, schedules, the owner's sheet and CRM (idempotent)"),
        ("export", "print everything held about the guest as JSON (by --email or --phone: a list, one per guest)"),
    ):
        parser = actions.add_parser(action, help=help_text)
        parser.add_argument("--client", required=True)
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--igsid", help="the guest's Instagram-scoped id (what Meta's webhook calls sender.id)")
        who.add_argument("--email", help="a captured email (found by a scan of the table)")
        who.add_argument("--phone", help="a captured phone, E.164 as stored: +351912345678")
        parser.add_argument("--sandbox", help=SANDBOX_HELP)
        parser.add_argument("--table", help="the table's name (default: the stack's output, or the sandbox's)")
        if action == "erase":
            parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the venue (default 60)")


def _add_status(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    statusing = commands.add_parser(
        "status",
        help="every venue the edge knows in one table: mentions today and in 7 days, awards and DM failures this "
        "month, messages waiting for the token, failure queues, the token's days left, the last report sent",
    )
    statusing.add_argument("--json", action="store_true", help="a JSON list, one object per venue")
    statusing.add_argument("--sandbox", help=SANDBOX_HELP)


def _at_least(least: int, kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argument's type: a number, `least` or more (argparse names the argument in the error)."""

    def number(text: str) -> float:
        value = kind(text)
        if value < least:
            raise argparse.ArgumentTypeError(f"must be {least} or more, not {text}")
        return value

    number.__name__ = kind.__name__  # argparse's "invalid float value" for what is not a number
    return number


def _add_cost(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    costing = commands.add_parser(
        "cost", help="the monthly AWS cost of a venue and of the edge, from measured figures at public prices"
    )
    costing.add_argument(
        "--mentions", type=_at_least(0, float), required=True, help="a venue's story mentions a month (0 or more)"
    )
    costing.add_argument(
        "--venues", type=_at_least(1, int), default=1, help="how many such venues the edge serves (default 1)"
    )
    costing.add_argument(
        "--measured", type=Path, default=Path("bench/cost/measured.json"), help="python -m bench.measure_cost's"
    )
    costing.add_argument("--prices", type=Path, default=Path("bench/cost/prices.json"), help="with their sources")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tagback.cli", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser(
        "check",
        help="validate agency.yaml and the client configs (default: every clients/*.yaml); draw every coupon",
    )
    checking.add_argument("paths", nargs="*", type=Path)
    checking.add_argument("--agency", type=Path, default=Path("agency.yaml"), help="the agency's config")
    replaying = commands.add_parser(
        "replay", help="replay the stack's dead-letter and on-failure queues through the deployed functions"
    )
    replaying.add_argument("--stack", help="the client's stack, e.g. Tagback-demo (reads its outputs)")
    replaying.add_argument("--queue-url", help="instead of --stack: one dead-letter or on-failure queue's URL")
    replaying.add_argument(
        "--function",
        help="instead of --stack: the function that queue belongs to (tagback-<client-id>-prize for the prize queue, "
        "-owner-delivery for the integrations queue; the name tells which stream records its mapping admits); "
        "this form does not know the table: an integrations dead letter naming a refused outbox item stays "
        "queued (use --stack)",
    )
    exporting = commands.add_parser("export", help="the period's awards and consented contacts as CSV files")
    exporting.add_argument("--client", required=True)
    exporting.add_argument("--month", help="YYYY-MM")
    exporting.add_argument("--from", dest="start", help="YYYY-MM-DD (with --to)")
    exporting.add_argument("--to", dest="end", help="YYYY-MM-DD")
    exporting.add_argument("--sandbox", help=SANDBOX_HELP)
    exporting.add_argument("--table", help="the table's name (default: the stack's output, or the sandbox's)")
    exporting.add_argument("--out", type=Path, default=Path("out"))
    reporting = commands.add_parser("report", help="build a month's report (and send it with --send)")
    reporting.add_argument("--client", required=True)
    reporting.add_argument("--month", required=True, help="YYYY-MM")
    reporting.add_argument("--send", action="store_true", help="email it through SES to the report recipients")
    reporting.add_argument("--sandbox", help=SANDBOX_HELP)
    reporting.add_argument("--table", help="the table's name (default: the stack's output, or the sandbox's)")
    reporting.add_argument("--out", type=Path, default=Path("out"))
    reporting.add_argument("--agency", type=Path, default=Path("agency.yaml"), help="whose name heads the report")
    redeeming = commands.add_parser("redeem", help="redeem a coupon at the counter")
    redeeming.add_argument("code")
    redeeming.add_argument("--check", action="store_true", help="only say what the coupon is; do not redeem it")
    redeeming.add_argument("--client", required=True)
    redeeming.add_argument("--sandbox", help=SANDBOX_HELP)
    redeeming.add_argument("--table", help="the table's name (default: the stack's output, or the sandbox's)")
    _add_coupon(commands)
    _add_venue_setup(commands)
    _add_retention(commands)
    _add_guest(commands)
    _add_status(commands)
    _add_cost(commands)
    arguments = parser.parse_args(argv)

    if arguments.command == "check":
        return check(arguments.paths or client_files(Path("clients")), arguments.agency)
    if arguments.command == "coupon":
        return verify_coupon(arguments.code, arguments.signing_key_param, aws=_aws(arguments.sandbox))
    if arguments.command == "redeem":
        aws = _aws(arguments.sandbox, arguments.client)
        return redeem_coupon(
            arguments.client,
            arguments.code,
            check_only=arguments.check,
            aws=aws,
            table=arguments.table,
            clock=_clock(arguments.sandbox),
        )
    if arguments.command == "report":
        return monthly_report(
            arguments.client,
            arguments.month,
            send=arguments.send,
            aws=_aws(arguments.sandbox, arguments.client),
            table=arguments.table,
            out=arguments.out,
            agency_file=arguments.agency,
        )
    if arguments.command == "retention":
        return purge_retention(arguments.client, sandbox=arguments.sandbox)
    if arguments.command == "guest":
        return guest_command(arguments)
    if arguments.command in ("status", "cost"):
        return _agency_view(arguments)
    if arguments.command in ("connect", "staff-pins"):
        return _venue_setup(arguments)
    if arguments.command == "export":
        start, end = _period(arguments, parser)
        aws = _aws(arguments.sandbox, arguments.client)
        return export_csv(arguments.client, start, end, aws=aws, table=arguments.table, out=arguments.out)
    return _replay(arguments, parser)


def _venue_setup(arguments: argparse.Namespace) -> int:
    """`connect` (the venue's Instagram account) or `staff-pins` (its redemption page's PINs, from stdin)."""
    if arguments.command == "connect":
        return connect_venue(arguments.client, arguments.code, sandbox=arguments.sandbox, agency_file=arguments.agency)
    return store_staff_pins(arguments.client, sys.stdin.read(), aws=_aws(arguments.sandbox, arguments.client))


def _agency_view(arguments: argparse.Namespace) -> int:
    """`status` (every venue now) or `cost` (what a venue and the edge cost a month)."""
    if arguments.command == "status":
        return venues_status(arguments.sandbox, as_json=arguments.json)
    return monthly_cost(arguments.mentions, arguments.venues, arguments.measured, arguments.prices)


def _replay(arguments: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """`replay`: a stack's dead-letter and on-failure queues, or one queue through one function."""
    from tagback.app.replay import OUTBOX_RECORDS, PRIZE_RECORDS  # noqa: PLC0415

    if arguments.stack:
        outputs = stack_outputs(arguments.stack)
        if "OwnerDeliveryFunctionName" not in outputs:  # a venue stack from before owner_delivery
            raise CommandError(
                f"the stack {arguments.stack} has no OwnerDeliveryFunctionName output: deploy this version first"
            )
        results = [
            replay_dead_letters(
                outputs["PrizeDeadLetterQueueUrl"], outputs["PrizeFunctionName"], filter_pattern=PRIZE_RECORDS
            ),
            replay_dead_letters(
                outputs["IntegrationDeadLetterQueueUrl"],
                outputs["OwnerDeliveryFunctionName"],
                outputs["TableName"],
                OUTBOX_RECORDS,
            ),
            # Scheduled invocations that failed inside the function, through that function again.
            *(
                replay_dead_letters(outputs[f"{name}FailureQueueUrl"], outputs[f"{name}FunctionName"])
                for name in ("FollowUp", "Report")
            ),
        ]
        return max(results)
    if not (arguments.queue_url and arguments.function):
        parser.error("replay needs --stack, or both --queue-url and --function")
    stream_records = {"-prize": PRIZE_RECORDS, "-owner-delivery": OUTBOX_RECORDS}  # by the function's service
    filter_pattern = next((f for end, f in stream_records.items() if arguments.function.endswith(end)), None)
    return replay_dead_letters(arguments.queue_url, arguments.function, filter_pattern=filter_pattern)


def run(argv: list[str] | None = None) -> int:
    """`main` as a command: what the operator must set up or fix in one line on stderr, not a traceback."""
    try:
        return main(argv)
    except (CommandError, ConfigError) as error:
        problem = str(error)
    except Exception as error:
        described = aws_problem(error)
        if described is None:
            raise
        problem = described
    print(f"error: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(run())
