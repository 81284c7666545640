"""A layer drops what its wheels bundle and its functions never load, and its build fails when a wheel no longer has
such a file: the list is kept true rather than trimming nothing unnoticed."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.assets import drop_never_loaded

pytestmark = pytest.mark.infra


def test_a_file_to_drop_that_the_wheels_do_not_have_fails_the_build(tmp_path: Path) -> None:
    (tmp_path / "PIL").mkdir()
    kept, dropped = tmp_path / "PIL" / "_imaging.cpython-313-x86_64-linux-gnu.so", tmp_path / "PIL" / "_webp.so"
    kept.touch()
    dropped.touch()
    drop_never_loaded(tmp_path, ["PIL/_webp.*so"])
    assert kept.is_file()
    assert not dropped.exists()
    with pytest.raises(RuntimeError, match=r"PIL/_webp\.\*so: no such file"):
        drop_never_loaded(tmp_path, ["PIL/_webp.*so"])
