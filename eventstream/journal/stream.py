"""The journal stream's age bound.

Entries are written only by `commit.lua` (fields of `keys.py`: `event`, `subject`, `eid`) and
read by the server's journal reader (`journal/reader.py`). The length bound is applied at each
append (`XADD MAXLEN ~`), the age bound once per commit batch (`XTRIM MINID ~`, from
`oldest_id`); both are approximate, so Redis trims whole nodes only and stays fast.
"""

from __future__ import annotations

import time


def oldest_id(max_age_s: int, now_s: float | None = None) -> str:
    """The smallest entry id still inside the age bound (ids start with milliseconds)."""
    now = time.time() if now_s is None else now_s
    return f"{max(0, int((now - max_age_s) * 1000))}-0"
