"""GuardDuty: a detector by id or ARN is one asset; filters and sets live in their detector and
keep one name by id, name or ARN; findings are not assets."""

from __future__ import annotations

import pytest

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from tests.normalize.resources.corpus_calls import only
from tests.normalize.resources.project_records import Family

RECORDS = Family("guardduty", template="DeleteDetector")
DETECTOR = "12abc34d567e8fa901bc2d34e56789f0"
DETECTOR_ARN = f"arn:aws:guardduty:us-east-1:111122223333:detector/{DETECTOR}"
IP_SET = "0cb0141ab9fbde177613ab9436212e90"


def test_detector_by_id_and_by_arn_share_a_subject(normalizer: Normalizer) -> None:
    """`CreateDetector` (response id) and `TagResource` (detector ARN) touch one detector."""
    created = only(normalizer, RECORDS.record("CreateDetector"))
    tagged = only(
        normalizer, RECORDS.call("TagResource", {"resourceArn": DETECTOR_ARN, "tags": {}})
    )
    assert created["subject"] == tagged["subject"]
    assert tagged["data"]["asset"]["type"] == "AWS::GuardDuty::Detector"


def test_ip_set_by_id_and_by_arn_share_a_subject(normalizer: Normalizer) -> None:
    """An IP set created, tagged by ARN and deleted by id is one asset inside its detector."""
    created = only(normalizer, RECORDS.record("CreateIPSet"))
    tagged = only(
        normalizer,
        RECORDS.call("TagResource", {"resourceArn": f"{DETECTOR_ARN}/ipset/{IP_SET}", "tags": {}}),
    )
    deleted = only(
        normalizer, RECORDS.call("DeleteIPSet", {"detectorId": DETECTOR, "ipSetId": IP_SET})
    )
    assert created["subject"] == tagged["subject"] == deleted["subject"]
    assert tagged["data"]["asset"]["type"] == "AWS::GuardDuty::IPSet"
    assert deleted["data"]["change"]["action"] == "delete"
    assert deleted["data"]["associations"][0]["name"].endswith(f"/guardduty/detector/{DETECTOR}")


def test_filter_by_name_and_by_arn_share_a_subject(normalizer: Normalizer) -> None:
    """A filter created by name and updated through its ARN's tags is one asset."""
    created = only(
        normalizer,
        RECORDS.call(
            "CreateFilter", {"detectorId": DETECTOR, "name": "low-noise"}, {"name": "low-noise"}
        ),
    )
    tagged = only(
        normalizer,
        RECORDS.call(
            "UntagResource", {"resourceArn": f"{DETECTOR_ARN}/filter/low-noise", "tagKeys": []}
        ),
    )
    assert created["subject"] == tagged["subject"]
    assert created["data"]["asset"]["type"] == "AWS::GuardDuty::Filter"
    assert created["data"]["change"]["action"] == "create"


def test_update_detector_is_an_update(normalizer: Normalizer) -> None:
    """`UpdateDetector` updates the detector it names."""
    event = only(
        normalizer, RECORDS.call("UpdateDetector", {"detectorId": DETECTOR, "enable": False})
    )
    assert event["data"]["change"]["action"] == "update"
    assert event["subject"].endswith(f"/guardduty/detector/{DETECTOR}")


@pytest.mark.parametrize("name", ["ArchiveFindings", "UpdateFindingsFeedback"])
def test_finding_calls_change_no_asset(normalizer: Normalizer, name: str) -> None:
    """Findings are not assets: archiving or rating them is non-asset, with no event."""
    result = normalizer.normalize(RECORDS.call(name, {"detectorId": DETECTOR, "findingIds": ["f"]}))
    assert result.outcome is Outcome.NON_ASSET
    assert list(result.events) == []
