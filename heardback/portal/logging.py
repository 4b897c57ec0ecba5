"""Keep status-link tokens out of every log line.

The redaction itself lives in heardback.web.logs, which covers every secret in a URL (status
links, decision links, invitations, password resets, calendar feeds, address
confirmations), not only `/s/` tokens; these names stay for the portal's own imports.
"""

from __future__ import annotations

from heardback.web.logs import LOGGERS, REDACTED, RedactSecrets, install, redact

RedactStatusTokens = RedactSecrets

__all__ = ["LOGGERS", "REDACTED", "RedactStatusTokens", "install", "redact"]
