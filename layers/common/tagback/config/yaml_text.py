"""The config files' YAML, read with YAML 1.2's booleans: only true and false.

PyYAML reads YAML 1.1, where yes, no, on and off are booleans too, so `channels: off` (as a client file's comment
offers it) or a reply id `yes` became False and was refused as "not a string". YAML 1.2 reads them as the words.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_BOOL = "tag:yaml.org,2002:bool"


class _Yaml12Booleans(yaml.SafeLoader):
    """The safe loader with only YAML 1.2's booleans."""


_Yaml12Booleans.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Booleans.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_yaml(text: str) -> Any:
    """The document in `text` (raises yaml.YAMLError when it is not YAML)."""
    return yaml.load(text, Loader=_Yaml12Booleans)  # noqa: S506 - a SafeLoader: it builds plain values only
