"""Operator commands.

python -m tagback.cli check [clients/*.yaml]        validate client configs before a deploy
python -m tagback.cli replay --stack Tagback-<id>    replay the dead-letter and on-failure queues
python -m tagback.cli coupon --signing-key-param /tagback/<id>/coupon-signing-key CODE
                                                    check a coupon code offline (typos, made-up codes)
export, report, redeem and coupon use the AWS credential chain and region, as the AWS CLI does;
with --sandbox http://127.0.0.1:8787 they use that running sandbox's AWS instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagback.adapters.aws import Aws, SandboxUnavailable, aws_problem, boto3_client, sandbox_aws, stack_outputs
from tagback.config.loading import ConfigError, client_files, load_client_configs
from tagback.domain.stats import days_of

if TYPE_CHECKING:
    from tagback.store.repositories import Repositories

SANDBOX_HELP = "a running sandbox's URL, e.g. http://127.0.0.1:8787: its AWS, region, table and credentials"


class CommandError(Exception):
    """What the operator must fix, said in one line."""


def _aws(sandbox: str | None, client: str | None = None) -> Aws:
    """The AWS to use: a running sandbox's moto, as its status describes it, or (no sandbox) AWS itself."""
    if sandbox is None:
        return Aws()
    try:
        aws = sandbox_aws(sandbox)
    except SandboxUnavailable as error:
        raise CommandError(str(error)) from None
    if client is not None and client != aws.client_id:
        raise CommandError(f"the sandbox at {sandbox} runs client {aws.client_id!r}, not {client!r}")
    return aws


def _secret(aws: Aws, name: str) -> str:
    return str(aws.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])


def check(paths: list[Path]) -> int:
    try:
        configs = load_client_configs(paths)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    for config in configs:
        print(f"ok  {config.client_id}: {config.venue_name} ({len(config.prizes)} prizes, {config.timezone})")
    return 0


def replay_dead_letters(queue_url: str, function_name: str, table: str | None = None) -> int:
    """Replay one dead-letter queue through the function; `table` lets refused owner events be re-read."""
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
    report = replay(boto3_client("sqs"), queue_url, boto3_client("dynamodbstreams"), invoke, outbox_item)
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


def monthly_report(client: str, month: str, *, send: bool, aws: Aws, table: str | None, out: Path) -> int:
    from tagback.adapters.report_delivery import ReportDelivery  # noqa: PLC0415
    from tagback.app.monthly_report import compose_report  # noqa: PLC0415
    from tagback.config.loading import load_client_config  # noqa: PLC0415

    config = load_client_config(Path("clients") / f"{client}.yaml")
    _, message = compose_report(config, _table(client, aws, table), month)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"report-{month}.eml").write_bytes(message.as_bytes())
    (out / f"report-{month}.html").write_text(message.get_body(("html",)).get_content(), encoding="utf-8")  # type: ignore[union-attr]
    print(f"report for {month} → {out / f'report-{month}.html'} and .eml")
    if send:
        mailer = ReportDelivery("", ses=aws.client("ses"))
        sent = mailer.send(message, config.report.sender, config.report.recipients)
        print(f"SES message {sent}" if sent else "SES refused the report (see the log line above)")
        return 0 if sent else 1
    return 0


def redeem_coupon(client: str, code: str, *, aws: Aws, table: str | None) -> int:
    from datetime import UTC, datetime  # noqa: PLC0415

    from tagback.app.redeem import redeem  # noqa: PLC0415
    from tagback.config.loading import load_client_config  # noqa: PLC0415

    config = load_client_config(Path("clients") / f"{client}.yaml")
    answer = redeem(
        _table(client, aws, table),
        code,
        _secret(aws, config.secrets.coupon_signing_key),
        now=datetime.now(UTC),
        tz=config.tz,
        retention_days=config.retention_days,
    )
    print(f"{code}: {answer}")
    return 0 if answer == "redeemed" else 1


def _period(arguments: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[date, date]:
    if arguments.month:
        days = days_of(arguments.month)
        return days[0], days[-1]
    if arguments.start and arguments.end:
        return date.fromisoformat(arguments.start), date.fromisoformat(arguments.end)
    parser.error("export needs --month YYYY-MM, or --from and --to (YYYY-MM-DD)")
    raise AssertionError("unreachable")  # parser.error exits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tagback.cli", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="validate client configs (default: every clients/*.yaml)")
    checking.add_argument("paths", nargs="*", type=Path)
    replaying = commands.add_parser(
        "replay", help="replay the stack's dead-letter and on-failure queues through the deployed functions"
    )
    replaying.add_argument("--stack", help="the client's stack, e.g. Tagback-demo (reads its outputs)")
    replaying.add_argument("--queue-url", help="instead of --stack: the dead-letter queue's URL")
    replaying.add_argument("--function", help="instead of --stack: the prize function's name")
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
    redeeming = commands.add_parser("redeem", help="redeem a coupon at the counter")
    redeeming.add_argument("code")
    redeeming.add_argument("--client", required=True)
    redeeming.add_argument("--sandbox", help=SANDBOX_HELP)
    redeeming.add_argument("--table", help="the table's name (default: the stack's output, or the sandbox's)")
    coupon = commands.add_parser("coupon", help="check a coupon code offline with the client's signing key")
    coupon.add_argument("code")
    coupon.add_argument("--signing-key-param", required=True, help="the SSM parameter named in the client config")
    coupon.add_argument("--sandbox", help=SANDBOX_HELP)
    arguments = parser.parse_args(argv)

    if arguments.command == "check":
        return check(arguments.paths or client_files(Path("clients")))
    if arguments.command == "coupon":
        return verify_coupon(arguments.code, arguments.signing_key_param, aws=_aws(arguments.sandbox))
    if arguments.command == "redeem":
        aws = _aws(arguments.sandbox, arguments.client)
        return redeem_coupon(arguments.client, arguments.code, aws=aws, table=arguments.table)
    if arguments.command == "report":
        return monthly_report(
            arguments.client,
            arguments.month,
            send=arguments.send,
            aws=_aws(arguments.sandbox, arguments.client),
            table=arguments.table,
            out=arguments.out,
        )
    if arguments.command == "export":
        start, end = _period(arguments, parser)
        aws = _aws(arguments.sandbox, arguments.client)
        return export_csv(arguments.client, start, end, aws=aws, table=arguments.table, out=arguments.out)
    if arguments.stack:
        outputs = stack_outputs(arguments.stack)
        function = outputs["PrizeFunctionName"]
        results = [
            replay_dead_letters(outputs["PrizeDeadLetterQueueUrl"], function),
            replay_dead_letters(outputs["IntegrationDeadLetterQueueUrl"], function, outputs["TableName"]),
            # Scheduled invocations that failed inside the function, through that function again.
            *(
                replay_dead_letters(outputs[f"{name}FailureQueueUrl"], outputs[f"{name}FunctionName"])
                for name in ("FollowUp", "Report")
            ),
        ]
        return max(results)
    if not (arguments.queue_url and arguments.function):
        parser.error("replay needs --stack, or both --queue-url and --function")
    return replay_dead_letters(arguments.queue_url, arguments.function)


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
