"""IAM: users, roles, groups, managed policies, access keys, instance profiles, MFA devices.

IAM is global: its assets are named with region `global`. IAM names are unique in an account
whatever their path, so an ARN `role/path/name` and a `roleName` give the same asset. Policies
owned by AWS (`arn:aws:iam::aws:policy/...`) are named under the account `aws`.

Inline policies, policy attachments, login profiles, SSH keys, signing certificates and
permissions boundaries are settings of the principal they belong to: changing them is an update
of that user, role or group, associated with the managed policy when the request names one. A
policy version is part of its policy: creating, deleting or choosing a version updates the policy.
An access key is an asset of its own (`AWS::IAM::AccessKey`, id = the access key id), associated
with its user; a login profile is not (`CreateLoginProfile` updates the user).

Calls that end a relation (`DetachRolePolicy`, `RemoveRoleFromInstanceProfile`,
`RemoveUserFromGroup`, `DeactivateMFADevice`) name the other asset with a past-tense relation
(`Detached ManagedPolicy`), never with the relation the attaching call used.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind, last_segment
from eventstream.normalize.policies import TRUST_POLICY, with_policy
from eventstream.normalize.rules import Assoc, Family, Rule, Target, targets


def _iam(cfn: str, slug: str, arn_resource: str | None) -> Kind:
    return Kind(
        type=f"AWS::IAM::{cfn}",
        service="iam",
        slug=slug,
        arn_resource=arn_resource,
        global_=True,
        from_arn=last_segment,
    )


def _provider_url(value: str) -> str:
    """`https://oidc.example.com/id/1` (a request's `url`) → `oidc.example.com/id/1`."""
    return value.removeprefix("https://")


USER = _iam("User", "user", "user")
ROLE = _iam("Role", "role", "role")
GROUP = _iam("Group", "group", "group")
POLICY = _iam("ManagedPolicy", "policy", "policy")
INSTANCE_PROFILE = _iam("InstanceProfile", "instance-profile", "instance-profile")
MFA_DEVICE = _iam("VirtualMFADevice", "mfa-device", "mfa")
OIDC_PROVIDER = Kind(
    type="AWS::IAM::OIDCProvider",
    service="iam",
    slug="oidc-provider",
    arn_resource="oidc-provider",
    global_=True,
    canonical=_provider_url,
)
SAML_PROVIDER = _iam("SAMLProvider", "saml-provider", "saml-provider")
SERVER_CERTIFICATE = _iam("ServerCertificate", "server-certificate", "server-certificate")
# Access keys have ids but no ARN.
ACCESS_KEY = Kind(type="AWS::IAM::AccessKey", service="iam", slug="access-key", global_=True)

_ATTACHED = (Assoc("Has attached ManagedPolicy", POLICY, "request.policyArn"),)
_DETACHED = (Assoc("Detached ManagedPolicy", POLICY, "request.policyArn"),)
_BOUNDARY = (
    Assoc("Has permissions boundary ManagedPolicy", POLICY, "request.permissionsBoundary"),
)


def _principal(kind: Kind, name: str, *, assoc: tuple[Assoc, ...] = ()) -> Target:
    """An update of a user, role or group named by `request.<name>`."""
    return Target(kind, f"request.{name}", action=Action.UPDATE, assoc=assoc)


def _principal_rules(kind: Kind, noun: str, name: str) -> dict[str, Rule]:
    """The calls every kind of principal shares: inline and managed policies, tags, boundary."""
    return {
        f"Put{noun}Policy": _principal(kind, name),
        f"Delete{noun}Policy": _principal(kind, name),
        f"Attach{noun}Policy": _principal(kind, name, assoc=_ATTACHED),
        f"Detach{noun}Policy": _principal(kind, name, assoc=_DETACHED),
        f"Tag{noun}": _principal(kind, name),
        f"Untag{noun}": _principal(kind, name),
        f"Put{noun}PermissionsBoundary": _principal(kind, name, assoc=_BOUNDARY),
        f"Delete{noun}PermissionsBoundary": _principal(kind, name),
    }


def _created(kind: Kind, response: str, name: str, *, assoc: tuple[Assoc, ...] = ()) -> Target:
    """A create whose response describes the new asset (its configuration)."""
    return Target(
        kind,
        (f"response.{response}.{name}", f"request.{name}"),
        config=f"response.{response}",
        assoc=assoc,
    )


def _boundary_of(response: str) -> tuple[Assoc, ...]:
    path = f"response.{response}.permissionsBoundary.permissionsBoundaryArn"
    return (Assoc("Has permissions boundary ManagedPolicy", POLICY, path),)


def _membership(group_relation: str, user_relation: str) -> tuple[Target, ...]:
    """Adding a user to a group (or removing it) updates both."""
    return targets(
        Target(
            GROUP,
            "request.groupName",
            assoc=(Assoc(group_relation, USER, "request.userName"),),
        ),
        Target(USER, "request.userName", assoc=(Assoc(user_relation, GROUP, "request.groupName"),)),
    )


def _mfa(relation: str) -> tuple[Target, ...]:
    """Enabling, resyncing or deactivating an MFA device updates its user and the device."""
    return targets(
        Target(
            USER,
            "request.userName",
            action=Action.UPDATE,
            assoc=(Assoc(relation, MFA_DEVICE, "request.serialNumber"),),
        ),
        Target(MFA_DEVICE, "request.serialNumber", action=Action.UPDATE),
    )


def _profile_role(relation: str) -> Target:
    return Target(
        INSTANCE_PROFILE,
        "request.instanceProfileName",
        action=Action.UPDATE,
        assoc=(Assoc(relation, ROLE, "request.roleName"),),
    )


def _access_key(*, action: Action | None = None) -> Target:
    return Target(
        ACCESS_KEY,
        "request.accessKeyId",
        action=action,
        assoc=(Assoc("Belongs to User", USER, "request.userName"),),
    )


_OIDC = "request.openIDConnectProviderArn"
_SAML = "request.sAMLProviderArn"
_CERTIFICATE = "request.serverCertificateName"
_PROFILE = "request.instanceProfileName"

_RULES: dict[str, Rule] = {
    # users and their credentials (login profile, SSH keys, signing certificates)
    "CreateUser": _created(USER, "user", "userName", assoc=_boundary_of("user")),
    "DeleteUser": Target(USER, "request.userName"),
    "UpdateUser": Target(USER, "request.userName"),
    **_principal_rules(USER, "User", "userName"),
    "CreateLoginProfile": _principal(USER, "userName"),
    "UpdateLoginProfile": _principal(USER, "userName"),
    "DeleteLoginProfile": _principal(USER, "userName"),
    # an IAM user changing its own password names no user: it is the caller
    "ChangePassword": Target(USER, "record.userIdentity.userName", action=Action.UPDATE),
    "EnableMFADevice": _mfa("Uses VirtualMFADevice"),
    "ResyncMFADevice": _mfa("Uses VirtualMFADevice"),
    "DeactivateMFADevice": _mfa("Stopped using VirtualMFADevice"),
    "UploadSSHPublicKey": _principal(USER, "userName"),
    "UpdateSSHPublicKey": _principal(USER, "userName"),
    "DeleteSSHPublicKey": _principal(USER, "userName"),
    "UploadSigningCertificate": _principal(USER, "userName"),
    "UpdateSigningCertificate": _principal(USER, "userName"),
    "DeleteSigningCertificate": _principal(USER, "userName"),
    "CreateServiceSpecificCredential": _principal(USER, "userName"),
    "UpdateServiceSpecificCredential": _principal(USER, "userName"),
    "ResetServiceSpecificCredential": _principal(USER, "userName"),
    "DeleteServiceSpecificCredential": _principal(USER, "userName"),
    # roles
    "CreateRole": _created(ROLE, "role", "roleName", assoc=_boundary_of("role")),
    "CreateServiceLinkedRole": _created(ROLE, "role", "roleName"),
    "DeleteRole": Target(ROLE, "request.roleName"),
    "DeleteServiceLinkedRole": Target(ROLE, "request.roleName"),
    "UpdateRole": Target(ROLE, "request.roleName"),
    "UpdateRoleDescription": Target(ROLE, "request.roleName"),
    "UpdateAssumeRolePolicy": with_policy(
        Target(ROLE, "request.roleName"), "request.policyDocument", TRUST_POLICY
    ),
    **_principal_rules(ROLE, "Role", "roleName"),
    # groups
    "CreateGroup": _created(GROUP, "group", "groupName"),
    "DeleteGroup": Target(GROUP, "request.groupName"),
    "UpdateGroup": Target(GROUP, "request.groupName"),
    **_principal_rules(GROUP, "Group", "groupName"),
    "AddUserToGroup": _membership("Has member User", "Is member of Group"),
    "RemoveUserFromGroup": _membership("Removed member User", "Was removed from Group"),
    # managed policies and their versions (a version change updates the policy)
    "CreatePolicy": Target(
        POLICY, ("response.policy.arn", "request.policyName"), config="response.policy"
    ),
    "DeletePolicy": Target(POLICY, "request.policyArn"),
    "CreatePolicyVersion": Target(POLICY, "request.policyArn", action=Action.UPDATE),
    "DeletePolicyVersion": Target(POLICY, "request.policyArn", action=Action.UPDATE),
    "SetDefaultPolicyVersion": Target(POLICY, "request.policyArn"),
    "TagPolicy": Target(POLICY, "request.policyArn"),
    "UntagPolicy": Target(POLICY, "request.policyArn"),
    # access keys: their own assets, each associated with its user
    "CreateAccessKey": Target(
        ACCESS_KEY,
        "response.accessKey.accessKeyId",
        config="response.accessKey",
        assoc=(Assoc("Belongs to User", USER, "response.accessKey.userName"),),
    ),
    "UpdateAccessKey": _access_key(),
    "DeleteAccessKey": _access_key(),
    # instance profiles
    "CreateInstanceProfile": _created(INSTANCE_PROFILE, "instanceProfile", "instanceProfileName"),
    "DeleteInstanceProfile": Target(INSTANCE_PROFILE, _PROFILE),
    "AddRoleToInstanceProfile": _profile_role("Contains Role"),
    "RemoveRoleFromInstanceProfile": _profile_role("Removed Role"),
    "TagInstanceProfile": Target(INSTANCE_PROFILE, _PROFILE),
    "UntagInstanceProfile": Target(INSTANCE_PROFILE, _PROFILE),
    # MFA devices, identity providers, server certificates
    "CreateVirtualMFADevice": Target(
        MFA_DEVICE,
        ("response.virtualMFADevice.serialNumber", "request.virtualMFADeviceName"),
        config="response.virtualMFADevice",
    ),
    "DeleteVirtualMFADevice": Target(MFA_DEVICE, "request.serialNumber"),
    "TagMFADevice": Target(MFA_DEVICE, "request.serialNumber"),
    "UntagMFADevice": Target(MFA_DEVICE, "request.serialNumber"),
    "CreateOpenIDConnectProvider": Target(
        OIDC_PROVIDER, ("response.openIDConnectProviderArn", "request.url")
    ),
    "DeleteOpenIDConnectProvider": Target(OIDC_PROVIDER, _OIDC),
    "UpdateOpenIDConnectProviderThumbprint": Target(OIDC_PROVIDER, _OIDC),
    "AddClientIDToOpenIDConnectProvider": Target(OIDC_PROVIDER, _OIDC),
    "RemoveClientIDFromOpenIDConnectProvider": Target(OIDC_PROVIDER, _OIDC),
    "TagOpenIDConnectProvider": Target(OIDC_PROVIDER, _OIDC),
    "UntagOpenIDConnectProvider": Target(OIDC_PROVIDER, _OIDC),
    "CreateSAMLProvider": Target(SAML_PROVIDER, ("response.sAMLProviderArn", "request.name")),
    "UpdateSAMLProvider": Target(SAML_PROVIDER, _SAML),
    "DeleteSAMLProvider": Target(SAML_PROVIDER, _SAML),
    "TagSAMLProvider": Target(SAML_PROVIDER, _SAML),
    "UntagSAMLProvider": Target(SAML_PROVIDER, _SAML),
    "UploadServerCertificate": Target(SERVER_CERTIFICATE, _CERTIFICATE, action=Action.CREATE),
    # renaming keeps the asset under its old name: the event names the certificate it changed
    "UpdateServerCertificate": Target(SERVER_CERTIFICATE, _CERTIFICATE),
    "DeleteServerCertificate": Target(SERVER_CERTIFICATE, _CERTIFICATE),
    "TagServerCertificate": Target(SERVER_CERTIFICATE, _CERTIFICATE),
    "UntagServerCertificate": Target(SERVER_CERTIFICATE, _CERTIFICATE),
}

FAMILY = Family(
    name="iam",
    sources=("iam.amazonaws.com",),
    kinds=(
        USER,
        ROLE,
        GROUP,
        POLICY,
        INSTANCE_PROFILE,
        MFA_DEVICE,
        OIDC_PROVIDER,
        SAML_PROVIDER,
        SERVER_CERTIFICATE,
        ACCESS_KEY,
    ),
    rules=_RULES,
)
