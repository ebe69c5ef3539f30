"""IAM: users, roles, groups, managed policies, access keys, instance profiles, MFA devices.

IAM is global: its assets are named with region `global`. IAM names are unique in an account
whatever their path, so an ARN `role/path/name` and a `roleName` give the same asset. Policies
owned by AWS (`arn:aws:iam::aws:policy/...`) are named under the account `aws`.

Inline policies, policy attachments, login profiles and permissions boundaries are settings of
the principal they belong to: changing them is an update of that user, role or group.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind, last_segment
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
)
SAML_PROVIDER = _iam("SAMLProvider", "saml-provider", "saml-provider")
SERVER_CERTIFICATE = _iam("ServerCertificate", "server-certificate", "server-certificate")
# Access keys have ids but no ARN.
ACCESS_KEY = Kind(type="AWS::IAM::AccessKey", service="iam", slug="access-key", global_=True)

_POLICY_ASSOC = (Assoc("Has attached ManagedPolicy", POLICY, "request.policyArn"),)


def _principal(kind: Kind, name: str, *, assoc: tuple[Assoc, ...] = ()) -> Target:
    """An update of a user, role or group named by `request.<name>`."""
    return Target(kind, f"request.{name}", action=Action.UPDATE, assoc=assoc)


def _principal_rules(kind: Kind, noun: str, name: str) -> dict[str, Rule]:
    """The calls every kind of principal shares: inline and managed policies, tags, boundary."""
    return {
        f"Put{noun}Policy": _principal(kind, name),
        f"Delete{noun}Policy": _principal(kind, name),
        f"Attach{noun}Policy": _principal(kind, name, assoc=_POLICY_ASSOC),
        f"Detach{noun}Policy": _principal(kind, name),
        f"Tag{noun}": _principal(kind, name),
        f"Untag{noun}": _principal(kind, name),
        f"Put{noun}PermissionsBoundary": _principal(kind, name, assoc=_POLICY_ASSOC),
        f"Delete{noun}PermissionsBoundary": _principal(kind, name),
    }


_MEMBERSHIP = targets(
    Target(GROUP, "request.groupName", assoc=(Assoc("Has member User", USER, "request.userName"),)),
    Target(
        USER, "request.userName", assoc=(Assoc("Is member of Group", GROUP, "request.groupName"),)
    ),
)
_MFA = targets(
    Target(
        USER,
        "request.userName",
        action=Action.UPDATE,
        assoc=(Assoc("Uses VirtualMFADevice", MFA_DEVICE, "request.serialNumber"),),
    ),
    Target(MFA_DEVICE, "request.serialNumber", action=Action.UPDATE),
)
_PROFILE_ROLE = Target(
    INSTANCE_PROFILE,
    "request.instanceProfileName",
    assoc=(Assoc("Contains Role", ROLE, "request.roleName"),),
)

_RULES: dict[str, Rule] = {
    # users
    "CreateUser": Target(USER, "response.user.userName", config="response.user"),
    "DeleteUser": Target(USER, "request.userName"),
    "UpdateUser": Target(USER, "request.userName"),
    **_principal_rules(USER, "User", "userName"),
    "CreateLoginProfile": _principal(USER, "userName"),
    "UpdateLoginProfile": _principal(USER, "userName"),
    "DeleteLoginProfile": _principal(USER, "userName"),
    "EnableMFADevice": _MFA,
    "DeactivateMFADevice": _MFA,
    "ResyncMFADevice": _MFA,
    "UploadSSHPublicKey": _principal(USER, "userName"),
    "DeleteSSHPublicKey": _principal(USER, "userName"),
    "UploadSigningCertificate": _principal(USER, "userName"),
    "DeleteSigningCertificate": _principal(USER, "userName"),
    "CreateServiceSpecificCredential": _principal(USER, "userName"),
    "DeleteServiceSpecificCredential": _principal(USER, "userName"),
    # roles
    "CreateRole": Target(ROLE, "response.role.roleName", config="response.role"),
    "CreateServiceLinkedRole": Target(ROLE, "response.role.roleName", config="response.role"),
    "DeleteRole": Target(ROLE, "request.roleName"),
    "DeleteServiceLinkedRole": Target(ROLE, "request.roleName"),
    "UpdateRole": Target(ROLE, "request.roleName"),
    "UpdateRoleDescription": Target(ROLE, "request.roleName"),
    "UpdateAssumeRolePolicy": Target(ROLE, "request.roleName"),
    **_principal_rules(ROLE, "Role", "roleName"),
    # groups
    "CreateGroup": Target(GROUP, "response.group.groupName", config="response.group"),
    "DeleteGroup": Target(GROUP, "request.groupName"),
    "UpdateGroup": Target(GROUP, "request.groupName"),
    **_principal_rules(GROUP, "Group", "groupName"),
    "AddUserToGroup": _MEMBERSHIP,
    "RemoveUserFromGroup": _MEMBERSHIP,
    # managed policies and their versions (a version change updates the policy)
    "CreatePolicy": Target(POLICY, "response.policy.arn", config="response.policy"),
    "DeletePolicy": Target(POLICY, "request.policyArn"),
    "CreatePolicyVersion": Target(POLICY, "request.policyArn", action=Action.UPDATE),
    "DeletePolicyVersion": Target(POLICY, "request.policyArn", action=Action.UPDATE),
    "SetDefaultPolicyVersion": Target(POLICY, "request.policyArn"),
    "TagPolicy": Target(POLICY, "request.policyArn"),
    "UntagPolicy": Target(POLICY, "request.policyArn"),
    # access keys
    "CreateAccessKey": Target(
        ACCESS_KEY,
        "response.accessKey.accessKeyId",
        config="response.accessKey",
        assoc=(Assoc("Belongs to User", USER, "response.accessKey.userName"),),
    ),
    "UpdateAccessKey": Target(
        ACCESS_KEY,
        "request.accessKeyId",
        assoc=(Assoc("Belongs to User", USER, "request.userName"),),
    ),
    "DeleteAccessKey": Target(
        ACCESS_KEY,
        "request.accessKeyId",
        assoc=(Assoc("Belongs to User", USER, "request.userName"),),
    ),
    # instance profiles
    "CreateInstanceProfile": Target(
        INSTANCE_PROFILE,
        "response.instanceProfile.instanceProfileName",
        config="response.instanceProfile",
    ),
    "DeleteInstanceProfile": Target(INSTANCE_PROFILE, "request.instanceProfileName"),
    "AddRoleToInstanceProfile": _PROFILE_ROLE,
    "RemoveRoleFromInstanceProfile": _PROFILE_ROLE,
    "TagInstanceProfile": Target(INSTANCE_PROFILE, "request.instanceProfileName"),
    "UntagInstanceProfile": Target(INSTANCE_PROFILE, "request.instanceProfileName"),
    # MFA devices and identity providers
    "CreateVirtualMFADevice": Target(
        MFA_DEVICE, "response.virtualMFADevice.serialNumber", config="response.virtualMFADevice"
    ),
    "DeleteVirtualMFADevice": Target(MFA_DEVICE, "request.serialNumber"),
    "CreateOpenIDConnectProvider": Target(OIDC_PROVIDER, "response.openIDConnectProviderArn"),
    "DeleteOpenIDConnectProvider": Target(OIDC_PROVIDER, "request.openIDConnectProviderArn"),
    "UpdateOpenIDConnectProviderThumbprint": Target(
        OIDC_PROVIDER, "request.openIDConnectProviderArn"
    ),
    "AddClientIDToOpenIDConnectProvider": Target(OIDC_PROVIDER, "request.openIDConnectProviderArn"),
    "RemoveClientIDFromOpenIDConnectProvider": Target(
        OIDC_PROVIDER, "request.openIDConnectProviderArn"
    ),
    "CreateSAMLProvider": Target(SAML_PROVIDER, "response.sAMLProviderArn"),
    "UpdateSAMLProvider": Target(SAML_PROVIDER, "request.sAMLProviderArn"),
    "DeleteSAMLProvider": Target(SAML_PROVIDER, "request.sAMLProviderArn"),
    "UploadServerCertificate": Target(SERVER_CERTIFICATE, ("request.serverCertificateName",)),
    "DeleteServerCertificate": Target(SERVER_CERTIFICATE, "request.serverCertificateName"),
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
