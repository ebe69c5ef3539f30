"""Decide whether a CloudTrail record is a change, and whether it creates, updates or deletes.

BRIEF rules: a failed call (`errorCode`) and a read-only call are not changes; `readOnly` is
sometimes missing or wrong, so read verbs are recognised by name as well. The action comes from
an explicit per-service table first (see `resources/`), and from the call's leading verb second.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from eventstream.models.event import Action


class Outcome(StrEnum):
    """What normalizing one record produced; each outcome is counted."""

    CHANGE = "change"
    READ_ONLY = "read_only"
    FAILED = "failed"
    SIGN_IN = "sign_in"
    NON_ASSET = "non_asset"
    UNMAPPED = "unmapped"
    NATIVE_SKIPPED = "native_skipped"


# Members as module constants: attribute access on an Enum class is slow (a lookup through
# the metaclass), and the screen runs on every record.
_FAILED = Outcome.FAILED
_READ_ONLY = Outcome.READ_ONLY
_SIGN_IN = Outcome.SIGN_IN

_VERB = re.compile(r"[A-Z][a-z0-9]*")
_QUALIFIERS = frozenset({"Batch", "Admin"})  # words before the verb
_API_VERSION_SUFFIX = re.compile(r"\d{8}(v\d+)?$")

READ_VERBS = frozenset(
    {
        "Get",
        "List",
        "Describe",
        "Head",
        "Lookup",
        "Search",
        "Select",
        "Query",
        "Scan",
        "Check",
        "Preview",
        "Simulate",
        "Validate",
        "Estimate",
        "Test",
        "Decrypt",
        "Encrypt",
        "Verify",
        "Generate",
        "Sign",
        "Filter",
        "Download",
        "Poll",
        "Receive",
        "Assume",
        "Detect",
    }
)
CREATE_VERBS = frozenset(
    {
        "Create",
        "Run",
        "Allocate",
        "Import",
        "Register",
        "Copy",
        "Restore",
        "Launch",
        "Request",
        "Purchase",
        "Provision",
        "Issue",
        "Clone",
        "Duplicate",
    }
)
DELETE_VERBS = frozenset({"Delete", "Terminate", "Release", "Deregister", "Destroy", "Deprovision"})
UPDATE_VERBS = frozenset(
    {
        "Put",
        "Update",
        "Modify",
        "Set",
        "Attach",
        "Detach",
        "Associate",
        "Disassociate",
        "Enable",
        "Disable",
        "Start",
        "Stop",
        "Reboot",
        "Tag",
        "Untag",
        "Authorize",
        "Revoke",
        "Add",
        "Remove",
        "Replace",
        "Purge",
        "Reset",
        "Change",
        "Apply",
        "Accept",
        "Reject",
        "Cancel",
        "Rotate",
        "Upload",
        "Assign",
        "Unassign",
        "Grant",
        "Retire",
        "Move",
        "Rename",
        "Resize",
        "Upgrade",
        "Promote",
        "Failover",
        "Switch",
        "Swap",
        "Configure",
        "Edit",
        "Mount",
        "Unmount",
        "Suspend",
        "Resume",
        "Pause",
        "Unpause",
        "Lock",
        "Unlock",
        "Activate",
        "Deactivate",
        "Confirm",
        "Link",
        "Unlink",
        "Subscribe",
        "Unsubscribe",
        "Merge",
        "Schedule",
        "Restart",
        "Deploy",
        "Undeploy",
        "Publish",
        "End",
        "Renew",
        "Extend",
        "Share",
        "Unshare",
        "Increase",
        "Decrease",
        "Dissociate",
        "Connect",
        "Disconnect",
        "Switchover",
        "Rollback",
        "Revert",
        "Refresh",
        "Archive",
        "Unarchive",
        "Deauthorize",
        "Deprecate",
    }
)


def base_operation(event_name: str) -> str:
    """`UpdateFunctionCode20150331v2` → `UpdateFunctionCode`: API-versioned names, stripped."""
    if event_name[-1:].isdigit():
        return _API_VERSION_SUFFIX.sub("", event_name)
    return event_name


def leading_verb(operation: str) -> str:
    """The leading capitalised word: `DeleteRunCommand` → `Delete`. A batch or admin call's verb
    is the word after `Batch` or `Admin`: `BatchGetItem` → `Get`, `AdminDisableUser` →
    `Disable`."""
    match = _VERB.match(operation)
    if match is None:
        return ""
    verb = match.group(0)
    if verb in _QUALIFIERS:
        second = _VERB.match(operation, len(verb))
        if second is not None:
            return second.group(0)
    return verb


def verb_action(operation: str) -> Action | None:
    """The create/update/delete implied by the call's leading verb, or None when unknown."""
    verb = leading_verb(operation)
    if operation == "ScheduleKeyDeletion":
        return Action.DELETE
    if verb in CREATE_VERBS:
        return Action.CREATE
    if verb in DELETE_VERBS:
        return Action.DELETE
    if verb in UPDATE_VERBS:
        return Action.UPDATE
    return None


_READ_MEMO: dict[str, bool] = {}
_READ_MEMO_SIZE = 4_096  # distinct names remembered; the memo is emptied when full


def is_read_operation(operation: str) -> bool:
    """True for calls that read by name (`Get*`, `List*`, `Describe*`, `Head*`, ...)."""
    read = _READ_MEMO.get(operation)
    if read is None:
        read = leading_verb(operation) in READ_VERBS
        if len(_READ_MEMO) >= _READ_MEMO_SIZE:
            _READ_MEMO.clear()
        _READ_MEMO[operation] = read
    return read


def screen(raw: dict[str, Any]) -> Outcome | None:
    """Classify a raw record that certainly changes nothing; None means "may be a change".

    Works on the raw dict so that the large majority of records (reads) cost almost nothing.
    """
    get = raw.get
    if get("errorCode"):
        return _FAILED
    if get("readOnly") is True:
        return _READ_ONLY
    if get("eventType") == "AwsConsoleSignIn" or get("eventSource") == "signin.amazonaws.com":
        return _SIGN_IN
    name = get("eventName")
    if isinstance(name, str) and is_read_operation(name):
        return _READ_ONLY
    return None
