"""Operator tools run from a checkout (`make install`), on dev dependencies (moto, fpdf2): never shipped in a layer,
so the package's layer imports only what it pins. `python -m tools.preview`, `python -m tools.sign`."""
