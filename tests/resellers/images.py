"""Uploaded files for logo tests, made with Pillow."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_upload(
    fmt: str = "PNG", size: tuple[int, int] = (200, 80), name: str = "logo.png", colour="#c0392b"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def big_png(min_bytes: int) -> SimpleUploadedFile:
    """A valid PNG a little larger than `min_bytes` (random pixels do not compress), and still
    under the request size the app accepts (settings.MAX_REQUEST_BYTES)."""
    import os

    side = int((min_bytes / 3) ** 0.5) + 8
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    assert len(data) > min_bytes
    return SimpleUploadedFile("big.png", data, content_type="image/png")
