"""Loading client configs (`clients/<client-id>.yaml`, or the JSON the stack ships to the functions): every problem
is reported at once, as `field.path: reason`, with the file it is in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from tagback.config.checks import prize_name_problems, question_problems, secret_name_problems, text_problems
from tagback.config.model import ClientConfig

# How a logo file starts, for the formats the conversation layer's Pillow reads (infra/assets.py NEVER_LOADED drops
# its WebP and AVIF codecs): a logo it cannot read would fail every coupon, not the deploy.
LOGO_SIGNATURES: Final = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff"}


class ConfigError(ValueError):
    """A client config that cannot be used. `problems` lists "field.path: reason" lines."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"invalid client config ({source}):\n" + "\n".join(f"  {p}" for p in problems))


def _describe(error: Any) -> str:
    location = ""
    for part in error["loc"]:
        if part == "[key]":  # pydantic's mark of a mapping's key: the key itself is the path's last part
            continue
        location += f"[{part}]" if isinstance(part, int) else (f".{part}" if location else str(part))
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field (check the spelling)"
    if not location and message.split(":", 1)[0].replace(".", "").replace("_", "").isalnum():
        return message  # a whole-config check that names its own field path
    return f"{location or '(top level)'}: {message}"


def _logo_problems(config: ClientConfig) -> list[str]:
    logo = config.coupon.logo
    if logo is None or not config.asset(logo).is_file():  # a missing file is reported as such
        return []
    with config.asset(logo).open("rb") as file:
        start = file.read(max(map(len, LOGO_SIGNATURES.values())))
    if any(start.startswith(signature) for signature in LOGO_SIGNATURES.values()):
        return []
    return [f"coupon.logo: {logo}: must be a {' or '.join(LOGO_SIGNATURES)} image (the coupon reads only those)"]


def parse_client_config(data: object, source: str, source_dir: Path = Path(".")) -> ClientConfig:
    if not isinstance(data, dict):
        raise ConfigError(source, ["(top level): must be a mapping of settings"])
    try:
        config = ClientConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(source, [_describe(e) for e in error.errors()]) from None
    config._source_dir = source_dir
    problems = [f"coupon: asset {path} does not exist" for path in config.asset_paths() if not path.is_file()]
    problems += _logo_problems(config)
    problems += secret_name_problems(config) + prize_name_problems(config) + text_problems(config)
    problems += question_problems(config)
    if problems:
        raise ConfigError(source, problems)
    return config


def load_client_config(path: Path) -> ClientConfig:
    """Load one config file (YAML, or the JSON the stack ships to the functions)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(str(path), [f"(file): cannot be read: {error.strerror}"]) from None
    data = _json_document(path, text) if path.suffix == ".json" else _yaml_document(path, text)
    return parse_client_config(data, str(path), path.parent)


def _json_document(path: Path, text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(str(path), [f"(file): not valid JSON: {error}"]) from None


def _yaml_document(path: Path, text: str) -> object:
    # The client files' (the CLI, the deploy, the sandbox): in Lambda the functions read the stack's JSON, and their
    # cold start skips PyYAML.
    import yaml  # noqa: PLC0415

    from tagback.config.yaml_text import read_yaml  # noqa: PLC0415

    try:
        return read_yaml(text)
    except yaml.YAMLError as error:
        raise ConfigError(str(path), [f"(file): not valid YAML: {error}"]) from None


def load_client_configs(paths: Iterable[Path]) -> list[ClientConfig]:
    """Load every client file, checking each is named after its client id; reports all problems at once."""
    paths = sorted(paths)  # read twice below: a generator would be spent by the first
    configs: list[ClientConfig] = []
    problems: list[str] = []
    for path in paths:
        try:
            config = load_client_config(path)
        except ConfigError as error:
            problems.extend(f"{path}: {problem}" for problem in error.problems)
            continue
        if config.client_id != path.stem:
            problems.append(f"{path}: client_id: {config.client_id!r} must match the file name ({path.stem!r})")
            continue
        configs.append(config)
    problems += _shared_accounts(configs, {path.stem: path for path in paths})
    if problems:
        raise ConfigError("files", problems)
    return configs


def _shared_accounts(configs: list[ClientConfig], files: dict[str, Path]) -> list[str]:
    """One Instagram account is one venue: the edge routes each delivery by its account to exactly one client."""
    owners: dict[str, ClientConfig] = {}
    problems = []
    for config in configs:
        first = owners.setdefault(config.instagram_account_id, config)
        if first is not config:
            problems.append(
                f"{files.get(config.client_id, config.client_id)}: instagram_account_id: "
                f"{config.instagram_account_id} is already the account of client {first.client_id!r} "
                f"({first.venue_name}, {files.get(first.client_id, first.client_id)}): one account is one venue"
            )
    return problems


# Settings two venues may share (one owner, two venues), but a copied file likely should not: check-config says so.
_SHARED_SETTINGS: dict[str, Callable[[ClientConfig], list[str]]] = {
    "integrations.google_sheets.spreadsheet_id": lambda c: (
        [c.integrations.google_sheets.spreadsheet_id] if c.integrations.google_sheets else []
    ),
    "integrations.webhook.url": lambda c: [str(c.integrations.webhook.url)] if c.integrations.webhook else [],
    "report.recipients": lambda c: list(c.report.recipients),
    "review_links.google_place_id": lambda c: [c.review_links.google_place_id],
}


def shared_setting_warnings(configs: list[ClientConfig], paths: Iterable[Path]) -> list[str]:
    """Settings one client file shares with another: fine for one owner's two venues, else a copy left unchanged."""
    files = {path.stem: path for path in paths}
    warnings = []
    for where, values_of in _SHARED_SETTINGS.items():
        owners: dict[str, ClientConfig] = {}
        for config in configs:
            for value in values_of(config):
                first = owners.setdefault(value, config)
                if first is not config:
                    warnings.append(
                        f"{files.get(config.client_id, config.client_id)}: {where}: {value} is also client "
                        f"{first.client_id!r}'s ({files.get(first.client_id, first.client_id)}): fine if one owner "
                        "runs both venues, else change it"
                    )
    return warnings


def client_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("_"))
