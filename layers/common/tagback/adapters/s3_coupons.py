"""Coupon images in the stack's private bucket: drawn, stored at `coupons/<valid_days>d/<code>.png` (the bucket
expires each validity's images with its coupons: domain/retention.py), and handed to Meta through a short-lived
presigned URL (Meta fetches the attachment when the message is sent)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from tagback.adapters.aws import boto3_client
from tagback.config.model import ClientConfig
from tagback.domain.awards import CouponFace
from tagback.domain.retention import coupon_image_key
from tagback.observability import logger


class S3CouponImages:
    def __init__(
        self,
        bucket: str,
        config: ClientConfig,
        client: Any = None,
        url_seconds: int = 900,
        link_prefix: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.config = config
        self.link_prefix = link_prefix  # the QR code opens <link_prefix>/<code> (the staff page); else the bare code
        self._given_client = client
        self.url_seconds = url_seconds

    @cached_property
    def client(self) -> Any:
        from botocore.config import Config  # noqa: PLC0415 - as boto3 itself, only when first used

        return self._given_client or boto3_client("s3", config=Config(signature_version="s3v4"))

    def publish(self, face: CouponFace, valid_days: int) -> str:
        from tagback.adapters.coupon_image import render_coupon  # noqa: PLC0415 - Pillow and qrcode: at the first coupon

        qr = f"{self.link_prefix.rstrip('/')}/{face.code}" if self.link_prefix else None
        image = render_coupon(face, self.config, qr=qr)
        if image.missing_glyphs:
            logger.warning(
                "coupon text has characters no font covers: add a font to coupon.fonts",
                extra={"characters": image.missing_glyphs},
            )
        key = coupon_image_key(face.code, valid_days)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=image.png, ContentType="image/png")
        return str(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.url_seconds
            )
        )

    def erase(self, code: str) -> bool:
        """Delete the coupon's image (its guest was erased); False when there was none. Its key names its validity
        (domain/retention.py): every validity the client's prizes have is tried, and the key used before that."""
        validities = sorted({prize.valid_days for prize in self.config.prizes})
        erased = False
        for key in (f"coupons/{code}.png", *(coupon_image_key(code, days) for days in validities)):
            try:
                self.client.head_object(Bucket=self.bucket, Key=key)
            except self.client.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    continue
                raise
            self.client.delete_object(Bucket=self.bucket, Key=key)
            erased = True
        return erased
