"""Calls that are mutating by the API's own account but change no asset: sessions, tokens, keys
pushed for one connection. They are counted as `non_asset`, never as unmapped."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILIES = (
    Family(
        name="sts",
        sources=("sts.amazonaws.com",),
        kinds=(),
        rules={},
        ignore=frozenset(
            {
                "GetFederationToken",
                "GetSessionToken",
                "AssumeRole",
                "AssumeRoleWithSAML",
                "AssumeRoleWithWebIdentity",
                "SetSourceIdentity",
                "TagSession",
            }
        ),
    ),
    Family(
        name="ec2-instance-connect",
        sources=("ec2-instance-connect.amazonaws.com",),
        kinds=(),
        rules={},
        ignore=frozenset({"SendSSHPublicKey", "SendSerialConsoleSSHPublicKey"}),
    ),
    Family(
        name="sso",
        sources=("sso.amazonaws.com", "portal.sso.amazonaws.com"),
        kinds=(),
        rules={},
        ignore=frozenset({"Federate", "Logout", "Authenticate", "CreateToken"}),
    ),
)
