"""Values for certificates that community.crypto makes: subject alternative names."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable


def subject_alt_names(names: Iterable[str]) -> list[str]:
    """`IP:` or `DNS:` entries for addresses and host names, without duplicates, in first-seen order."""
    entries: list[str] = []
    for name in names:
        text = str(name).strip().strip("[]")
        if not text:
            continue
        try:
            entry = f"IP:{ipaddress.ip_address(text)}"
        except ValueError:
            entry = f"DNS:{text.lower()}"
        if entry not in entries:
            entries.append(entry)
    return entries
