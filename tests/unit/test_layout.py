"""The package's layers, read from its source (docs/design.md, "Code layout"): only adapters talk to the outside,
the domain stands alone, the conversation sees records and ports only, no part imports another in a circle, and
the handlers reach the rest through tagback.app and tagback.wiring only."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "layers" / "common" / "tagback"
# The libraries that reach AWS, the network, images or phone numbers: adapters only.
OUTSIDE = {"boto3", "botocore", "requests", "PIL", "qrcode", "fontTools", "phonenumbers", "google"}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path, *, typing_too: bool = True) -> Iterator[str]:
    """Every module `path` imports, wherever (lazy imports inside functions too); `typing_too=False` leaves out
    what is imported for the type checker only."""

    def walk(nodes: list[ast.AST]) -> Iterator[str]:
        for node in nodes:
            if isinstance(node, ast.If) and _type_checking(node) and not typing_too:
                yield from walk(list(node.orelse))
                continue
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                yield node.module
                if node.module == "tagback":
                    yield from (f"tagback.{alias.name}" for alias in node.names)
            yield from walk(list(ast.iter_child_nodes(node)))

    return walk([ast.parse(path.read_text(encoding="utf-8"))])


def part(module: str) -> str:
    """The part of the package a module belongs to: `domain`, `store`, …, or a top-level module's name."""
    return module.split(".")[1] if module.count(".") else module


ALL = modules()


@pytest.mark.parametrize("module", [m for m in ALL if part(m) != "adapters"])
def test_only_adapters_import_what_talks_to_the_outside(module: str) -> None:
    outside = sorted({name for name in imports(ALL[module]) if name.split(".")[0] in OUTSIDE})
    assert not outside, f"{module} imports {outside}: that belongs in tagback.adapters"


@pytest.mark.parametrize("module", [m for m in ALL if part(m) == "domain"])
def test_the_domain_imports_nothing_else_of_tagback(module: str) -> None:
    others = sorted({name for name in imports(ALL[module]) if name.startswith("tagback") and part(name) != "domain"})
    assert not others, f"{module} imports {others}"


@pytest.mark.parametrize("module", [m for m in ALL if part(m) == "conversation"])
def test_the_conversation_sees_records_config_texts_and_its_ports_only(module: str) -> None:
    allowed = {"domain", "config", "messages", "conversation", "observability"}
    others = sorted({name for name in imports(ALL[module]) if name.startswith("tagback") and part(name) not in allowed})
    assert not others, f"{module} imports {others}: the engine talks to the outside through its ports"


def graph(key: object) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, path in ALL.items():
        targets = {name for name in imports(path, typing_too=False) if name in ALL or name.startswith("tagback.")}
        edges.setdefault(key(module), set()).update(key(t) for t in targets if key(t) != key(module))  # type: ignore[operator]
    return edges


def test_no_part_of_the_package_imports_another_in_a_circle() -> None:
    try:
        order = list(TopologicalSorter(graph(part)).static_order())
    except CycleError as cycle:
        pytest.fail(f"parts import each other in a circle: {cycle.args[1]}")
    assert order.index("domain") < order.index("config") < order.index("conversation") < order.index("wiring")


def test_no_module_imports_another_in_a_circle() -> None:
    def module(name: str) -> str:
        return name if name in ALL else name.rsplit(".", 1)[0]  # `from tagback.x import name` is tagback.x

    try:
        TopologicalSorter(graph(module)).prepare()
    except CycleError as cycle:
        pytest.fail(f"modules import each other in a circle: {cycle.args[1]}")


HANDLERS = sorted((ROOT / "functions").glob("*/handler.py"))
# One shape for every handler: its dependencies from the wiring, the event model, one use case, the reply.
HANDLER_MAY_IMPORT = {
    "tagback.app",
    "tagback.wiring",
    "tagback.domain.runtime",
    "tagback.domain.steps",  # the scheduled step that review_followup's input names
    "tagback.observability",
    "tagback.config",
    "aws_lambda_powertools",
    "pydantic",
    "__future__",
    "typing",
    "base64",  # the webhook's body, as API Gateway may encode it
    "binascii",
}


def handler_may_import(name: str) -> bool:
    return any(name == allowed or name.startswith(f"{allowed}.") for allowed in HANDLER_MAY_IMPORT)


def test_handlers_may_not_reach_past_the_use_cases() -> None:
    assert HANDLERS
    for name in ("tagback.store.schema", "tagback.adapters.meta.webhook", "tagback.conversation.outcome", "boto3"):
        assert not handler_may_import(name), name


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda path: path.parent.name)
def test_handlers_call_the_use_cases_through_the_wiring_only(handler: Path) -> None:
    others = sorted({name for name in imports(handler) if not handler_may_import(name)})
    assert not others, f"{handler.parent.name}'s handler imports {others}: use tagback.app and tagback.wiring"
