"""An EC2 instance created in moto, then changed twice, each change with its CloudTrail record
through the normalizer, the live stage and the journal: the first change is described, the
second carries the first's configuration as previous and a patch of exactly what changed."""

from __future__ import annotations

from redis.asyncio import Redis

from eventstream.enrich.live.describe import describers
from eventstream.journal.keys import Keys
from tests.aws.conftest import Moto
from tests.enrich.live.changes import committed, live_committer, ops, record
from tests.enrich.live.test_stage import _events


async def test_instance_tagged_then_resized(moto: Moto, aredis: Redis, keys: Keys) -> None:
    ec2 = moto.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    made = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    iid = made["Instances"][0]["InstanceId"]
    run = record(
        "ec2",
        "RunInstances",
        {
            "instancesSet": {"items": [{"imageId": image, "minCount": 1, "maxCount": 1}]},
            "instanceType": "t3.micro",
            "disableApiTermination": False,
        },
        {
            "requestId": "6920dcec-599d-43ff-8718-060e4ca65a2a",
            "reservationId": made["ReservationId"],
            "ownerId": made["OwnerId"],
            "groupSet": {},
            "instancesSet": {
                "items": [
                    {
                        "instanceId": iid,
                        "imageId": image,
                        "instanceType": "t3.micro",
                        "instanceState": {"code": 0, "name": "pending"},
                        "amiLaunchIndex": 0,
                    }
                ]
            },
        },
    )
    [event] = _events(run)
    assert event["data"]["asset"]["type"] in describers()
    assert event["data"]["asset"]["provider_id"] == iid

    async with live_committer(moto, aredis, keys) as live:
        created = await committed(live, aredis, keys, run)
        # RunInstances' record carries the instance in its response (`event`, camelCase):
        # described all the same, so that the next patch compares one shape with itself
        assert created["data"]["configuration_source"] == "describe"
        assert created["data"]["configuration"]["InstanceId"] == iid
        assert created["data"]["configuration"]["InstanceType"] == "t3.micro"
        ec2.create_tags(Resources=[iid], Tags=[{"Key": "Name", "Value": "web"}])
        tagged = await committed(
            live,
            aredis,
            keys,
            record(
                "ec2",
                "CreateTags",
                {
                    "resourcesSet": {"items": [{"resourceId": iid}]},
                    "tagSet": {"items": [{"key": "Name", "value": "web"}]},
                },
                {"requestId": "9fcb52c3-4775-4e20-9271-2572dc3de943", "_return": True},
                at=1,
            ),
        )
        data = tagged["data"]
        assert data["configuration_source"] == "describe"
        assert data["configuration"]["Tags"] == [{"Key": "Name", "Value": "web"}]
        assert data["previous_configuration"] == created["data"]["configuration"]
        assert ops(data["changes"]) == {("add", "/Tags")}
        ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t3.small"})
        resized = await committed(
            live,
            aredis,
            keys,
            record(
                "ec2",
                "ModifyInstanceAttribute",
                {"instanceId": iid, "instanceType": {"value": "t3.small"}},
                {"requestId": "6920dcec-599d-43ff-8718-060e4ca65a2b", "_return": True},
                at=2,
            ),
        )
    data = resized["data"]
    assert data["configuration"]["InstanceType"] == "t3.small"
    assert data["previous_configuration"] == tagged["data"]["configuration"]
    assert data["changes"] == [{"op": "replace", "path": "/InstanceType", "value": "t3.small"}]
