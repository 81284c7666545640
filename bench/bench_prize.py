"""Benchmarks of the prize path, printed as ratios (and the absolute figures beside them).

1. Mention → prize DM compute time in the sandbox: the prize handler's own time per guest (the mention — claim and
   language question — and the language answer — draw, coupon, DM, follow-up, image, contact question — against
   moto and the fake Graph API on loopback), excluding the stream pump's polling interval, against the edge's
   webhook handler's time for the same two deliveries.
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

from PIL import Image

from sandbox.chat import Guest
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.adapters.coupon_image import HEIGHT, WIDTH, render_coupon
from tagback.domain.awards import CouponFace
from tagback.domain.languages import language_name

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
        # The edge's webhook as its HTTP API invokes it, and the first venue's prize function as its stream does.
        api = sandbox.api
        api.functions = {**api.functions, "webhook": timed(api.functions["webhook"], webhook_times)}
        stream_pump, _ = sandbox.venue().pumps()
        consumer = stream_pump.consumers[0]
        consumer.invoke = timed(consumer.invoke, prize_times)
        for i in range(MENTIONS):
            guest = Guest(sandbox, f"bench{i}")
            guest.mention()
            guest.tap(language_name(sandbox.config.default_language))
            assert any(line.image for line in guest.transcript), "every guest should get the prize and its image"
    per_guest = [a + b for a, b in zip(prize_times[::2], prize_times[1::2], strict=True)]
    webhook_per_guest = [a + b for a, b in zip(webhook_times[::2], webhook_times[1::2], strict=True)]
    prize_ms = statistics.median(per_guest) * 1e3
    webhook_ms = statistics.median(webhook_per_guest) * 1e3
    print(
        f"mention → DM, prize handler per guest (median of {len(per_guest)}): {prize_ms:7.1f} ms   "
        f"webhook handler: {webhook_ms:5.1f} ms   ratio {prize_ms / webhook_ms:5.1f}x"
    )


def coupon_render() -> None:
    from tagback.config.loading import load_client_config  # noqa: PLC0415

    config = load_client_config(SandboxOptions().config_path)
    face = CouponFace(
        "Café Aurora",
        "Free pastel de nata",
        "7KQ4-M2XZ-9HJT",
        "Valid until 7 Dec 2026",
        "Show this coupon to our staff",
    )
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
