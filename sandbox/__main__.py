"""`make sandbox`: run the sandbox in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading

from sandbox.runtime import Sandbox, SandboxOptions


def main() -> None:
    # The sandbox's own lines on the console; the functions' logs go to out/sandbox/functions.log.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("sandbox").setLevel(logging.INFO)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Sandbox(SandboxOptions.from_environ()) as sandbox:
        clients = ", ".join(f"{v.client_id!r} ({v.config.instagram_account_id})" for v in sandbox.venues)
        print(f"Tagback sandbox: the edge on {sandbox.url} for clients {clients}", flush=True)
        print(f"  webhook:   {sandbox.url}/webhook   (Meta's handshake and deliveries, every venue)", flush=True)
        print(f"  status:    {sandbox.url}/_sandbox/status", flush=True)
        print(f"  messages:  {sandbox.url}/_sandbox/messages", flush=True)
        print(f'  clock:     POST {sandbox.url}/_sandbox/clock  {{"advance_minutes": 60}}', flush=True)
        print(f"  function logs and metrics: {sandbox.function_log}", flush=True)
        print("Ctrl-C stops everything.", flush=True)
        stop.wait()
    print("sandbox stopped", flush=True)


if __name__ == "__main__":
    main()
