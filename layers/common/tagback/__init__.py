"""Tagback: everything the Lambda functions share, shipped as the common layer.

`domain` (records and rules) ← `messages` ← `config` ← `conversation` (the engine); `store` and `adapters` talk
to the outside; `app` holds the use cases; `wiring` picks the adapters for each function (docs/design.md, "Code
layout").
"""
