"""GuardDuty: detectors and their filters, IP sets and threat intelligence sets.

A detector's id is its detector id (`detector/<id>` in its ARN). Filters, IP sets and threat
intelligence sets live inside a detector: their id is `<detector id>/<name or id>`, and their ARNs
read `detector/<detector id>/filter/<name>` (likewise `ipset/`, `threatintelset/`), so every ARN
of the service begins with `detector`: tag calls pick the kind from the ARN's third segment.
Members, invitations, publishing destinations, malware scan and organization settings are
settings of the detector. Findings are not assets: archiving them or giving feedback on them
changes no asset.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.context import Call, Touch
from eventstream.normalize.naming import Kind, parse_arn
from eventstream.normalize.rules import Family, Handler, Rule, Target
from eventstream.normalize.targets import apply_rule, nested


def _detector_id(rest: str) -> str:
    """`<detector>` or `<detector>/filter/<name>` → `<detector>`."""
    return rest.split("/", 1)[0]


def _part_id(rest: str) -> str:
    """`<detector>/filter/<name>` → `<detector>/<name>`."""
    parts = rest.split("/")
    return f"{parts[0]}/{parts[2]}" if len(parts) >= 3 else ""


DETECTOR = Kind(
    type="AWS::GuardDuty::Detector",
    service="guardduty",
    slug="detector",
    arn_resource="detector",
    from_arn=_detector_id,
    arn_template="arn:aws:guardduty:{region}:{account}:detector/{id}",
)


def _part(cfn: str, slug: str) -> Kind:
    return Kind(
        type=f"AWS::GuardDuty::{cfn}",
        service="guardduty",
        slug=slug,
        arn_resource="detector",
        from_arn=_part_id,
    )


FILTER = _part("Filter", "filter")
IP_SET = _part("IPSet", "ip-set")
THREAT_INTEL_SET = _part("ThreatIntelSet", "threat-intel-set")

_DETECTOR = "request.detectorId"
_PARTS = {"filter": FILTER, "ipset": IP_SET, "threatintelset": THREAT_INTEL_SET}


def _in_detector(kind: Kind, child: str | tuple[str, ...]) -> Handler:
    return nested(kind, DETECTOR, _DETECTOR, child, relation="Is contained in Detector")


def _detector(*, action: Action | None = None) -> Target:
    return Target(DETECTOR, _DETECTOR, action=action)


def _tags(call: Call) -> list[Touch]:
    """Tags on a detector or one of its parts, told apart by the ARN's third segment."""
    arn = call.roots["request"].get("resourceArn")
    parsed = parse_arn(arn) if isinstance(arn, str) else None
    if parsed is None:
        return []
    segments = parsed.resource.split("/")
    kind = _PARTS.get(segments[2], DETECTOR) if len(segments) > 2 else DETECTOR
    return apply_rule(Target(kind, "request.resourceArn", action=Action.UPDATE), call)


_RULES: dict[str, Rule] = {
    # detectors and their settings
    "CreateDetector": Target(DETECTOR, "response.detectorId"),
    "UpdateDetector": _detector(),
    "DeleteDetector": _detector(),
    "UpdateMalwareScanSettings": _detector(),
    "UpdateOrganizationConfiguration": _detector(),
    "CreatePublishingDestination": _detector(action=Action.UPDATE),
    "UpdatePublishingDestination": _detector(),
    "DeletePublishingDestination": _detector(action=Action.UPDATE),
    "CreateMembers": _detector(action=Action.UPDATE),
    "DeleteMembers": _detector(action=Action.UPDATE),
    "InviteMembers": _detector(action=Action.UPDATE),
    "DisassociateMembers": _detector(),
    "StartMonitoringMembers": _detector(),
    "StopMonitoringMembers": _detector(),
    "UpdateMemberDetectors": _detector(),
    "AcceptInvitation": _detector(),
    "AcceptAdministratorInvitation": _detector(),
    "DisassociateFromMasterAccount": _detector(),
    "DisassociateFromAdministratorAccount": _detector(),
    # filters, IP sets, threat intelligence sets
    "CreateFilter": _in_detector(FILTER, ("response.name", "request.name")),
    "UpdateFilter": _in_detector(FILTER, "request.filterName"),
    "DeleteFilter": _in_detector(FILTER, "request.filterName"),
    "CreateIPSet": _in_detector(IP_SET, "response.ipSetId"),
    "UpdateIPSet": _in_detector(IP_SET, "request.ipSetId"),
    "DeleteIPSet": _in_detector(IP_SET, "request.ipSetId"),
    "CreateThreatIntelSet": _in_detector(THREAT_INTEL_SET, "response.threatIntelSetId"),
    "UpdateThreatIntelSet": _in_detector(THREAT_INTEL_SET, "request.threatIntelSetId"),
    "DeleteThreatIntelSet": _in_detector(THREAT_INTEL_SET, "request.threatIntelSetId"),
    "TagResource": _tags,
    "UntagResource": _tags,
}

FAMILY = Family(
    name="guardduty",
    sources=("guardduty.amazonaws.com",),
    kinds=(DETECTOR, FILTER, IP_SET, THREAT_INTEL_SET),
    rules=_RULES,
    ignore=frozenset(
        {"ArchiveFindings", "UnarchiveFindings", "UpdateFindingsFeedback", "CreateSampleFindings"}
    ),
)
