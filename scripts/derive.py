"""Generate the derived resolver's table from AWS's own resource metadata.

    python scripts/derive.py           # write eventstream/data/derived.json
    python scripts/derive.py --check   # exit 1 if the committed file differs from a fresh one

Two sources, both pinned by the dev extra and recorded in the file:
- the CloudFormation resource provider schemas shipped as data in `cfn-lint`
  (`cfnlint/data/schemas/providers/us-east-1.json` → `resources/<hash>.json`): every resource
  type's `typeName`, `primaryIdentifier` and properties;
- botocore's service models (`botocore/data/<service>/<version>/service-2.json`): every
  operation of every service, with its input and output shapes.

For each service (event source `<signingName>.amazonaws.com`, and `<endpointPrefix>...` where it
differs) the table lists the CloudFormation types of its service prefix and, for every mutating
operation (leading verb not a read verb) that names one of them, the type, the action and where
the asset's ids are found in the CloudTrail record. `eventstream.normalize.derived` reads it at
run time; nothing at run time imports cfn-lint or botocore. The derivation rules are in the
docstrings below and in ARCHITECTURE.md ("Derived resolver").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from eventstream import codec
from eventstream.models.event import Action
from eventstream.normalize.classify import is_read_operation, leading_verb, verb_action
from eventstream.normalize.own_types import OWN_TYPES

TABLE = Path(__file__).resolve().parent.parent / "eventstream" / "data" / "derived.json"

# Botocore services whose CloudFormation prefix no name of theirs spells (service id, endpoint
# prefix, signing name, abbreviation): the few AWS named differently in the two worlds.
PREFIX_OVERRIDES: dict[str, tuple[str, ...]] = {
    "es": ("OpenSearchService", "Elasticsearch"),
    "opensearch": ("OpenSearchService",),
    "events": ("Events",),
    "logs": ("Logs",),
    "stepfunctions": ("StepFunctions",),
    "elb": ("ElasticLoadBalancing",),
    "elbv2": ("ElasticLoadBalancingV2",),
    "cognito-idp": ("Cognito",),
    "cognito-identity": ("Cognito",),
    "sesv2": ("SES",),
    "waf-regional": ("WAFRegional",),
    "bedrock-agent": ("Bedrock",),
    "lexv2-models": ("Lex",),
    "ecr-public": ("ECR",),
    "sso-admin": ("SSO",),
    "ds": ("DirectoryService",),
    "application-autoscaling": ("ApplicationAutoScaling",),
    "autoscaling": ("AutoScaling",),
    "resourcegroupstaggingapi": (),
    "iot-data": (),
    "codestar-connections": ("CodeStarConnections",),
    "codeconnections": ("CodeConnections",),
    "network-firewall": ("NetworkFirewall",),
    "route53-recovery-control-config": ("Route53RecoveryControl",),
    "route53-recovery-readiness": ("Route53RecoveryReadiness",),
    "mediapackagev2": ("MediaPackageV2",),
    "emr-containers": ("EMRContainers",),
    "emr-serverless": ("EMRServerless",),
    "kinesisanalyticsv2": ("KinesisAnalyticsV2",),
    "kafka": ("MSK",),
    "elasticache": ("ElastiCache",),
    "sdb": ("SDB",),
    "dlm": ("DLM",),
    "ssm-incidents": ("SSMIncidents",),
    "ssm-contacts": ("SSMContacts",),
    "timestream-write": ("Timestream",),
    "redshift-serverless": ("RedshiftServerless",),
    "vpc-lattice": ("VpcLattice",),
    "appconfig": ("AppConfig",),
    "mwaa": ("MWAA",),
    "amp": ("APS",),
    "mq": ("AmazonMQ",),
    "grafana": ("Grafana",),
}

# A noun that ends with one of these names a setting of the resource its beginning names:
# `PutBucketPolicy`, `SetRepositoryPolicy`, `SetQueueAttributes`, `PutAlarmConfiguration`.
# Whatever the verb, the call updates that parent (deleting a parent's policy changes the parent).
SETTING_SUFFIXES = (
    "Policy",
    "Policies",
    "PolicyText",
    "Attributes",
    "Attribute",
    "Configuration",
    "Configurations",
    "Config",
    "Settings",
    "Setting",
    "Permission",
    "Permissions",
    "Actions",
    "Options",
    "Tags",
    "State",
    "Status",
)
# Input members holding a resource-based policy document (a JSON string or object): the call's
# configuration is that document, parsed.
POLICY_MEMBERS = ("policy", "policytext", "policydocument", "accesspolicies", "resourcepolicy")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+")


def words(name: str) -> list[str]:
    """`WebACLRule` → [`Web`, `ACL`, `Rule`]; `DBInstance` → [`DB`, `Instance`]."""
    return _WORD.findall(name)


def tails_of(resource: str) -> list[str]:
    """A resource name's last words, lower-case, longest first: `ScanConfiguration` →
    [`configuration`]; `VpcEndpointConnectionNotification` → [`endpointconnectionnotification`,
    `connectionnotification`, `notification`]."""
    resource_words = words(resource)
    return ["".join(resource_words[cut:]).lower() for cut in range(1, len(resource_words))]


def noun_of(operation: str) -> str:
    """What follows the verb: `DeleteAlarms` → `Alarms`, `BatchDeleteImage` → `Image`."""
    verb = leading_verb(operation)
    rest = (
        operation[len("Batch") :]
        if operation.startswith("Batch") and verb != "Batch"
        else operation
    )
    return rest[len(verb) :]


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def singular(noun: str) -> str:
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith(("sses", "shes", "ches", "xes")):
        return noun[:-2]
    if noun.endswith("s") and not noun.endswith("ss"):
        return noun[:-1]
    return noun


@dataclass
class CfnType:
    name: str  # AWS::CloudWatch::Alarm
    prefix: str  # CloudWatch
    resource: str  # Alarm
    identifiers: list[str]  # primaryIdentifier property names, in order
    properties: list[str]
    has_arn: bool

    def identifiers_lower(self) -> list[str]:
        return [name.lower() for name in self.identifiers]

    @property
    def slug(self) -> str:
        return "-".join(w.lower() for w in words(self.resource))


@dataclass
class Service:
    name: str  # botocore's: cloudwatch
    sources: list[str]
    prefixes: list[str]
    arn_services: list[str]
    model: dict[str, Any]
    operations: dict[str, list[Any]] = field(default_factory=dict)


def load_cfn(site: Path) -> dict[str, CfnType]:
    schemas = site / "cfnlint" / "data" / "schemas"
    index = codec.loads((schemas / "providers" / "us-east-1.json").read_bytes())
    found: dict[str, CfnType] = {}
    for type_name, digest in sorted(index.items()):
        parts = type_name.split("::")
        if len(parts) != 3 or parts[0] != "AWS":
            continue
        schema = codec.loads((schemas / "resources" / f"{digest}.json").read_bytes())
        identifiers = [p.rsplit("/", 1)[-1] for p in schema.get("primaryIdentifier", [])]
        properties = sorted(schema.get("properties", {}))
        found[type_name] = CfnType(
            type_name, parts[1], parts[2], identifiers, properties, "Arn" in properties
        )
    return found


# The identifier property of each of EventStream's own types (`own_types.OWN_TYPES`: assets AWS
# has and CloudFormation has no type for), named as the API names it: the calls of their
# services that no family's table knows are derived for them too (`LockSnapshot`,
# `EnableImageDeprecation`), and resolve through the family's kind.
OWN_TYPE_IDENTIFIERS: dict[str, str] = {
    "AWS::EC2::Image": "ImageId",
    "AWS::EC2::Snapshot": "SnapshotId",
    "AWS::EC2::SecurityGroupRule": "SecurityGroupRuleId",
    "AWS::RDS::DBClusterSnapshot": "DBClusterSnapshotIdentifier",
    "AWS::SSM::ManagedInstance": "InstanceId",
}


def own_types() -> dict[str, CfnType]:
    found: dict[str, CfnType] = {}
    for type_name in sorted(OWN_TYPES):
        _, prefix, resource = type_name.split("::")
        identifier = OWN_TYPE_IDENTIFIERS[type_name]
        found[type_name] = CfnType(type_name, prefix, resource, [identifier], [identifier], False)
    return found


def cfn_schema_date(site: Path) -> str:
    data = codec.loads((site / "cfnlint" / "data" / "schemas" / "version.json").read_bytes())
    return str(data.get("schema_date", ""))


def load_services(prefixes: set[str]) -> list[Service]:
    import botocore.loaders  # noqa: PLC0415 (dev extra only)

    loader = botocore.loaders.Loader()
    by_norm = {norm(p): p for p in prefixes}
    services: list[Service] = []
    for name in sorted(loader.list_available_services("service-2")):
        model = loader.load_service_model(name, "service-2")
        meta = model["metadata"]
        endpoint = meta.get("endpointPrefix", name)
        signing = meta.get("signingName") or endpoint
        sources = [f"{signing}.amazonaws.com"]
        if endpoint != signing and "." not in endpoint:
            sources.append(f"{endpoint}.amazonaws.com")
        names = [
            meta.get("serviceId", ""),
            endpoint,
            signing,
            name,
            meta.get("serviceAbbreviation", ""),
            re.sub(r"^(Amazon|AWS)\s*", "", meta.get("serviceFullName", "")),
        ]
        if name in PREFIX_OVERRIDES:
            chosen = list(PREFIX_OVERRIDES[name])
        else:
            chosen = []
            for candidate in names:
                prefix = by_norm.get(norm(candidate))
                if prefix and prefix not in chosen:
                    chosen.append(prefix)
        arn_services = []
        for candidate in (signing, endpoint, name, meta.get("serviceId", "")):
            token = candidate.lower().replace(" ", "")
            if token and "." not in token and token not in arn_services:
                arn_services.append(token)
        services.append(Service(name, sources, chosen, arn_services, model))
    return services


def _assign_by_nouns(services: list[Service], types: dict[str, CfnType]) -> None:
    """A service no name maps gets the prefix most of its operation nouns name (at least 3)."""
    by_prefix: dict[str, set[str]] = {}
    for cfn in types.values():
        by_prefix.setdefault(cfn.prefix, set()).add(cfn.resource.lower())
    claimed = {p for s in services for p in s.prefixes}
    for service in services:
        if service.prefixes or service.name in PREFIX_OVERRIDES:
            continue
        nouns = {
            singular(noun_of(op)).lower()
            for op in service.model["operations"]
            if not is_read_operation(op)
        }
        scores = sorted(
            ((len(nouns & resources), prefix) for prefix, resources in by_prefix.items()),
            key=lambda item: (-item[0], item[1]),
        )
        unique = len(scores) == 1 or (len(scores) > 1 and scores[1][0] < scores[0][0])
        if scores and scores[0][0] >= 3 and scores[0][1] not in claimed and unique:
            service.prefixes = [scores[0][1]]


# ---- shapes --------------------------------------------------------------------------------


def _members(model: dict[str, Any], shape_name: str | None) -> dict[str, dict[str, Any]]:
    if not shape_name:
        return {}
    shape = model["shapes"].get(shape_name, {})
    return dict(shape.get("members", {})) if shape.get("type") == "structure" else {}


def _scalar_members(model: dict[str, Any], shape_name: str | None) -> dict[str, dict[str, Any]]:
    """The members that can hold an id: strings, numbers and lists of them."""
    return {
        name: member
        for name, member in _members(model, shape_name).items()
        if _kind_of(model, member) in _SCALARS
    }


_SCALARS = frozenset({"string", "integer", "long", "list:string", "list:integer", "list:long"})


def _kind_of(model: dict[str, Any], member: dict[str, Any]) -> str:
    shape = model["shapes"].get(member.get("shape", ""), {})
    kind = shape.get("type", "")
    if kind == "list":
        inner = model["shapes"].get(shape.get("member", {}).get("shape", ""), {})
        return f"list:{inner.get('type', '')}"
    return str(kind)


def _key(member_name: str) -> str:
    return member_name.lower()


def own_identifier(cfn: CfnType) -> str | None:
    """The primary-identifier property (lower case) naming the resource itself, not a parent:
    `StageName` of an API Gateway stage (`RestApiId` names its API)."""
    r = cfn.resource.lower()
    own = (f"{r}id", f"{r}name", f"{r}identifier", "id", "name", "identifier", f"{r}arn", "arn")
    pids = cfn.identifiers_lower()
    found = next((p for p in pids if p in own), None)
    if found is None:  # `ClientId` of a `UserPoolClient`: the id of the name's last word(s)
        found = next((p for p in pids if _stem(p) and r.endswith(_stem(p))), None)
    return found if found is not None or len(pids) != 1 else pids[0]


def _stem(identifier: str) -> str:
    """`clientid` → `client`; "" when the name ends in no id word."""
    for suffix in ("identifier", "id", "name", "arn"):
        if identifier.endswith(suffix):
            return identifier[: -len(suffix)]
    return ""


def id_candidates(cfn: CfnType) -> tuple[list[str], list[str], list[str]]:
    """Member names (lower case) that can hold the type's id, name or ARN, best first: the
    canonical identifier, then ids and names (names first when the canonical one is a name),
    then lists of them, then ARNs."""
    r = cfn.resource.lower()
    first = own_identifier(cfn) or ""
    ids = [f"{r}id", "id", f"{r}identifier", "identifier"]
    names = [f"{r}name", "name", r]
    ordered = names + ids if first.endswith("name") else ids + names
    head = [first] if first and not first.endswith("arn") else []
    singles = head + ordered
    # the resource's last words: `gatewayId` of a `ResponderGateway`, `scanConfigurationArn`
    tails = tails_of(cfn.resource)
    singles += [f"{tail}{suffix}" for tail in tails for suffix in ("id", "name", "identifier")]
    # `DeleteAlarms` with `AlarmNames`: lists of ids, one asset each
    plurals = [f"{r}ids", f"{r}names", f"{r}identifiers", f"{singular(r)}names", "names", "ids"]
    if first and not first.endswith("arn"):  # `StandardsSubscriptionArns`, `ServiceIds`
        plurals.append(f"{first}s")
    plurals += [f"{r}s{suffix}" for suffix in ("ids", "names")]  # `automationRulesIds`
    # `DisableInsightRules` with `RuleNames`, `DeleteVpcEndpointConnectionNotifications` with
    # `ConnectionNotificationIds`
    plurals += [f"{tail}{suffix}" for tail in tails for suffix in ("ids", "names")]
    arns = [f"{r}arn", "arn", "resourcearn", f"{r}arns", "resourcearns"]
    arns += [f"{tail}arn" for tail in tails]
    if first.endswith("arn"):
        arns.append(f"{first}s")
    arns.append(f"{r}sarns")  # `automationRulesArns`
    arns += [f"{tail}arns" for tail in tails]
    if first.endswith("arn"):  # the ARN is the identifier: ARNs first, names stand in
        return [], list(dict.fromkeys([first, *arns, *singles, *plurals])), []
    return list(dict.fromkeys(singles + plurals)), list(dict.fromkeys(arns)), []


def _nested(
    model: dict[str, Any],
    shape: str | None,
    resource: str,
    wanted: list[str],
    depth: int,
    *,
    last: str = "",
    skip: frozenset[str] = frozenset(),
) -> list[tuple[str, str]]:
    """(key path, member) pairs one or two structures down whose names say they describe the
    resource: `repository.repositoryArn`, `summary.id`, `policy.policySummary.id`; a kind of it
    (`grokClassifier.name` of a `Classifier`), or its last word (`filter.name` of a
    `ReceiptFilter`, `repository.repositoryArn` of a `PublicRepository`)."""
    found: list[tuple[str, str]] = []
    for name, member in _members(model, shape).items():
        key = _key(name)
        if not (
            key.startswith(resource)
            or key in ("summary", f"{resource}summary", last)
            or (key.endswith(resource) and model["shapes"].get(member.get("shape", ""), {}))
        ):
            continue
        inner = _scalar_members(model, member.get("shape"))
        leaves = [_key(n) for n in inner if _key(n) in wanted and _key(n) not in skip]
        found.extend((f"{key}.{leaf}", leaf) for leaf in leaves)
        if depth > 1:
            found.extend(
                (f"{key}.{path}", leaf)
                for path, leaf in _nested(
                    model, member.get("shape"), resource, wanted, depth - 1, last=last, skip=skip
                )
            )
    return found


def id_paths(model: dict[str, Any], op: dict[str, Any], cfn: CfnType) -> list[str]:
    """Paths (lower-case keys) where the record of one call of `op` names the asset.

    Ordered by the member's rank first (the type's canonical id before other ids, names and
    ARNs, so that every call names one asset the same way), then by place: the request first
    for all but creates (the caller names the asset), the response first for creates (they
    return the new id, sometimes a structure or two down: `repository.repositoryArn`,
    `summary.id`).
    """
    ids, arns, _ = id_candidates(cfn)
    wanted = ids + arns
    rank = {name: index for index, name in enumerate(wanted)}
    request = [_key(n) for n in _scalar_members(model, op.get("input", {}).get("shape"))]
    output_shape = op.get("output", {}).get("shape")
    response = [_key(n) for n in _scalar_members(model, output_shape)]
    creates = verb_action(op["name"]) is Action.CREATE
    placed: list[tuple[int, int, str]] = []
    request_place, response_place = (1, 0) if creates else (0, 1)
    placed.extend((rank[k], request_place, f"request.{k}") for k in request if k in rank)
    placed.extend((rank[k], response_place, f"response.{k}") for k in response if k in rank)
    resource_words = words(cfn.resource)
    last = resource_words[-1].lower() if len(resource_words) > 1 else ""
    resource = cfn.resource.lower()
    # a nested `resourceArn` names what the resource is attached to (`attachment.resourceArn`),
    # unless it is the type's identifier (a WAF logging configuration's)
    skip = frozenset() if own_identifier(cfn) == "resourcearn" else frozenset({"resourcearn"})
    for path, leaf in _nested(model, output_shape, resource, wanted, 2, last=last, skip=skip):
        placed.append((rank[leaf], response_place + 1, f"response.{path}"))
    input_shape = op.get("input", {}).get("shape")  # `DatabaseInput.Name`, `pipeline.name`
    for path, leaf in _nested(model, input_shape, resource, wanted, 1, last=last, skip=skip):
        placed.append((rank[leaf], request_place + 1, f"request.{path}"))
    return list(dict.fromkeys(path for _, _, path in sorted(placed)))


def listed_paths(model: dict[str, Any], op: dict[str, Any], cfn: CfnType) -> list[str]:
    """Paths of a request's list of structures each naming one asset by the type's own id
    (`RebootWorkspaces` with `rebootWorkspaceRequests[].workspaceId`): one asset each. Only
    members that spell the type (`workspaceId`, `scanConfigurationArn`), never an `id`, a
    `name` or the bare resource word (`tags[].key` names no key)."""
    r = cfn.resource.lower()
    tails = tails_of(cfn.resource)
    own = own_identifier(cfn) or ""
    # the kind of id the type is identified by: `associationName` names no association
    kind = next((k for k in ("identifier", "id", "name", "arn") if own.endswith(k)), "id")
    wanted = [own] if own not in ("", "id", "name", "arn", "identifier") else []
    wanted += [f"{r}{kind}", f"{r}arn"] + [f"{tail}{kind}" for tail in tails]
    wanted += [f"{tail}arn" for tail in tails]
    found: list[str] = []
    for name, member in _members(model, op.get("input", {}).get("shape")).items():
        list_shape = model["shapes"].get(member.get("shape", ""), {})
        if list_shape.get("type") != "list" or _key(name) == "tags":
            continue
        inner = _scalar_members(model, list_shape.get("member", {}).get("shape"))
        found += [f"request.{_key(name)}.{_key(n)}" for n in inner if _key(n) in wanted]
    return sorted(found, key=lambda path: wanted.index(path.rsplit(".", 1)[1]))


def parent_identifiers(cfn: CfnType) -> list[str]:
    """The primary-identifier properties (lower case) that name a parent (`RestApiId` of an API
    Gateway stage), not the resource itself nor a qualifier (`Scope`)."""
    own = own_identifier(cfn)
    if own is None:
        return []
    generic = ("id", "name", "arn", "identifier")
    resource = cfn.resource.lower()
    return [
        p
        for p in cfn.identifiers_lower()
        if p != own
        and p.endswith(("id", "name", "arn"))
        and p not in generic
        and not p.startswith(resource)
        and not resource.endswith(_stem(p))
    ]


def parent_paths(model: dict[str, Any], op: dict[str, Any], cfn: CfnType) -> list[str]:
    """Request members naming the parent: the asset's id is then `<parent>/<id>`."""
    request = {_key(n) for n in _members(model, op.get("input", {}).get("shape"))}
    return [f"request.{p}" for p in parent_identifiers(cfn) if p in request]


def policy_path(model: dict[str, Any], op: dict[str, Any]) -> str | None:
    for name in _members(model, op.get("input", {}).get("shape")):
        if _key(name) in POLICY_MEMBERS:
            return f"request.{_key(name)}"
    return None


def arn_paths(model: dict[str, Any], op: dict[str, Any]) -> list[str]:
    request = _members(model, op.get("input", {}).get("shape"))
    names = sorted(
        (n for n in request if _key(n).endswith(("arn", "arns"))),
        key=lambda n: (_key(n) not in ("resourcearn", "resource", "arn"), n),
    )
    return [f"request.{_key(n)}" for n in names]


# ---- the derivation ------------------------------------------------------------------------

# Calls with a mutating verb that move data, not configuration: no asset changes.
DATA_PLANE = frozenset(
    {
        "PutEvents",
        "PutRawEvents",
        "PutPartnerEvents",
        "PutRecord",
        "PutRecords",
        "PutRecordBatch",
        "PutMetricData",
        "PutLogEvents",
        "PutImage",
        "InitiateLayerUpload",
        "UploadLayerPart",
        "CompleteLayerUpload",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "PutObject",
        "DeleteObject",
        "PutTelemetryRecords",
        "PutTraceSegments",
        "PutAttributes",
        "DeleteAttributes",
        "SendMessage",
        "PublishMetrics",
        "BatchPutAssetPropertyValue",
    }
)

# Leading verbs, none of them a create, update or delete, of calls that send, run, ask or sign
# in rather than configure: messages and emails sent (`SendEmail`), models and agents invoked
# (`InvokeModel`, `Converse`, `Retrieve`), questions asked (`IsAuthorized`, `EvaluateCode`,
# `CalculateRoute`, `AnalyzeDocument`), sign-in steps (`InitiateAuth`, `GlobalSignOut`),
# heartbeats and reports (`ReportTaskProgress`), data written or exported (`WriteRecords`,
# `ExportApi`). No asset changes; the call is counted as changing none.
NO_ASSET_VERBS = frozenset(
    {
        "Send",
        "Resend",
        "Invoke",
        "Post",
        "Converse",
        "Chat",
        "Retrieve",
        "Rerank",
        "Synthesize",
        "Translate",
        "Recognize",
        "Analyze",
        "Classify",
        "Contains",
        "Count",
        "Evaluate",
        "Sample",
        "Is",
        "Render",
        "Calculate",
        "Forecast",
        "Predict",
        "Compare",
        "Discover",
        "Probe",
        "Optimize",
        "Exchange",
        "Initiate",
        "Respond",
        "Logout",
        "Forgot",
        "Global",
        "Report",
        "Record",
        "Acknowledge",
        "Write",
        "Ingest",
        "Export",
    }
)
# Leading verbs the normalizer gives no action, that change the resource they name when it is
# one the derived table knows: `RetryPipelineExecution`, `InitializeCluster`, `MigrateWorkspace`,
# `RebuildEnvironment`, `ReorderReceiptRuleSet`, `SplitShard`, `AllowCustomRoutingTraffic`,
# `ClearDefaultAuthorizer`, `UnregisterConnector`.
MORE_VERBS: dict[str, Action] = {
    **dict.fromkeys(
        (
            "Retry",
            "Initialize",
            "Migrate",
            "Rebuild",
            "Reorder",
            "Split",
            "Allow",
            "Deny",
            "Clear",
            "Shrink",
            "Rebalance",
            "Backtrack",
            "Redrive",
            "Shutdown",
            "Toggle",
            "Reinvite",
            "Invite",
            "Decline",
            "Enter",
            "Exit",
        ),
        Action.UPDATE,
    ),
    "Unregister": Action.DELETE,
}
# Calls with one of those verbs that do change their resource: a tape retrieved from the archive
_CHANGES_A_RESOURCE = frozenset({"RetrieveTapeArchive", "RetrieveTapeRecoveryPoint"})
_TAG_OPERATIONS = {"AddTagsToResource", "RemoveTagsFromResource", "AddTags", "RemoveTags"}


def _match_type(
    service: Service, noun: str, action: Action | None, by_resource: dict[str, CfnType]
) -> tuple[CfnType, Action | None] | None:
    """The type an operation's noun names, and the action on it, by the rules in order."""
    found = next(iter(_match_types(service, noun, action, by_resource)), None)
    return None if found is None else (found[0], found[1])


def _match_types(
    service: Service, noun: str, action: Action | None, by_resource: dict[str, CfnType]
) -> list[tuple[CfnType, Action | None, bool]]:
    """Every type an operation's noun can name, best first, by the rules in order, and whether
    the noun is the type's own name: the call is the first's whose ids its record carries
    (`UpdateSecurityGroupRuleDescriptionsEgress` names no `SecurityGroupRule` id, and is its
    security group's), unless the noun is a type's name."""
    found: list[tuple[CfnType, Action | None, bool]] = []
    noun_words = words(noun)
    heads = ["".join(noun_words[:cut]) for cut in range(len(noun_words) - 1, 0, -1)]
    tails = ["".join(noun_words[cut:]) for cut in range(len(noun_words) - 1, 0, -1)]
    # a setting of a parent: `SetRepositoryPolicy`, `EnableAlarmActions` → update of the parent
    whole = by_resource.get(noun.lower()) or by_resource.get(singular(noun).lower())
    for head, tail in zip(heads, tails, strict=True):
        if whole is not None and not tail.startswith("Polic"):
            break  # `EndpointConfig` is a type itself; a `…Policy` is still its parent's
        if tail in SETTING_SUFFIXES or singular(tail) in SETTING_SUFFIXES:
            cfn = by_resource.get(head.lower()) or by_resource.get(singular(head).lower())
            if cfn is not None:
                found.append((cfn, Action.UPDATE, False))
                break
    # the noun is the type, with or without the service prefix: `CreateWebACL`, `DeleteAlarms`,
    # `CreateElasticsearchDomain`
    forms = [noun, singular(noun)]
    for prefix in service.prefixes:
        forms += [f[len(prefix) :] for f in forms if f.startswith(prefix) and f != prefix]
    for form in forms:
        cfn = by_resource.get(form.lower())
        if cfn is not None:
            found.append((cfn, action, True))
            break
    for head in heads:  # a sub-thing of a parent: `CreateDomainEndpoint` updates the domain
        cfn = by_resource.get(head.lower())
        if cfn is not None:
            found.append((cfn, Action.UPDATE, False))
    for tail in reversed(tails):  # a qualified noun: `PutMetricAlarm` is an alarm
        cfn = by_resource.get(tail.lower()) or by_resource.get(singular(tail).lower())
        if cfn is not None:
            found.append((cfn, action, False))
    return found


def _tail_members(by_resource: dict[str, CfnType]) -> dict[str, set[str]]:
    """Per type, the members naming it by the resource's last words (`groupId` of a
    `WorkspaceIpGroup`), where only that type of the service ends with them and no type's own
    name spells the member (`repositoryName` is the `Repository`'s, not a `PublicRepository`'s)."""
    owners_of: dict[str, set[str]] = {}
    for cfn in by_resource.values():
        for tail in tails_of(cfn.resource):
            for suffix in ("id", "name", "arn"):
                owners_of.setdefault(f"{tail}{suffix}", set()).add(cfn.name)
    spelled = {f"{r}{suffix}" for r in by_resource for suffix in ("id", "name", "arn")}
    tails: dict[str, set[str]] = {}
    for member, owners in owners_of.items():
        if len(owners) == 1 and member not in spelled:
            tails.setdefault(next(iter(owners)), set()).add(member)
    return tails


def _by_input(
    model: dict[str, Any], op: dict[str, Any], by_resource: dict[str, CfnType]
) -> CfnType | None:
    """The resource the input names by its id (`SetAlarmState` with `alarmName`, `PutTargets`
    with `rule`, `ModifySnapshotSchedule` with `clusterIdentifier`): a required member first;
    then a member spelling the resource's own name, then its identifier property, then its
    last words; then the longest resource name."""
    shape = model["shapes"].get(op.get("input", {}).get("shape", ""), {})
    required = {_key(n) for n in shape.get("required", [])}
    request = {_key(n) for n in _scalar_members(model, op.get("input", {}).get("shape"))}
    tails = _tail_members(by_resource)
    best: tuple[bool, int, int, str, CfnType] | None = None
    for cfn in by_resource.values():
        r = cfn.resource.lower()
        direct = {f"{r}id", f"{r}name", f"{r}arn", f"{r}ids", f"{r}names", r, f"{r}identifier"}
        own = own_identifier(cfn)
        generic = ("id", "name", "arn", "identifier")
        by_own = {own} if own is not None and own not in generic else set()
        by_tail = tails.get(cfn.name, set())
        named = request & (direct | by_own | by_tail)
        if named:
            how = 0 if named & direct else 1 if named & by_own else 2
            key = (not (named & required), how, -len(cfn.resource), cfn.resource, cfn)
            if best is None or key[:4] < best[:4]:
                best = key
    return best[4] if best is not None else None


def derive_operation(
    service: Service, op_name: str, by_resource: dict[str, CfnType]
) -> list[Any] | None:
    """[type, action, id paths, policy path or "", parent paths], or None when nothing fits.

    Type "" means: the asset is the ARN the request names (tag calls on any resource); "-": the
    call changes no asset (`DATA_PLANE`).
    """
    if is_read_operation(op_name):
        return None
    if op_name in DATA_PLANE or (
        verb_action(op_name) is None
        and leading_verb(op_name) in NO_ASSET_VERBS
        and op_name not in _CHANGES_A_RESOURCE
    ):
        return ["-", "", [], "", []]
    model = service.model
    op = model["operations"][op_name]
    verb = leading_verb(op_name)
    noun = noun_of(op_name)
    action = verb_action(op_name) or MORE_VERBS.get(verb)
    tags = verb in ("Tag", "Untag") and noun in ("", "Resource", "Resources")
    if (tags or op_name in _TAG_OPERATIONS) and arn_paths(model, op):
        return ["", Action.UPDATE.value, arn_paths(model, op), "", []]
    policy = policy_path(model, op) or ""
    candidates = _match_types(service, noun, action, by_resource)
    by_noun, listed = _by_noun(model, op, candidates, policy)
    if by_noun is not None:
        return by_noun
    found = (candidates[0][0], candidates[0][1]) if candidates else None
    if action is None:
        return None
    # a child that names no id of its own (`DeleteGatewayResponse`) changes the parent the
    # input names, as any call does that names a resource by id (below)
    # the input names one of the service's resources by id (`SetAlarmState` with `alarmName`,
    # `PutTargets` with `rule`, `ModifySnapshotSchedule` with `clusterIdentifier`): an update
    named = _by_input(model, op, by_resource)
    if named is not None:
        paths = [p for p in id_paths(model, op, named) if p.startswith("request.")]
        paths = paths or [f"request.{m}" for m in _own_members(model, op, named)]
        if paths:
            return [named.name, Action.UPDATE.value, paths, policy, parent_paths(model, op, named)]
    # the input names a resource by a generic ARN (`resourceArn`): an update of what it names
    generic = [p for p in arn_paths(model, op) if p.rsplit(".", 1)[1] in _GENERIC_ARNS]
    if generic:
        return ["", Action.UPDATE.value, generic, policy, []]
    if listed is not None:  # no id of its own: the assets a list of structures names
        return listed
    if found is not None and found[1] is not None and _one_per_account(found[0]):
        # a type one per account (`AWS::IoT::EncryptionConfiguration`, `AWS::Shield::
        # ProactiveEngagement`), the input naming nothing: the record's account's
        return [found[0].name, found[1].value, [ACCOUNT_PATH], policy, []]
    return None


def _by_noun(
    model: dict[str, Any],
    op: dict[str, Any],
    candidates: list[tuple[CfnType, Action | None, bool]],
    policy: str,
) -> tuple[list[Any] | None, list[Any] | None]:
    """The entry of the first type the noun names whose ids the call carries, and the entry of
    the first one named only in a list of structures (a fallback for later)."""
    listed: list[Any] | None = None
    for cfn, acts, exact in candidates:
        if acts is None:
            if exact:
                break
            continue
        paths = id_paths(model, op, cfn)
        if paths:
            return [cfn.name, acts.value, paths, policy, parent_paths(model, op, cfn)], None
        composite = _composite_identifier(model, op, cfn)
        if composite is not None:
            return [cfn.name, acts.value, composite[-1:], policy, composite[:-1]], None
        in_lists = listed_paths(model, op, cfn)
        if in_lists and listed is None:
            listed = [cfn.name, acts.value, in_lists, policy, []]
        if exact:
            break  # the type itself, named by no id the call has: what the input names
    return None, listed


def _composite_identifier(
    model: dict[str, Any], op: dict[str, Any], cfn: CfnType
) -> list[str] | None:
    """A type identified by several properties, all in the request (`ClientVpnRoute`: endpoint,
    subnet, destination): their paths, in the schema's order; the id is their values joined by
    `/`. None unless the type has several and the request holds every one."""
    pids = cfn.identifiers_lower()
    request = {_key(n) for n in _scalar_members(model, op.get("input", {}).get("shape"))}
    if len(pids) < 2 or not all(p in request for p in pids):
        return None
    return [f"request.{p}" for p in pids]


# The path of the record's account (`recipientAccountId`, else the caller's): the id of a type
# identified by its account alone.
ACCOUNT_PATH = "account"
# primary identifiers of the types one per account (or per account and region, the region being
# in every asset's name anyway)
_BY_ACCOUNT = (["accountid"], ["awsaccountid"], ["accountid", "region"])


def _one_per_account(cfn: CfnType) -> bool:
    """A type identified by the account it configures; not one whose account is another's (an
    organization's member `AWS::Organizations::Account`, a delegated `…OrganizationAdmin`)."""
    others = cfn.prefix == "Organizations" or cfn.resource.endswith("Admin")
    return cfn.identifiers_lower() in _BY_ACCOUNT and not others


_GENERIC_ARNS = frozenset({"resourcearn", "resourcearns", "arn", "resource"})


def _own_members(model: dict[str, Any], op: dict[str, Any], cfn: CfnType) -> list[str]:
    """Input members equal to the type's own identifier property (`ClusterIdentifier`)."""
    own = own_identifier(cfn)
    request = {_key(n) for n in _scalar_members(model, op.get("input", {}).get("shape"))}
    return [own] if own is not None and own in request and not own.endswith("arn") else []


def _add_source(
    table_sources: dict[str, Any], service: Service, operations: dict[str, Any]
) -> None:
    """Several models can share an event source (`events`, `eventbridgev2`): the one named like
    the source wins, the others add the operations it lacks."""
    for source in service.sources:
        entry = table_sources.get(source)
        if entry is None or source.split(".", 1)[0] == service.name:
            merged = {**(entry["operations"] if entry else {}), **operations}
            prefixes = service.prefixes + (entry["prefixes"] if entry else [])
            table_sources[source] = {
                "service": service.name,
                "prefixes": list(dict.fromkeys(prefixes)),
                "arn_services": service.arn_services,
                "operations": dict(sorted(merged.items())),
            }
        else:
            entry["operations"] = dict(sorted({**operations, **entry["operations"]}.items()))
            entry["prefixes"] = list(dict.fromkeys(entry["prefixes"] + service.prefixes))


def derive(site: Path) -> dict[str, Any]:
    cloudformation = load_cfn(site)
    services = load_services({t.prefix for t in cloudformation.values()})
    _assign_by_nouns(services, cloudformation)
    types = {**cloudformation, **own_types()}
    table_types: dict[str, Any] = {}
    table_sources: dict[str, Any] = {}
    for service in services:
        by_resource: dict[str, CfnType] = {}  # the service's first prefix wins a name
        for prefix in service.prefixes:
            for cfn in types.values():
                if cfn.prefix == prefix:
                    by_resource.setdefault(cfn.resource.lower(), cfn)
        _public_names(service, by_resource)
        if not by_resource:
            continue
        operations: dict[str, list[Any]] = {}
        for op_name in sorted(service.model["operations"]):
            entry = derive_operation(service, op_name, by_resource)
            if entry is not None:
                operations[op_name] = entry
                if entry[0] in types:
                    _add_type(table_types, types[entry[0]], service)
        _add_source(table_sources, service, operations)
    # every type of every mapped prefix can be named by an ARN (tag calls, resources)
    for service in services:
        for cfn in types.values():
            if cfn.prefix in service.prefixes:
                _add_type(table_types, cfn, service)
    return {
        "about": "Generated by scripts/derive.py; do not edit. See ARCHITECTURE.md.",
        "sources": {
            "cfn-lint": version("cfn-lint"),
            "cfn-lint schema_date": cfn_schema_date(site),
            "botocore": version("botocore"),
        },
        "cloudformation_types": sorted(cloudformation),
        "types": dict(sorted(table_types.items())),
        "sources_by_event_source": dict(sorted(table_sources.items())),
    }


def _public_names(service: Service, by_resource: dict[str, CfnType]) -> None:
    """`ecr-public`'s repositories are `AWS::ECR::PublicRepository`s: in a `-public` service,
    a noun names the `Public…` type of that name."""
    if service.name.endswith("-public"):
        for cfn in list(by_resource.values()):
            if cfn.resource.startswith("Public") and cfn.resource != "Public":
                by_resource[cfn.resource[len("Public") :].lower()] = cfn


def _add_type(table_types: dict[str, Any], cfn: CfnType, service: Service) -> None:
    """A type's entry; the ARN services of every service using it (`ecr`, `ecr-public`)."""
    entry = _type_entry(cfn, service)
    known = table_types.get(cfn.name)
    if known is not None:
        entry["arn"] = list(dict.fromkeys(known["arn"] + entry["arn"]))
    table_types[cfn.name] = entry


def _type_entry(cfn: CfnType, service: Service) -> dict[str, Any]:
    """A type's naming; `identifiers` are its primary identifier's properties in the schema's
    order (Cloud Control's `Identifier` joins their values with `|`), and for a parented type
    `own` is the one naming the resource itself (its id is `<parents>/<own>`)."""
    arn_words = sorted({cfn.resource.lower(), cfn.slug, f"{cfn.resource.lower()}s"})
    parented = bool(parent_identifiers(cfn))
    entry: dict[str, Any] = {
        "service": cfn.prefix.lower(),
        "slug": cfn.slug,
        "arn": service.arn_services or [cfn.prefix.lower()],
        "arn_words": arn_words,
        "multi": len(cfn.identifiers) > 1,
        "parented": parented,
        "identifiers": cfn.identifiers,
    }
    own = own_identifier(cfn) if parented else None
    if own is not None:
        entry["own"] = next(name for name in cfn.identifiers if name.lower() == own)
    return entry


def render(table: dict[str, Any]) -> bytes:
    """One line per event source: small diffs when AWS adds a service."""
    lines = ["{"]
    head = {k: v for k, v in table.items() if k != "sources_by_event_source"}
    for key, value in head.items():
        lines.append(f"{codec.dumps(key).decode()}: {codec.dumps(value).decode()},")
    lines.append('"sources_by_event_source": {')
    entries = list(table["sources_by_event_source"].items())
    for index, (source, entry) in enumerate(entries):
        comma = "," if index < len(entries) - 1 else ""
        lines.append(f"{codec.dumps(source).decode()}: {codec.dumps(entry).decode()}{comma}")
    lines.append("}}")
    return ("\n".join(lines) + "\n").encode()


def site_packages() -> Path:
    import cfnlint  # type: ignore[import-untyped]  # noqa: PLC0415 (dev extra only)

    return Path(cfnlint.__file__).resolve().parent.parent


def main(argv: Iterable[str]) -> int:
    args = list(argv)
    fresh = render(derive(site_packages()))
    if args == ["--check"]:
        if TABLE.read_bytes() != fresh:
            print(f"{TABLE} is out of date: run python scripts/derive.py", file=sys.stderr)
            return 1
        return 0
    TABLE.write_bytes(fresh)
    print(f"wrote {TABLE} ({len(fresh):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
