"""Polish texts of issue 11's pages (merged into i18n.CATALOG; VOICECAST_ENGLISH holds
keyword ids whose English is not the bare id)."""
from __future__ import annotations

VOICECAST_ENGLISH: dict[str, str] = {}

VOICECAST: dict[str, str] = {}
