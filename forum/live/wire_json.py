"""The JSON codec the Socket.IO server reads packets with: the standard library's, except that a payload it
cannot decode (nested too deep, a number of more than 4,300 digits, not JSON at all) still reaches the action
handlers (as an argument that is not an object), so the client gets the usual ``bad_payload``
acknowledgement instead of silence."""

from __future__ import annotations

import json
import re
from typing import Any

dumps = json.dumps

_EVENT_NAME = re.compile(r'\s*\[\s*"([A-Za-z0-9_.:-]{1,64})"')


def loads(text: str | bytes, **kwargs: Any) -> Any:
    try:
        return json.loads(text, **kwargs)
    except (RecursionError, ValueError):  # JSONDecodeError is a ValueError, as is a too long integer
        name = _EVENT_NAME.match(text if isinstance(text, str) else text.decode("utf-8", "replace"))
        return [name.group(1) if name else "message", ["not decodable"]]
