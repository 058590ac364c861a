"""Read the claims of a JWT without verifying it (the client only needs ``exp`` and ``email``)."""
from __future__ import annotations

import base64
import json
from typing import Optional


def claims(token: Optional[str]) -> dict:
    """Return the payload of ``token``, or ``{}`` if it is not a decodable JWT."""
    if not token or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
