"""Forwarding the journal to webhook destinations (SIEMs, any HTTP endpoint).

One consumer group on the journal per destination (`forwarder.py`), entries encoded
(`batches.py`) into requests in the destination's wire format (`formats.py`), signed the
Standard Webhooks way (`signing.py`), sent through a connector that refuses private
addresses at connect time (`guard.py`, `sender.py`), judged per format (`verdicts.py`),
retried on a schedule (`retry.py`), acknowledged once delivered (`settle.py`) and, when the
attempts run out, kept in the destination's dead-letter list (`deadletters.py`) for `replay`
(`replay.py`); `state.py` and `metrics.py` tell how it goes.
"""

from eventstream.forward.forwarder import Forwarder
from eventstream.forward.service import Forwarding

__all__ = ["Forwarder", "Forwarding"]
