"""What a person may see of somebody else's data."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """What another reseller sees of a customer's name: initials only."""
    return " ".join(part[0] + "***" for part in name.split()) if name else ""
