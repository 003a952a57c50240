"""Polish texts of issue 11's pages (merged into i18n.CATALOG; CONF_ENGLISH holds
keyword ids whose English is not the bare id)."""
from __future__ import annotations

CONF_ENGLISH: dict[str, str] = {}

CONF: dict[str, str] = {}
