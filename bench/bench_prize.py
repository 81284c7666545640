"""Benchmarks of the prize path, printed as ratios (and the absolute figures beside them).

1. Mention → prize DM compute time in the sandbox: the prize handler's own time per mention (claim, draw, coupon,
   DM, follow-up, image — against moto and the fake Graph API on loopback), excluding the stream pump's polling
   interval, against the webhook handler's time for the same mention.
2. The coupon image: render time against a bare PNG encode of a blank card of the same size (the floor).
"""

from __future__ import annotations

import io
import statistics
import time
import timeit
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import requests
from PIL import Image

from sandbox import meta_payloads
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.coupons import HEIGHT, WIDTH, CouponFace, render_coupon

MENTIONS = 20


def timed(function: Callable[[dict[str, Any]], Any], into: list[float]) -> Callable[[dict[str, Any]], Any]:
    def run(event: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return function(event)
        finally:
            into.append(time.perf_counter() - started)

    return run


def mention_to_dm() -> None:
    prize_times: list[float] = []
    webhook_times: list[float] = []
    with Sandbox(replace(SandboxOptions(), port=0)) as sandbox:
        sandbox.functions["webhook"] = timed(sandbox.functions["webhook"], webhook_times)
        consumer = sandbox.stream_pump.consumers[0]
        consumer.invoke = timed(consumer.invoke, prize_times)
        account = sandbox.config.instagram_account_id
        now_ms = int(sandbox.clock.now().timestamp() * 1000)
        for i in range(MENTIONS):
            item = meta_payloads.story_mention(f"bench{i}", account, f"mid.bench.{i}", now_ms)
            body, headers = meta_payloads.signed(meta_payloads.envelope(account, [item]), sandbox.options.app_secret)
            requests.post(f"{sandbox.url}/webhook", data=body, headers=headers, timeout=10).raise_for_status()
            sandbox.settle()
        delivered = [m for m in sandbox.graph.sent_messages() if m["json"]["recipient"]["id"].startswith("bench")]
    assert len(delivered) == 2 * MENTIONS, "every mention should get its text and its image"
    prize_ms = statistics.median(prize_times) * 1e3
    webhook_ms = statistics.median(webhook_times) * 1e3
    print(
        f"mention → DM, prize handler per mention (median of {len(prize_times)}): {prize_ms:7.1f} ms   "
        f"webhook handler: {webhook_ms:5.1f} ms   ratio {prize_ms / webhook_ms:5.1f}x"
    )


def coupon_render() -> None:
    from tagback.config import load_client_config  # noqa: PLC0415

    config = load_client_config(SandboxOptions().config_path)
    face = CouponFace("Café Aurora", "Free pastel de nata", "7KQ4-M2XZ-9HJT", "Valid until 7 Dec 2026")
    render_coupon(face, config)  # warm the font and cmap caches, as a warm Lambda has them

    def blank() -> None:
        Image.new("RGB", (WIDTH, HEIGHT), config.coupon.background).save(io.BytesIO(), format="PNG", optimize=True)

    ours = min(timeit.repeat(lambda: render_coupon(face, config), number=5, repeat=5)) / 5
    floor = min(timeit.repeat(blank, number=5, repeat=5)) / 5
    print(
        f"coupon image render: {ours * 1e3:7.1f} ms   blank PNG encode: {floor * 1e3:5.1f} ms   "
        f"ratio {ours / floor:5.1f}x"
    )


if __name__ == "__main__":
    mention_to_dm()
    coupon_render()
