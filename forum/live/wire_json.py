"""The JSON codec the Socket.IO server reads packets with: the standard library's, except that a payload it
cannot decode (nested too deep, a number of more than 4,300 digits, not JSON at all) still reaches the action
handlers (as an argument that is not an object), so the client gets the usual ``bad_payload``
acknowledgement instead of silence.

It also writes a packet whose argument is already JSON text (``Encoded``) as that text: a connection's
snapshot is mostly the room state every connection shares, written once per state instead of once per phone.
"""

from __future__ import annotations

import json
import re
from typing import Any


class Encoded:
    """A value already written as JSON (compact, as packets are written), sent as it is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def dumps(obj: Any, **kwargs: Any) -> str:
    # A packet's data is [event name, *arguments]; only a snapshot's argument is ever pre-encoded.
    if type(obj) is list and len(obj) == 2 and type(obj[1]) is Encoded:
        return f"[{json.dumps(obj[0], **kwargs)},{obj[1].text}]"
    return json.dumps(obj, **kwargs)


_EVENT_NAME = re.compile(r'\s*\[\s*"([A-Za-z0-9_.:-]{1,64})"')


def loads(text: str | bytes, **kwargs: Any) -> Any:
    try:
        return json.loads(text, **kwargs)
    except (RecursionError, ValueError):  # JSONDecodeError is a ValueError, as is a too long integer
        name = _EVENT_NAME.match(text if isinstance(text, str) else text.decode("utf-8", "replace"))
        return [name.group(1) if name else "message", ["not decodable"]]
