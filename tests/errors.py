"""Asserting domain errors by their code, and that people get a sentence, not the code."""

from __future__ import annotations

from contextlib import contextmanager

import pytest


@contextmanager
def raises_code(error: type[Exception], code: str):
    """Like pytest.raises(error), and the error carries `code` and a readable message."""
    with pytest.raises(error) as caught:
        yield caught
    assert caught.value.code == code, f"expected code {code!r}, got {caught.value.code!r}"
    text = str(caught.value)
    assert text and text != code and " " in text, f"{code!r} reads as {text!r}"
