"""Operator commands.

python -m tagback.cli check [clients/*.yaml]        validate client configs before a deploy
python -m tagback.cli replay --stack Tagback-<id>    replay the prize function's dead-letter queue
python -m tagback.cli coupon --signing-key-param /tagback/<id>/coupon-signing-key CODE
                                                    check a coupon code offline (typos, made-up codes)
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tagback.config import ConfigError, client_files, load_client_configs


def check(paths: list[Path]) -> int:
    try:
        configs = load_client_configs(paths)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    for config in configs:
        print(f"ok  {config.client_id}: {config.venue_name} ({len(config.prizes)} prizes, {config.timezone})")
    return 0


def _stack_outputs(stack: str) -> dict[str, str]:
    import boto3  # noqa: PLC0415 - only the AWS commands need it

    (description,) = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}


def replay_dead_letters(queue_url: str, function_name: str, table: str | None = None) -> int:
    """Replay one dead-letter queue through the function; `table` lets refused owner events be re-read."""
    import boto3  # noqa: PLC0415

    from tagback.replay import replay  # noqa: PLC0415
    from tagback.store import DynamoRepository  # noqa: PLC0415

    functions = boto3.client("lambda")

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        answer = functions.invoke(FunctionName=function_name, Payload=json.dumps(event, default=str).encode())
        payload = json.loads(answer["Payload"].read() or b"{}")
        if answer.get("FunctionError"):
            raise RuntimeError(f"{function_name} failed: {payload}")
        return payload if isinstance(payload, dict) else {}

    outbox_item = DynamoRepository(table).get_outbox if table else None
    report = replay(boto3.client("sqs"), queue_url, boto3.client("dynamodbstreams"), invoke, outbox_item)
    print(
        f"replayed {report.replayed}, still failing {report.still_failing}, "
        f"no longer in the stream (over 24 h) {report.expired}"
    )
    for failure in report.failures:
        print(f"  {failure}")
    return 0 if report.still_failing == 0 and report.expired == 0 else 1


def verify_coupon(code: str, signing_key_param: str) -> int:
    from tagback.prizes import code_is_genuine, normalise_code  # noqa: PLC0415
    from tagback.secrets import ssm_secret  # noqa: PLC0415

    genuine = code_is_genuine(code, ssm_secret(signing_key_param))
    print(f"{normalise_code(code)}: {'genuine' if genuine else 'NOT a code this client issued (or a typo)'}")
    return 0 if genuine else 1


def export_csv(client: str, start: date, end: date, *, endpoint: str | None, table: str | None, out: Path) -> int:
    from tagback.config import load_client_config  # noqa: PLC0415
    from tagback.export import export  # noqa: PLC0415

    config = load_client_config(Path("clients") / f"{client}.yaml")
    done = export(_table(client, endpoint, table), config, start, end, out)
    print(f"{done.award_rows} awards → {done.awards}\n{done.contact_rows} contacts → {done.contacts}")
    return 0


def _table(client: str, endpoint: str | None, table: str | None) -> Any:
    import boto3  # noqa: PLC0415

    from tagback.store import DynamoRepository  # noqa: PLC0415

    # The sandbox's table has the stack's name pattern; in AWS the stack's output names it.
    name = table or (f"tagback-{client}" if endpoint else _stack_outputs(f"Tagback-{client}")["TableName"])
    return DynamoRepository(name, client=boto3.client("dynamodb", endpoint_url=endpoint))


def monthly_report(client: str, month: str, *, send: bool, endpoint: str | None, table: str | None, out: Path) -> int:
    import tempfile  # noqa: PLC0415

    import boto3  # noqa: PLC0415

    from tagback.config import load_client_config  # noqa: PLC0415
    from tagback.export import export  # noqa: PLC0415
    from tagback.reporting import ReportDelivery, build_report, compose_email, previous_month  # noqa: PLC0415

    config = load_client_config(Path("clients") / f"{client}.yaml")
    store = _table(client, endpoint, table)
    report = build_report(config, month, store.month_totals_item(month), store.month_totals_item(previous_month(month)))
    with tempfile.TemporaryDirectory() as folder:
        awards = export(store, config, report.daily[0][0], report.daily[-1][0], Path(folder)).awards.read_bytes()
    message = compose_email(report, config.report.sender, config.report.recipients, awards)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"report-{month}.eml").write_bytes(message.as_bytes())
    (out / f"report-{month}.html").write_text(message.get_body(("html",)).get_content(), encoding="utf-8")  # type: ignore[union-attr]
    print(f"report for {month} → {out / f'report-{month}.html'} and .eml")
    if send:
        mailer = ReportDelivery("", ses=boto3.client("ses", endpoint_url=endpoint))
        sent = mailer.send(message, config.report.sender, config.report.recipients)
        print(f"SES message {sent}" if sent else "SES refused the report (see the log line above)")
        return 0 if sent else 1
    return 0


def redeem_coupon(client: str, code: str, *, endpoint: str | None, table: str | None) -> int:
    from datetime import UTC, datetime  # noqa: PLC0415

    import boto3  # noqa: PLC0415

    from tagback.config import load_client_config  # noqa: PLC0415
    from tagback.redemption import redeem  # noqa: PLC0415

    config = load_client_config(Path("clients") / f"{client}.yaml")
    ssm = boto3.client("ssm", endpoint_url=endpoint)
    key = ssm.get_parameter(Name=config.secrets.coupon_signing_key, WithDecryption=True)["Parameter"]["Value"]
    answer = redeem(
        _table(client, endpoint, table),
        code,
        key,
        now=datetime.now(UTC),
        tz=config.tz,
        retention_days=config.retention_days,
    )
    print(f"{code}: {answer}")
    return 0 if answer == "redeemed" else 1


def _period(arguments: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[date, date]:
    if arguments.month:
        first = date.fromisoformat(f"{arguments.month}-01")
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, following - timedelta(days=1)
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
    replaying = commands.add_parser("replay", help="replay the prize dead-letter queue through the deployed function")
    replaying.add_argument("--stack", help="the client's stack, e.g. Tagback-demo (reads its outputs)")
    replaying.add_argument("--queue-url", help="instead of --stack: the dead-letter queue's URL")
    replaying.add_argument("--function", help="instead of --stack: the prize function's name")
    exporting = commands.add_parser("export", help="the period's awards and consented contacts as CSV files")
    exporting.add_argument("--client", required=True)
    exporting.add_argument("--month", help="YYYY-MM")
    exporting.add_argument("--from", dest="start", help="YYYY-MM-DD (with --to)")
    exporting.add_argument("--to", dest="end", help="YYYY-MM-DD")
    exporting.add_argument("--endpoint", help="an AWS endpoint other than AWS's own, e.g. the sandbox's moto")
    exporting.add_argument("--table", help="the table's name (default: the stack's output, or tagback-<client>)")
    exporting.add_argument("--out", type=Path, default=Path("out"))
    reporting = commands.add_parser("report", help="build a month's report (and send it with --send)")
    reporting.add_argument("--client", required=True)
    reporting.add_argument("--month", required=True, help="YYYY-MM")
    reporting.add_argument("--send", action="store_true", help="email it through SES to the report recipients")
    reporting.add_argument("--endpoint", help="an AWS endpoint other than AWS's own, e.g. the sandbox's moto")
    reporting.add_argument("--table", help="the table's name (default: the stack's output, or tagback-<client>)")
    reporting.add_argument("--out", type=Path, default=Path("out"))
    redeeming = commands.add_parser("redeem", help="redeem a coupon at the counter")
    redeeming.add_argument("code")
    redeeming.add_argument("--client", required=True)
    redeeming.add_argument("--endpoint", help="an AWS endpoint other than AWS's own, e.g. the sandbox's moto")
    redeeming.add_argument("--table", help="the table's name (default: the stack's output, or tagback-<client>)")
    coupon = commands.add_parser("coupon", help="check a coupon code offline with the client's signing key")
    coupon.add_argument("code")
    coupon.add_argument("--signing-key-param", required=True, help="the SSM parameter named in the client config")
    arguments = parser.parse_args(argv)

    if arguments.command == "check":
        return check(arguments.paths or client_files(Path("clients")))
    if arguments.command == "coupon":
        return verify_coupon(arguments.code, arguments.signing_key_param)
    if arguments.command == "redeem":
        return redeem_coupon(arguments.client, arguments.code, endpoint=arguments.endpoint, table=arguments.table)
    if arguments.command == "report":
        return monthly_report(
            arguments.client,
            arguments.month,
            send=arguments.send,
            endpoint=arguments.endpoint,
            table=arguments.table,
            out=arguments.out,
        )
    if arguments.command == "export":
        start, end = _period(arguments, parser)
        return export_csv(
            arguments.client, start, end, endpoint=arguments.endpoint, table=arguments.table, out=arguments.out
        )
    if arguments.stack:
        outputs = _stack_outputs(arguments.stack)
        function = outputs["PrizeFunctionName"]
        prize = replay_dead_letters(outputs["PrizeDeadLetterQueueUrl"], function)
        owner = replay_dead_letters(outputs["IntegrationDeadLetterQueueUrl"], function, outputs["TableName"])
        return prize or owner
    if not (arguments.queue_url and arguments.function):
        parser.error("replay needs --stack, or both --queue-url and --function")
    return replay_dead_letters(arguments.queue_url, arguments.function)


if __name__ == "__main__":
    sys.exit(main())
