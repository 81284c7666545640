"""Lazily built per-function dependencies: built once, overridden, or bound for one context only (the sandbox runs
several venues' containers of one function in one process)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from tagback.domain.runtime import Lazy


def counting() -> tuple[Lazy[str], list[int]]:
    builds: list[int] = []

    def build() -> str:
        builds.append(1)
        return "from the environment"

    return Lazy(build), builds


def test_a_lazy_is_built_once_on_first_use() -> None:
    lazy, builds = counting()
    assert builds == []
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(lambda _: lazy.get(), range(32)))
    assert set(values) == {"from the environment"} and builds == [1]


def test_an_override_replaces_it_until_reset() -> None:
    lazy, builds = counting()
    lazy.override("overridden")
    assert lazy.get() == "overridden" and builds == []
    lazy.override(None)
    assert lazy.get() == "from the environment" and builds == [1]


def test_a_bound_value_holds_inside_its_context_only() -> None:
    lazy, builds = counting()
    lazy.override("overridden")
    with lazy.bound("venue a"):
        assert lazy.get() == "venue a"
        with lazy.bound("venue b"):
            assert lazy.get() == "venue b"
        assert lazy.get() == "venue a"
    assert lazy.get() == "overridden" and builds == []


def test_bound_values_do_not_leak_across_threads() -> None:
    lazy, _ = counting()
    both_bound = threading.Barrier(2)
    seen: dict[str, list[str]] = {}

    def venue(name: str) -> None:
        with lazy.bound(name):
            both_bound.wait(timeout=5)  # each thread reads while the other's value is bound too
            seen[name] = [lazy.get() for _ in range(100)]
            both_bound.wait(timeout=5)

    threads = [threading.Thread(target=venue, args=(name,)) for name in ("venue a", "venue b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert seen == {"venue a": ["venue a"] * 100, "venue b": ["venue b"] * 100}
    assert lazy.get() == "from the environment"  # this thread never bound anything


def test_a_task_started_inside_the_context_sees_the_bound_value() -> None:
    lazy, _ = counting()

    async def run() -> str:
        with lazy.bound("venue a"):
            task = asyncio.create_task(_read(lazy))  # the task copies the context it is created in
        return await task

    assert asyncio.run(run()) == "venue a"


async def _read(lazy: Lazy[str]) -> str:
    return lazy.get()


def test_a_bound_value_is_released_when_its_block_raises() -> None:
    lazy, _ = counting()
    lazy.override("overridden")
    try:
        with lazy.bound("venue a"):
            raise RuntimeError("the invocation failed")
    except RuntimeError:
        pass
    assert lazy.get() == "overridden"
