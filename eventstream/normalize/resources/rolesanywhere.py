"""IAM Roles Anywhere: trust anchors, profiles and certificate revocation lists (ids are UUIDs)."""

from __future__ import annotations

from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.iam import ROLE
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
_ROLES = (Assoc("Grants Role", ROLE, "response.profile.roleArns[]"),)

_RULES: dict[str, Rule] = {
    "CreateTrustAnchor": Target(
        TRUST_ANCHOR, "response.trustAnchor.trustAnchorId", config="response.trustAnchor"
    ),
    "UpdateTrustAnchor": Target(TRUST_ANCHOR, _ANCHOR, config="response.trustAnchor"),
    "EnableTrustAnchor": Target(TRUST_ANCHOR, _ANCHOR, config="response.trustAnchor"),
    "DisableTrustAnchor": Target(TRUST_ANCHOR, _ANCHOR, config="response.trustAnchor"),
    "DeleteTrustAnchor": Target(TRUST_ANCHOR, _ANCHOR),
    "CreateProfile": Target(
        PROFILE, "response.profile.profileId", config="response.profile", assoc=_ROLES
    ),
    "UpdateProfile": Target(PROFILE, _PROFILE, config="response.profile", assoc=_ROLES),
    "EnableProfile": Target(PROFILE, _PROFILE, config="response.profile"),
    "DisableProfile": Target(PROFILE, _PROFILE, config="response.profile"),
    "DeleteProfile": Target(PROFILE, _PROFILE),
    "ImportCrl": Target(CRL, "response.crl.crlId", config="response.crl"),
    "UpdateCrl": Target(CRL, "request.crlId"),
    "EnableCrl": Target(CRL, "request.crlId"),
    "DisableCrl": Target(CRL, "request.crlId"),
    "DeleteCrl": Target(CRL, "request.crlId"),
    "TagResource": Target(None, "request.resourceArn"),
    "UntagResource": Target(None, "request.resourceArn"),
}

FAMILY = Family(
    name="rolesanywhere",
    sources=("rolesanywhere.amazonaws.com",),
    kinds=(TRUST_ANCHOR, PROFILE, CRL),
    rules=_RULES,
)
