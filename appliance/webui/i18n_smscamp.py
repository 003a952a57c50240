"""Polish texts of issue 11's pages (merged into i18n.CATALOG; SMSCAMP_ENGLISH holds
keyword ids whose English is not the bare id)."""
from __future__ import annotations

SMSCAMP_ENGLISH: dict[str, str] = {}

SMSCAMP: dict[str, str] = {}
