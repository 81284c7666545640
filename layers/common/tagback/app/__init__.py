"""The use cases the functions' handlers and the CLI call: ingest, follow a link, deliver to the owner, snapshot,
report, export, redeem, replay."""
