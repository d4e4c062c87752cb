"""Invitation links: a random token in the link, only its hash in the database."""

from __future__ import annotations

import hashlib
import secrets


def token_new() -> str:
    """A new random token for a link (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def invitation_token_hash(token: str) -> str:
    """What the database keeps of an invitation link's token."""
    return hashlib.sha256(token.encode()).hexdigest()
