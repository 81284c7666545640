"""The local runtime: the whole product on one machine with no AWS account (see README and docs/design.md)."""
