"""IAM Roles Anywhere: trust anchors, profiles and certificate revocation lists.

Their ids are UUIDs, named in requests bare (`trustAnchorId`) or by ARN (`trust-anchor/<id>`).
Every call answers with the asset's full description, which becomes its configuration (and, but
for deletes, names the assets it relates to). A profile
names the IAM roles it lets certificate holders assume and the managed policies that limit them.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.iam import POLICY, ROLE
from eventstream.normalize.rules import Assoc, Family, Rule, Target


def _ra(cfn: str, slug: str) -> Kind:
    return Kind(
        type=f"AWS::RolesAnywhere::{cfn}",
        service="rolesanywhere",
        slug=slug,
        arn_resource=slug,
        arn_template=f"arn:aws:rolesanywhere:{{region}}:{{account}}:{slug}/{{id}}",
    )


TRUST_ANCHOR = _ra("TrustAnchor", "trust-anchor")
PROFILE = _ra("Profile", "profile")
CRL = _ra("CRL", "crl")

_ANCHOR = "request.trustAnchorId"
_PROFILE = "request.profileId"
_CRL = "request.crlId"
_GRANTS = (
    Assoc("Grants Role", ROLE, "response.profile.roleArns[]"),
    Assoc("Is limited by ManagedPolicy", POLICY, "response.profile.managedPolicyArns[]"),
)
_TRUSTED_BY = (Assoc("Is used by TrustAnchor", TRUST_ANCHOR, "response.crl.trustAnchorArn"),)


def _anchor(path: str = _ANCHOR, *, action: Action | None = None) -> Target:
    return Target(TRUST_ANCHOR, path, action=action, config="response.trustAnchor")


def _profile(path: str = _PROFILE, *, action: Action | None = None) -> Target:
    return Target(PROFILE, path, action=action, config="response.profile", assoc=_GRANTS)


def _crl(path: str = _CRL, *, action: Action | None = None) -> Target:
    return Target(CRL, path, action=action, config="response.crl", assoc=_TRUSTED_BY)


_RULES: dict[str, Rule] = {
    "CreateTrustAnchor": _anchor("response.trustAnchor.trustAnchorId"),
    "UpdateTrustAnchor": _anchor(),
    "EnableTrustAnchor": _anchor(),
    "DisableTrustAnchor": _anchor(),
    "DeleteTrustAnchor": Target(TRUST_ANCHOR, _ANCHOR),
    "PutNotificationSettings": _anchor(),
    "ResetNotificationSettings": _anchor(),
    "CreateProfile": _profile("response.profile.profileId"),
    "UpdateProfile": _profile(),
    "EnableProfile": _profile(),
    "DisableProfile": _profile(),
    "DeleteProfile": Target(PROFILE, _PROFILE),
    "PutAttributeMapping": _profile(),
    "DeleteAttributeMapping": _profile(action=Action.UPDATE),
    "ImportCrl": _crl("response.crl.crlId"),
    "UpdateCrl": _crl(),
    "EnableCrl": _crl(),
    "DisableCrl": _crl(),
    "DeleteCrl": Target(CRL, _CRL),
    # tags on any of them: the kind comes from the ARN
    "TagResource": Target(None, "request.resourceArn", action=Action.UPDATE),
    "UntagResource": Target(None, "request.resourceArn", action=Action.UPDATE),
}

FAMILY = Family(
    name="rolesanywhere",
    sources=("rolesanywhere.amazonaws.com",),
    kinds=(TRUST_ANCHOR, PROFILE, CRL),
    rules=_RULES,
)
