"""Polish texts of issue 11's pages (merged into i18n.CATALOG; CONFSCHED_ENGLISH holds
keyword ids whose English is not the bare id)."""
from __future__ import annotations

CONFSCHED_ENGLISH: dict[str, str] = {}

CONFSCHED: dict[str, str] = {}
