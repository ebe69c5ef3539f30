"""The IAM policies shipped for live configuration grant exactly the actions the code calls:
`docs/iam/reader-policy.json` (the role assumed in each account, and the home identity) and
`docs/iam/caller-policy.json` (the identity EventStream runs as: assuming the reader roles and
listing the organization's accounts).

Every module under `eventstream/enrich/` and `eventstream/commands/` is scanned: the services it
talks to are the botocore service names among its string constants (`Kind("ec2", ...)`,
`clients.client("sts", ...)`), and its calls are the method names it calls
(`client.describe_security_groups(...)`), the operation names it gives as strings
(`get_paginator("list_roles")`, `getattr(made, "describe_vpcs")`) and its f-strings expanded
with the module's own word constants (`f"list_{noun}_policies"` with `"role"`); each call that
is an operation of one of those services is mapped to its IAM action through botocore's service
model (the operation name, the prefix from `signingName`), with an explicit table where IAM
names the action differently."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

from botocore import xform_name
from botocore.loaders import Loader

from eventstream import codec

ROOT = Path(__file__).resolve().parents[3]
SCANNED = [ROOT / "eventstream" / "enrich", ROOT / "eventstream" / "commands"]
READER = ROOT / "docs" / "iam" / "reader-policy.json"
CALLER = ROOT / "docs" / "iam" / "caller-policy.json"

PREFIX_OF = {"cloudcontrolapi": "cloudformation"}
"""IAM prefixes that differ from the service model's `signingName` (Cloud Control's actions are
`cloudformation:GetResource` and `cloudformation:ListResources`)."""
ACTION_OF = {
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
}
"""API operations authorized by an IAM action of another name."""
NO_PERMISSION = {"sts:GetCallerIdentity"}
"""Calls every identity may make, whatever its policies."""
CALLER_ONLY = {"sts:AssumeRole", "organizations:ListAccounts"}
"""Made with the identity EventStream runs as, never with a reader role."""
AHEAD: set[str] = set()
"""Granted for code being added beside this one; an entry the code now calls must be removed
(the test says which), so that the set empties as that code lands."""


@cache
def _loader() -> Loader:
    return Loader()


@cache
def _services() -> frozenset[str]:
    return frozenset(_loader().list_available_services("service-2"))


@cache
def _operations(service: str) -> dict[str, str]:
    """snake_case operation name -> IAM action, for one botocore service."""
    model = _loader().load_service_model(service, "service-2")
    metadata = model["metadata"]
    prefix = metadata.get("signingName") or metadata["endpointPrefix"]
    prefix = PREFIX_OF.get(prefix, prefix)
    found = {}
    for operation in model["operations"]:
        action = f"{prefix}:{operation}"
        found[xform_name(operation)] = ACTION_OF.get(action, action)
    return found


def _names(nodes: list[ast.AST], words: set[str]) -> set[str]:
    """The operation names these nodes (not their children) may call: attribute calls,
    snake_case strings, f-strings with one placeholder filled with each of `words`."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.fullmatch(r"[a-z][a-z0-9_]*", node.value):
                names.add(node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            names.add(node.func.attr)
        elif isinstance(node, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) else None for v in node.values]
            if sum(p is None for p in parts) == 1:
                names |= {"".join(w if p is None else str(p) for p in parts) for w in words}
    return names


def _actions(services: set[str], names: set[str]) -> set[str]:
    found: set[str] = set()
    for service in services:
        operations = _operations(service)
        found |= {operations[name] for name in names if name in operations}
    return found


def _module_actions(tree: ast.Module) -> set[str]:
    """The IAM actions one module's calls need. A call given a service name (`Kind("lambda",
    _function)`) scopes what is inside it, and the functions it names (and those they call),
    to that service; everything else is checked against every service the module names."""
    constants = {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }
    words = {c for c in constants if re.fullmatch(r"[a-z][a-z0-9]*", c)}
    services = constants & _services()
    functions = {
        n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    bound: dict[str, set[str]] = {}
    scoped: list[tuple[set[str], ast.Call]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and not isinstance(node.func, ast.Attribute):
            named = {
                a.value
                for a in node.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            } & services
            if named:
                scoped.append((named, node))
                for arg in node.args:
                    if isinstance(arg, ast.Name) and arg.id in functions:
                        bound.setdefault(arg.id, set()).update(named)
    for _ in functions:  # a function called by a bound one is bound with it
        for name, of in list(bound.items()):
            for node in ast.walk(functions[name]):
                if isinstance(node, ast.Name) and node.id in functions and node.id != name:
                    bound.setdefault(node.id, set()).update(of)
    needed: set[str] = set()
    covered: set[int] = set()
    for name, function in functions.items():
        nodes = list(ast.walk(function))
        covered |= {id(n) for n in nodes}
        needed |= _actions(bound.get(name, services), _names(nodes, words))
    for named, call in scoped:
        nodes = [n for n in ast.walk(call) if id(n) not in covered]
        covered |= {id(n) for n in nodes}
        needed |= _actions(named, _names(nodes, words))
    rest = [n for n in ast.walk(tree) if id(n) not in covered]
    return needed | _actions(services, _names(rest, words))


def needed_actions(roots: list[Path]) -> set[str]:
    """Every IAM action the code under `roots` needs."""
    needed: set[str] = set()
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            needed |= _module_actions(ast.parse(path.read_text()))
    return needed - NO_PERMISSION


def _granted(path: Path) -> set[str]:
    document = codec.loads(path.read_bytes())
    assert document["Version"] == "2012-10-17"
    sids = [statement["Sid"] for statement in document["Statement"]]
    assert len(set(sids)) == len(sids), sids
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "*" not in "".join(statement["Action"])
    return {action for statement in document["Statement"] for action in statement["Action"]}


def test_the_policies_allow_every_call_the_code_makes_and_nothing_more() -> None:
    needed = needed_actions(SCANNED)
    assert {
        "ec2:DescribeSecurityGroups",
        "s3:GetEncryptionConfiguration",
        "iam:ListAttachedRolePolicies",
        "iam:GetRolePolicy",
        "lambda:GetPolicy",
        "kms:GetKeyPolicy",
        "sts:AssumeRole",
        "organizations:ListAccounts",
    } <= needed
    reader, caller = _granted(READER), _granted(CALLER)
    assert not reader & CALLER_ONLY, "the reader role neither assumes roles nor lists accounts"
    assert caller == CALLER_ONLY
    granted = reader | caller
    assert needed <= granted, f"missing from the policies: {sorted(needed - granted)}"
    assert not AHEAD & needed, f"now called by the code, drop from AHEAD: {sorted(AHEAD & needed)}"
    unused = granted - needed - AHEAD
    assert not unused, f"granted but never called: {sorted(unused)}"


def test_the_scan_sees_a_call_in_each_form(tmp_path: Path) -> None:
    (tmp_path / "one.py").write_text(
        "async def f(clients, noun):\n"
        '    made = await clients.client("iam", account="", region="us-east-1")\n'
        '    await made.get_role(RoleName="r")\n'
        '    made.get_paginator("list_roles")\n'
        '    await getattr(made, f"list_{noun}_policies")()\n'
        '    return {"user": 1}\n'
    )
    assert needed_actions([tmp_path]) == {
        "iam:GetRole",
        "iam:ListRoles",
        "iam:ListUserPolicies",
    }
