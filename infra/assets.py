"""What the stack ships to Lambda, built on this machine without Docker: a layer per need (the tagback package and
the locked dependencies its functions import), each function's folder, and the client's validated config; all with
the bytecode of Lambda's Python."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from uv import find_uv_bin

from tagback.adapters.font_tables import write_coverage
from tagback.config.model import ClientConfig
from tagback.domain.languages import locales_of_venue
from tagback.messages.staff_labels import EDGE_PAGE_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_PYTHON = "3.13"
RUNTIME = lambda_.Runtime.PYTHON_3_13
CLIENT_CONFIG_IN_LAYER = "/opt/client.json"  # layers are unpacked under /opt
_NO_BYTECODE = shutil.ignore_patterns("__pycache__", "*.pyc")
PACKAGE = ROOT / "layers" / "common" / "tagback"


@dataclass(frozen=True)
class LayerNeed:
    """A layer: what its functions import, from the lock (pyproject.toml's group `layer-<name>`, exported by `make
    lock` to layers/<name>/requirements.txt), and the tagback package, with the bundled fonts if they draw coupons."""

    name: str
    description: str
    fonts: bool = False
    babel_locales: tuple[str, ...] = ()  # a layer every venue shares: the Babel locales it formats with

    @property
    def requirements(self) -> Path:
        return ROOT / "layers" / self.name / "requirements.txt"


LAYERS: Final = {
    need.name: need
    for need in (
        LayerNeed(
            "edge",
            "the edge's functions: pydantic, Powertools, Babel for the staff page and the tagback package",
            babel_locales=(*EDGE_PAGE_LANGUAGES, "en_001"),
        ),
        LayerNeed("conversation", "the conversation: imaging, QR codes, phone numbers", fonts=True),
        LayerNeed("report", "the monthly report: its email's locale data and the HTTP clients"),
        LayerNeed("owner", "the owner's sinks: Google's service-account auth for the sheet, the CRM's HTTP client"),
    )
}
# The layer each function runs on (by its folder under functions/): a function loads only what its layer has.
FUNCTION_LAYERS: Final = {
    "webhook": "edge",
    "registry": "edge",
    "watchdog": "edge",
    "redemption": "edge",
    "prize": "conversation",
    "review_followup": "conversation",
    "monthly_report": "report",
    "owner_delivery": "owner",
}

# What a layer's wheels bundle that its functions never load, dropped after install (globs under its python/): an
# extension module, and each bundled library that only dropped modules need (`readelf -d`'s NEEDED). The coupon
# reads a PNG or JPEG logo and emoji PNGs, writes a PNG and draws text with FreeType and HarfBuzz: Pillow's
# `_imaging` (libjpeg, libtiff, libopenjp2, libxcb) and `_imagingft` (freetype, harfbuzz, libpng, brotli) stay.
NEVER_LOADED: Final = {
    "conversation": (
        # AVIF and WebP images: Image.init() skips their plugins without the module, and opening such a file
        # raises "... support not installed".
        "PIL/_avif.*.so",
        "pillow.libs/libavif-*.so*",
        "PIL/_webp.*.so",
        "pillow.libs/libwebp-*.so*",
        "pillow.libs/libwebpmux-*.so*",
        "pillow.libs/libwebpdemux-*.so*",
        "pillow.libs/libsharpyuv-*.so*",
        "PIL/_imagingcms.*.so",  # colour management (ImageCms, conversions to and from LAB)
        "pillow.libs/liblcms2-*.so*",
        "PIL/_imagingtk.*.so",  # Tkinter's images: Lambda has no Tk
        "PIL/_imagingmath.*.so",  # ImageMath's expressions
        "PIL/_imagingmorph.*.so",  # ImageMorph's operators
    ),
}


@functools.cache
def lambda_python() -> str:
    """This machine's CPython of Lambda's version, which resolves the layer and compiles the shipped bytecode:
    $TAGBACK_LAMBDA_PYTHON, else python3.13 on PATH, else pyenv's 3.13."""
    chosen = os.environ.get("TAGBACK_LAMBDA_PYTHON")
    candidates = [chosen] if chosen else [shutil.which(f"python{LAMBDA_PYTHON}"), _pyenv_python()]
    for candidate in candidates:
        if candidate and _cache_tag(candidate) == f"cpython-{LAMBDA_PYTHON.replace('.', '')}":
            return candidate
    tried = ", ".join(c for c in candidates if c) or f"no python{LAMBDA_PYTHON} on PATH or in pyenv"
    raise RuntimeError(
        f"CPython {LAMBDA_PYTHON} (Lambda's runtime) builds the functions' bytecode, and none works here ({tried}): "
        f"`pyenv install {LAMBDA_PYTHON}`, or set TAGBACK_LAMBDA_PYTHON to its path"
    )


def _pyenv_python() -> str | None:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    prefix = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [pyenv, "prefix", LAMBDA_PYTHON], capture_output=True, text=True, check=False
    ).stdout.strip()
    return f"{prefix}/bin/python{LAMBDA_PYTHON}" if prefix else None


def _cache_tag(python: str) -> str | None:
    """`cpython-313` for CPython 3.13 (a pyenv shim of a version not selected exits non-zero)."""
    try:
        probe = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [python, "-c", "import sys; print(sys.implementation.cache_tag)"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return probe.stdout.strip()


def compile_bytecode(folder: Path) -> None:
    """Lambda's /opt and /var/task are read-only: whatever ships without bytecode is compiled at every cold start.
    Unchecked hash-based .pyc: the sources never change once built, and a zip keeps their mtimes to 2 s only."""
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [lambda_python(), "-I", "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", folder],
        check=True,
    )


def install_for_lambda(requirements: Path, target: Path) -> None:
    """Installs exactly `requirements` (hashes required) for Lambda's python3.13 on x86_64 into `target`."""
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            find_uv_bin(),
            "pip",
            "install",
            "--quiet",
            "--require-hashes",
            "--no-deps",  # the file is the whole closure
            "-r",
            requirements,
            "--target",
            target,
            # uv evaluates the file's environment markers for this interpreter and platform (pip would use its
            # own). Lambda's python3.13 runs on Amazon Linux 2023, glibc 2.34; Pillow 13 needs manylinux_2_28.
            "--python",
            lambda_python(),
            "--python-platform",
            "x86_64-manylinux_2_34",
            "--only-binary",
            ":all:",
        ],
        check=True,
    )
    (target / ".lock").unlink(missing_ok=True)  # uv's lock of the --target folder, not something to ship


def layer_of(function: str) -> LayerNeed:
    if function not in FUNCTION_LAYERS:
        raise KeyError(f"functions/{function} runs on no layer: add it to infra/assets.py FUNCTION_LAYERS")
    return LAYERS[FUNCTION_LAYERS[function]]


def locale_data_of(config: ClientConfig) -> frozenset[str]:
    """The Babel locale-data files (by locale) the venue's functions read."""
    return locale_closure(locales_of_venue(config.languages, config.report_language, config.timezone))


def locale_closure(locales: Iterable[str]) -> frozenset[str]:
    """Each locale and every locale Babel merges into it — its parents (CLDR's parent exceptions, then the
    identifier less its last part) up to `root`. A superset of Babel's chain (which skips some parents for scripts),
    from Babel's public data only."""
    from babel.core import get_global  # noqa: PLC0415 - the synth's Babel, with every locale's data
    from babel.localedata import exists  # noqa: PLC0415

    parent_exceptions = get_global("parent_exceptions")
    wanted = list(locales)
    kept: set[str] = set()
    while wanted:
        locale = wanted.pop()
        if locale in kept:
            continue
        if not exists(locale):
            raise ValueError(f"Babel has no locale data for {locale!r}, which a layer formats with")
        kept.add(locale)
        parts = locale.split("_")
        wanted += [parent_exceptions.get(locale, "root"), "_".join(parts[:-1]) if len(parts) > 1 else "root"]
    return frozenset(kept)


def _keep_locale_data(target: Path, locales: frozenset[str]) -> None:
    """Babel ships CLDR's data for ~1,000 locales (31 MB); a venue's functions read a handful."""
    for data in (target / "babel" / "locale-data").glob("*.dat"):
        if data.stem not in locales:
            data.unlink()


def drop_never_loaded(target: Path, patterns: Iterable[str]) -> None:
    """Each pattern must match a file: when a new wheel renames one, the build fails rather than ship it unnoticed."""
    for pattern in patterns:
        matched = list(target.glob(pattern))
        if not matched:
            raise RuntimeError(f"{pattern}: no such file in {target} to drop (infra/assets.py NEVER_LOADED)")
        for path in matched:
            path.unlink()


def build_layer(name: str, folder: Path, locales: frozenset[str] | None = None) -> Path:
    """The layer `name` as Lambda unpacks it under /opt, into `folder` (empty or absent), for Lambda's platform and
    with 3.13 bytecode; returns its python/ (what Lambda puts on sys.path). With `locales` (a venue's, from
    `locale_data_of`), Babel's locale data of those locales only."""
    need = LAYERS[name]
    if locales is None and need.babel_locales:
        locales = locale_closure(need.babel_locales)
    target = folder / "python"
    install_for_lambda(need.requirements, target)  # boto3 and its dependencies are the runtime's
    drop_never_loaded(target, NEVER_LOADED.get(name, ()))
    if locales is not None:
        _keep_locale_data(target, locales)
    skipped = () if need.fonts else ("fonts",)  # the bundled fonts draw coupons, in the conversation only
    shutil.copytree(PACKAGE, target / "tagback", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *skipped))
    compile_bytecode(target)
    return target


@jsii.implements(ILocalBundling)
class LayerBundler:
    """Builds a layer for Lambda's platform from the lock's export, on this machine (no Docker)."""

    def __init__(self, name: str, locales: frozenset[str] | None) -> None:
        self.name = name
        self.locales = locales

    def try_bundle(self, output_dir: str, *_options: Any, **_bundling: Any) -> bool:  # jsii passes the options
        build_layer(self.name, Path(output_dir), self.locales)
        return True


@jsii.implements(ILocalBundling)
class FunctionBundler:
    """A function's folder and its bytecode, on this machine."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def try_bundle(self, output_dir: str, *_options: Any, **_bundling: Any) -> bool:  # jsii passes the options
        shutil.copytree(self.source, output_dir, ignore=_NO_BYTECODE, dirs_exist_ok=True)
        compile_bytecode(Path(output_dir))
        return True


def _bundled(source: Path, bundler: ILocalBundling, hash_type: AssetHashType = AssetHashType.SOURCE) -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(source),
        asset_hash_type=hash_type,
        exclude=["__pycache__", "*.pyc", "*.egg-info"],
        bundling=BundlingOptions(
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-python{LAMBDA_PYTHON}"),
            local=bundler,
            command=["false"],  # never used: local bundling always succeeds or fails loudly
        ),
    )


def layer_code(name: str, locales: frozenset[str] | None = None) -> lambda_.Code:
    """Hashed by what it ships: its folder holds only the requirements, the tagback package is beside it; a venue's
    layer holds only its `locales`' Babel data, so venues speaking the same languages share one asset."""
    return _bundled(LAYERS[name].requirements.parent, LayerBundler(name, locales), AssetHashType.OUTPUT)


def function_code(name: str) -> lambda_.Code:
    source = ROOT / "functions" / name
    return _bundled(source, FunctionBundler(source))


def client_config_code(config: ClientConfig, build_dir: Path) -> lambda_.Code:
    """The validated config as JSON, so the functions read exactly what was checked before deploy; its assets beside
    it, each font with its coverage table (the layers ship no fontTools to read the font)."""
    folder = build_dir / "client-config" / config.client_id
    if folder.exists():
        shutil.rmtree(folder)  # nothing stale from an earlier synth may ship
    folder.mkdir(parents=True)
    (folder / Path(CLIENT_CONFIG_IN_LAYER).name).write_text(config.model_dump_json(indent=2), encoding="utf-8")
    named = [config.coupon.logo, *config.coupon.fonts]
    for relative in (path for path in named if path is not None):  # beside client.json, as beside the YAML
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(config.asset(relative), folder / relative)
    for font in config.coupon.fonts:
        write_coverage(folder / font)
    return lambda_.Code.from_asset(str(folder))
