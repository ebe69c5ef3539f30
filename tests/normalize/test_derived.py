"""The derived resolver: AWS's resource metadata as the fallback behind the explicit tables.

The per-call checks (type, id, action, ARN) are the golden cases `golden/derived/` and
`golden/policies/`, made from the project's own records (`records/derived.jsonl`,
`records/policies.jsonl`); this module checks what they add up to, and the resolver's
contracts: explicit tables win, one asset keeps one name, the committed table is what the
generator makes, nothing at run time imports the generator's sources, and no record makes the
resolver raise.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstream import codec
from eventstream.errors import MalformedRecordError
from eventstream.models.event import Resolution
from eventstream.normalize.context import Call
from eventstream.normalize.derived import DerivedRule, load_table
from eventstream.normalize.ignored import IGNORED
from eventstream.normalize.naming import GENERIC_TYPE_PREFIX
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.own_types import OWN_TYPES
from eventstream.normalize.resources.catalog import FAMILIES, default_registry
from tests.conftest import read_jsonl
from tests.normalize.test_property import json_values

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
GOLDEN = HERE / "golden"
RECORDS = HERE / "records"


def _script(name: str) -> ModuleType:
    """A script under `scripts/`, imported as a module (its dataclasses need it registered)."""
    qualified = f"_eventstream_scripts_{name}"
    spec = importlib.util.spec_from_file_location(qualified, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


def _needs_generator_sources() -> None:
    for package in ("cfnlint", "botocore"):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed (the dev extra installs it)")


def _cases(family: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = [
        codec.loads(path.read_bytes()) for path in sorted((GOLDEN / family).glob("*.json"))
    ]
    return cases


def test_golden_cases_cover_80_derived_operations_of_25_services() -> None:
    """The derived golden cases name at least 80 operations of at least 25 services that have
    no explicit table, none of them in one, each resolved by derivation to a CloudFormation
    type."""
    registry = default_registry()
    table = load_table()
    operations: set[tuple[str, str]] = set()
    multi = 0
    for case in _cases("derived"):
        record = case["input"]
        key = (record["eventSource"], record["eventName"])
        assert registry.lookup(*key) is None, f"{key} has an explicit rule"
        assert case["expected"], f"{key}: no event expected"
        for event in case["expected"]:
            assert event["data"]["asset"]["resolution"] == "derived", key
            assert event["data"]["asset"]["type"] in table.cloudformation_types, key
        multi += len(case["expected"]) > 1
        operations.add(key)
    # the services no family's table knows at all: at least 80 operations of 25 of them
    with_a_table = {source for family in FAMILIES for source in family.sources}
    untabled = {(source, name) for source, name in operations if source not in with_a_table}
    assert len(untabled) >= 80
    assert len({source for source, _ in untabled}) >= 25
    # one event per asset named: DeleteAlarms, DeleteDashboards, DeleteInsightRules,
    # RebootWorkspaces, BatchDisableStandards
    assert multi >= 5


def test_golden_cases_for_every_resource_policy_call() -> None:
    """Each resource-policy call of the issue has a golden case whose configuration holds the
    policy document as a JSON object, not a string."""
    wanted = {
        ("s3.amazonaws.com", "PutBucketPolicy"): "Policy",
        ("kms.amazonaws.com", "PutKeyPolicy"): "Policy",
        ("sqs.amazonaws.com", "SetQueueAttributes"): "Policy",
        ("sns.amazonaws.com", "SetTopicAttributes"): "Policy",
        ("ecr.amazonaws.com", "SetRepositoryPolicy"): "Policy",
        ("secretsmanager.amazonaws.com", "PutResourcePolicy"): "Policy",
        ("lambda.amazonaws.com", "AddPermission20150331v2"): "Statement",
        ("iam.amazonaws.com", "UpdateAssumeRolePolicy"): "assumeRolePolicyDocument",
        ("es.amazonaws.com", "UpdateDomainConfig"): "Policy",
    }
    found: dict[tuple[str, str], str] = {}
    for path in sorted(GOLDEN.glob("*/*.json")):
        case = codec.loads(path.read_bytes())
        record = case["input"].get("detail", case["input"])
        key = (record.get("eventSource"), record.get("eventName"))
        if key not in wanted:
            continue
        (event,) = case["expected"]
        assert event["data"]["change"]["action"] == "update", path
        document = (event["data"]["configuration"] or {}).get(wanted[key])
        assert isinstance(document, dict), path
        assert "Statement" in document or "Effect" in document, path
        assert event["data"]["configuration_source"] == "event_partial", path
        found[key] = path.name
    assert set(found) == set(wanted), set(wanted) - set(found)


def test_explicit_tables_win(normalizer: Normalizer) -> None:
    """A call both tables know resolves by its family's table: SQS `SetQueueAttributes` is
    derivable too, and still comes out as the family says."""
    registry = default_registry()
    assert registry.derived_rule("sqs.amazonaws.com", "SetQueueAttributes") is not None
    record = next(read_jsonl(RECORDS / "sqs.jsonl"))
    (event,) = normalizer.normalize(record).events
    assert event["data"]["asset"]["resolution"] == "table"


def test_one_asset_one_name_by_name_and_by_arn(normalizer: Normalizer) -> None:
    """An alarm named by its name (`PutMetricAlarm`) and by its ARN (`TagResource`), a rule by
    name and by ARN, a repository by name and by ARN: one subject each."""
    records = {r["eventID"]: r for r in read_jsonl(RECORDS / "derived.jsonl")}
    by_operation: dict[tuple[str, str], set[str]] = {}
    for record in records.values():
        for event in normalizer.normalize(record).events:
            key = (record["eventSource"], event["data"]["asset"]["type"])
            by_operation.setdefault(key, set()).add(event["subject"])
    assert by_operation[("monitoring.amazonaws.com", "AWS::CloudWatch::Alarm")] == {
        "aws/111122223333/us-east-1/cloudwatch/alarm/orders-5xx",
        "aws/111122223333/us-east-1/cloudwatch/alarm/orders-latency",
    }
    assert by_operation[("events.amazonaws.com", "AWS::Events::Rule")] == {
        "aws/111122223333/us-east-1/events/rule/nightly-report"
    }
    assert by_operation[("ecr.amazonaws.com", "AWS::ECR::Repository")] == {
        "aws/111122223333/us-east-1/ecr/repository/orders/api"
    }


def test_a_type_a_family_defines_resolves_through_its_kind() -> None:
    """A derived rule whose type a family defines names the asset as the family does: SQS's
    derived `TagQueue` gives the queue the SQS family's name for it, resolved by `table`."""
    record = copy.deepcopy(next(read_jsonl(RECORDS / "sqs.jsonl")))
    registry = default_registry()
    rule = registry.derived_rule("sqs.amazonaws.com", "TagQueue")
    assert isinstance(rule, DerivedRule)
    record.update(
        eventName="TagQueue",
        requestParameters={"queueUrl": record["responseElements"]["queueUrl"], "tags": {}},
    )
    call = Call(None, record, "TagQueue", "111122223333", "us-east-1", registry=registry)
    (touch,) = rule(call)
    assert touch.ref.name == "aws/111122223333/us-east-1/sqs/queue/orders-worker"
    assert touch.ref.type == "AWS::SQS::Queue"
    assert touch.resolution is Resolution.TABLE


def test_data_plane_calls_change_no_asset(normalizer: Normalizer) -> None:
    """`PutEvents` has a mutating verb and moves data: the derived table lists it as changing
    no asset, and it is counted so, never as a change of the event bus."""
    record = next(read_jsonl(RECORDS / "derived.jsonl"))
    record = {**record, "eventSource": "events.amazonaws.com", "eventName": "PutEvents"}
    record["requestParameters"] = {"entries": [{"source": "orders", "detailType": "Placed"}]}
    result = normalizer.normalize(record)
    assert result.outcome.value == "non_asset"
    assert result.events == []


def test_every_emitted_type_is_a_cloudformation_type_or_our_own() -> None:
    """Every type the explicit tables define and every type the derived table maps to is a
    CloudFormation type name from the schemas, or in `own_types.OWN_TYPES` with its reason;
    and every type listed there is still emitted and is not a CloudFormation type."""
    table = load_table()
    explicit = {kind.type for family in FAMILIES for kind in family.kinds}
    derived = {
        entry[0]
        for source in table.prefixes
        for entry in table.operations(source).values()
        if entry[0] not in ("", "-")
    }
    unknown = {t for t in explicit | derived if t not in table.cloudformation_types}
    assert unknown == set(OWN_TYPES)
    assert all(reason for reason in OWN_TYPES.values())
    assert len(table.cloudformation_types) > 1_500
    assert not any(t.startswith(GENERIC_TYPE_PREFIX) for t in explicit | derived)


def test_committed_table_is_what_the_generator_makes() -> None:
    """Regenerating the table from the pinned cfn-lint and botocore gives the committed file,
    byte for byte (`python scripts/derive.py` rewrites it)."""
    _needs_generator_sources()
    derive = _script("derive")
    fresh = derive.render(derive.derive(derive.site_packages()))
    committed = (ROOT / "eventstream" / "data" / "derived.json").read_bytes()
    assert fresh == committed, "run `python scripts/derive.py` and commit the table"
    versions = codec.loads(committed)["sources"]
    assert set(versions) == {"cfn-lint", "cfn-lint schema_date", "botocore"}


def test_coverage_report_is_current_and_meets_its_floor() -> None:
    """`docs/coverage.md` is what `make coverage` writes today."""
    _needs_generator_sources()
    coverage = _script("coverage")
    services = coverage.measure()
    text = coverage.render(services, load_table().sources)
    assert (ROOT / "docs" / "coverage.md").read_text() == text, "run `make coverage`"
    assert len(services) > 200
    assert coverage.overall_ratio(services) >= 0.81  # the target is 0.85


def test_cfn_lint_is_a_development_dependency_only() -> None:
    """`cfn-lint` is in the dev extra and the full lock, never in the run-time dependencies nor
    the run-time lock (the table is data; only `scripts/derive.py` reads the schemas)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("cfn-lint") for d in project["dependencies"])
    assert any(d.startswith("cfn-lint") for d in project["optional-dependencies"]["dev"])
    runtime = (ROOT / "requirements-runtime.lock").read_text().splitlines()
    assert not any(line.startswith("cfn-lint==") for line in runtime)
    full = (ROOT / "requirements.lock").read_text().splitlines()
    pinned = next(line for line in full if line.startswith("cfn-lint=="))
    recorded = codec.loads((ROOT / "eventstream" / "data" / "derived.json").read_bytes())
    assert pinned == f"cfn-lint=={recorded['sources']['cfn-lint']}"  # the table's version


def test_run_time_imports_neither_cfn_lint_nor_botocore() -> None:
    """Normalizing loads the committed table only: the generator's sources stay dev-only."""
    code = (
        "import sys\n"
        "from eventstream.normalize.normalizer import Normalizer\n"
        "from eventstream.normalize.resources.catalog import default_registry\n"
        "n = Normalizer(default_registry())\n"
        "r = n.normalize({'eventID': 'x', 'eventTime': '2024-05-14T09:00:00Z',"
        " 'eventSource': 'monitoring.amazonaws.com', 'eventName': 'DeleteAlarms',"
        " 'requestParameters': {'alarmNames': ['a', 'b']}})\n"
        "assert len(r.events) == 2, r\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('cfnlint', 'botocore')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


_DERIVED = [
    (source, operation)
    for source in sorted(load_table().prefixes)
    for operation in sorted(load_table().operations(source))
]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    call=st.sampled_from(_DERIVED),
    request=json_values,
    response=json_values,
    account=st.text(max_size=12),
    region=st.text(max_size=12),
)
def test_derived_resolver_never_raises(
    call: tuple[str, str], request: Any, response: Any, account: str, region: str
) -> None:
    """Any derived rule on any request and response gives a list of touches, never raises."""
    registry = default_registry()
    rule = registry.derived_rule(*call)
    if not isinstance(rule, DerivedRule):
        return
    raw = {
        "eventID": "p",
        "eventTime": "2024-05-14T09:00:00Z",
        "eventSource": call[0],
        "eventName": call[1],
        "requestParameters": request if isinstance(request, dict) else {"value": request},
        "responseElements": response if isinstance(response, dict) else None,
    }
    touches = rule(Call(None, raw, call[1], account, region, registry=registry))
    assert all(t.ref.name.startswith(f"aws/{account}/") for t in touches)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(call=st.sampled_from(_DERIVED), request=json_values, name_case=st.booleans())
def test_normalize_of_derived_calls_raises_only_malformed(
    normalizer: Normalizer, call: tuple[str, str], request: Any, name_case: bool
) -> None:
    """Through `normalize`: a derived call with any request is a change, unmapped or
    malformed, nothing else."""
    raw = {
        "eventID": "p",
        "eventTime": "2024-05-14T09:00:00Z",
        "eventSource": call[0],
        "eventName": call[1].upper() if name_case else call[1],
        "requestParameters": request,
        "readOnly": False,
    }
    with contextlib.suppress(MalformedRecordError):
        normalizer.normalize(raw)


def _record(source: str, name: str, request: dict[str, Any], response: Any = None) -> Any:
    """A record of the shape of `records/derived.jsonl`'s, for another call."""
    base = next(read_jsonl(RECORDS / "derived.jsonl"))
    return {
        **base,
        "eventID": f"test/{name}",
        "eventSource": source,
        "eventName": name,
        "requestParameters": request,
        "responseElements": response,
    }


@pytest.mark.parametrize(
    ("source", "name", "request_"),
    [
        # an endpoint invoked is not changed (the table had it as an update of the endpoint)
        ("sagemaker.amazonaws.com", "InvokeEndpointAsync", {"endpointName": "scorer"}),
        ("messaging-chime.amazonaws.com", "SendChannelMessage", {"channelArn": "arn:x"}),
        ("bedrock.amazonaws.com", "InvokeModel", {"modelId": "amazon.titan-text-lite-v1"}),
        ("ses.amazonaws.com", "SendEmail", {"source": "ops@example.com"}),
        ("cognito-idp.amazonaws.com", "InitiateAuth", {"clientId": "4abc", "authFlow": "x"}),
        ("verifiedpermissions.amazonaws.com", "IsAuthorized", {"policyStoreId": "ps-1"}),
    ],
)
def test_calls_that_send_invoke_ask_or_sign_in_change_no_asset(
    normalizer: Normalizer, source: str, name: str, request_: dict[str, Any]
) -> None:
    assert default_registry().derived_rule(source, name) is IGNORED
    result = normalizer.normalize(_record(source, name, request_))
    assert result.outcome.value == "non_asset"
    assert result.events == []


def test_a_tape_retrieved_from_the_archive_is_still_an_update(normalizer: Normalizer) -> None:
    arn = "arn:aws:storagegateway:us-east-1:111122223333:tape/TEST04A2A1"
    record = _record(
        "storagegateway.amazonaws.com",
        "RetrieveTapeArchive",
        {"tapeARN": arn, "gatewayARN": "arn:aws:storagegateway:us-east-1:111122223333:gateway/g"},
        {"tapeARN": arn},
    )
    (event,) = normalizer.normalize(record).events
    assert event["data"]["asset"]["type"] == "AWS::StorageGateway::Tape"
    assert event["data"]["change"]["action"] == "update"


@pytest.mark.parametrize(
    ("call", "type_", "slug"),
    [
        (
            (
                "iot.amazonaws.com",
                "UpdateEncryptionConfiguration",
                {"encryptionType": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyArn": "arn:aws:kms:x"},
            ),
            "AWS::IoT::EncryptionConfiguration",
            "iot/encryption-configuration",
        ),
        (
            (
                "ec2.amazonaws.com",
                "EnableSnapshotBlockPublicAccess",
                {"EnableSnapshotBlockPublicAccessRequest": {"State": "block-all-sharing"}},
            ),
            "AWS::EC2::SnapshotBlockPublicAccess",
            "ec2/snapshot-block-public-access",
        ),
        (
            ("shield.amazonaws.com", "EnableProactiveEngagement", {}),
            "AWS::Shield::ProactiveEngagement",
            "shield/proactive-engagement",
        ),
    ],
)
def test_a_type_one_per_account_is_the_records_accounts(
    normalizer: Normalizer, call: tuple[str, str, dict[str, Any]], type_: str, slug: str
) -> None:
    """A type identified by its account alone (`AccountId`), changed by a call naming no id:
    the asset is the record's account's."""
    (event,) = normalizer.normalize(_record(*call)).events
    asset = event["data"]["asset"]
    assert (asset["type"], asset["provider_id"], asset["resolution"]) == (
        type_,
        "111122223333",
        "derived",
    )
    assert event["subject"].endswith(f"/{slug}/111122223333")
    assert event["data"]["change"]["action"] == "update"


def test_calls_on_our_own_types_derive_to_them(normalizer: Normalizer) -> None:
    """A call of a family's service that no family's table has, on one of EventStream's own
    types (`LockSnapshot`, `DisableImage`), names the asset as the family does; AMIs were
    FPGA images before."""
    registry = default_registry()
    lock = _record(
        "ec2.amazonaws.com",
        "LockSnapshot",
        {"LockSnapshotRequest": {"SnapshotId": "snap-0abc", "LockMode": "compliance"}},
    )
    disable = _record(
        "ec2.amazonaws.com", "DisableImage", {"DisableImageRequest": {"ImageId": "ami-0abc"}}
    )
    for record, type_, subject in [
        (lock, "AWS::EC2::Snapshot", "aws/111122223333/us-east-1/ec2/snapshot/snap-0abc"),
        (disable, "AWS::EC2::Image", "aws/111122223333/us-east-1/ec2/image/ami-0abc"),
    ]:
        assert registry.lookup(record["eventSource"], record["eventName"]) is None
        (event,) = normalizer.normalize(record).events
        assert event["data"]["asset"]["type"] == type_
        assert event["data"]["asset"]["resolution"] == "table"  # the family's kind
        assert event["subject"] == subject
        assert event["data"]["change"]["action"] == "update"


def test_the_first_type_whose_ids_the_call_carries(normalizer: Normalizer) -> None:
    """`DeleteFirewallPolicy` deletes the policy it names by ARN (the noun's type), not an
    update of it found by the input's members."""
    arn = "arn:aws:network-firewall:us-east-1:111122223333:firewall-policy/egress"
    record = _record(
        "network-firewall.amazonaws.com",
        "DeleteFirewallPolicy",
        {"firewallPolicyArn": arn},
        {"firewallPolicyResponse": {"firewallPolicyArn": arn, "firewallPolicyName": "egress"}},
    )
    (event,) = normalizer.normalize(record).events
    assert event["data"]["asset"]["type"] == "AWS::NetworkFirewall::FirewallPolicy"
    assert event["data"]["asset"]["arn"] == arn
    assert event["data"]["change"]["action"] == "delete"


def test_public_repositories_are_not_private_ones(normalizer: Normalizer) -> None:
    """`ecr-public`'s calls name `AWS::ECR::PublicRepository`s (they named private ones, so a
    public and a private repository of one name were one asset)."""
    arn = "arn:aws:ecr-public::111122223333:repository/orders"
    record = _record(
        "ecr-public.amazonaws.com",
        "CreateRepository",
        {"repositoryName": "orders"},
        {"repository": {"repositoryName": "orders", "repositoryArn": arn}},
    )
    (event,) = normalizer.normalize(record).events
    assert event["data"]["asset"]["type"] == "AWS::ECR::PublicRepository"
    assert event["data"]["asset"]["provider_id"] == "orders"
    assert event["data"]["change"]["action"] == "create"
    (private,) = normalizer.normalize(next(read_jsonl(RECORDS / "derived.jsonl"))).events
    assert event["subject"] != private["subject"]


@pytest.mark.parametrize(
    ("call", "type_", "provider_id"),
    [
        (
            ("ses.amazonaws.com", "CreateReceiptFilter", {"filter": {"name": "block-spam"}}),
            "AWS::SES::ReceiptFilter",
            "block-spam",
        ),
        (
            (
                "glue.amazonaws.com",
                "CreateClassifier",
                {"grokClassifier": {"name": "apache-logs", "classification": "logs"}},
            ),
            "AWS::Glue::Classifier",
            "apache-logs",
        ),
    ],
)
def test_an_id_in_a_structure_named_by_the_types_last_word_or_a_kind_of_it(
    normalizer: Normalizer, call: tuple[str, str, dict[str, Any]], type_: str, provider_id: str
) -> None:
    """`CreateReceiptFilter` names its filter in `filter.name`, `CreateClassifier` in
    `grokClassifier.name` (or `csvClassifier`, ...): both were unmapped."""
    (event,) = normalizer.normalize(_record(*call)).events
    asset = event["data"]["asset"]
    assert (asset["type"], asset["provider_id"]) == (type_, provider_id)
    assert event["data"]["change"]["action"] == "create"


def test_a_session_one_per_account_and_rules_by_their_plural_arns(normalizer: Normalizer) -> None:
    """Macie's session is identified by its account (`AwsAccountId`); Security Hub's
    automation rules are deleted by `automationRulesArns`, one asset each."""
    (session,) = normalizer.normalize(
        _record("macie2.amazonaws.com", "UpdateMacieSession", {"status": "PAUSED"})
    ).events
    assert session["data"]["asset"]["type"] == "AWS::Macie::Session"
    assert session["data"]["asset"]["provider_id"] == "111122223333"
    arn = "arn:aws:securityhub:us-east-1:111122223333:automation-rule/"
    rules = normalizer.normalize(
        _record(
            "securityhub.amazonaws.com",
            "BatchDeleteAutomationRules",
            {"automationRulesArns": [f"{arn}a1b2", f"{arn}c3d4"]},
        )
    ).events
    assert [e["data"]["asset"]["arn"] for e in rules] == [f"{arn}a1b2", f"{arn}c3d4"]
    assert {e["data"]["change"]["action"] for e in rules} == {"delete"}
    assert {e["data"]["asset"]["type"] for e in rules} == {"AWS::SecurityHub::AutomationRule"}


def test_more_verbs_change_what_they_name(normalizer: Normalizer) -> None:
    """`SplitShard` changes its stream, `RebuildWorkspaces` each workspace it lists,
    `UnregisterConnector` deletes the connector: all three were unmapped."""
    split = _record(
        "kinesis.amazonaws.com",
        "SplitShard",
        {"streamName": "clickstream", "shardToSplit": "shardId-0", "newStartingHashKey": "1"},
    )
    rebuild = _record(
        "workspaces.amazonaws.com",
        "RebuildWorkspaces",
        {"rebuildWorkspaceRequests": [{"workspaceId": "ws-0abc1234d"}]},
    )
    unregister = _record(
        "appflow.amazonaws.com", "UnregisterConnector", {"connectorLabel": "crm-sync"}
    )
    found = [
        (
            e["data"]["asset"]["type"],
            e["data"]["asset"]["provider_id"],
            e["data"]["change"]["action"],
        )
        for record in (split, rebuild, unregister)
        for e in normalizer.normalize(record).events
    ]
    assert found == [
        ("AWS::Kinesis::Stream", "clickstream", "update"),
        ("AWS::WorkSpaces::Workspace", "ws-0abc1234d", "update"),
        ("AWS::AppFlow::Connector", "crm-sync", "delete"),
    ]


def test_an_invitation_is_not_a_change_of_the_inviting_account(normalizer: Normalizer) -> None:
    """`InviteAccountToOrganization` names the invited account in `target`: it is never the
    record's own account as an `AWS::Organizations::Account` (a type one per account is the
    record's account's only when it configures that account)."""
    record = _record(
        "organizations.amazonaws.com",
        "InviteAccountToOrganization",
        {"target": {"id": "444455556666", "type": "ACCOUNT"}},
    )
    events = normalizer.normalize(record).events
    assert all(e["data"]["asset"]["provider_id"] != "111122223333" for e in events)
