"""SNS topic and SQS queue describe calls against moto: their attributes, with the JSON
documents among them (policies, redrive) parsed."""

from __future__ import annotations

import uuid

from eventstream import codec
from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.describe import describer
from eventstream.enrich.live.outcome import Found, Target
from tests.aws.conftest import REGION, Moto

ACCOUNT = "123456789012"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


async def test_topic_and_queue_attributes_with_documents_parsed(moto: Moto) -> None:
    tag = uuid.uuid4().hex[:6]
    topic_arn = moto.client("sns").create_topic(Name=f"topic-{tag}")["TopicArn"]
    sqs = moto.client("sqs")
    dead = sqs.create_queue(QueueName=f"dead-{tag}")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dead_arn, "maxReceiveCount": "3"}
    sqs.create_queue(
        QueueName=f"queue-{tag}",
        Attributes={
            "Policy": codec.dumps(POLICY).decode(),
            "RedrivePolicy": codec.dumps(redrive).decode(),
        },
    )
    clients = DefaultClients(moto.endpoint)
    fetcher = describer()
    try:
        topic = Target("AWS::SNS::Topic", topic_arn, topic_arn, ACCOUNT, REGION)
        got = await fetcher.fetch(topic, clients)
        assert isinstance(got, Found), got
        assert got.configuration["TopicArn"] == topic_arn
        assert isinstance(got.configuration["Policy"], dict)  # moto's default topic policy

        queue = Target("AWS::SQS::Queue", f"queue-{tag}", None, ACCOUNT, REGION)
        got = await fetcher.fetch(queue, clients)
        assert isinstance(got, Found), got
        assert got.configuration["Policy"]["Statement"] == POLICY["Statement"]
        assert got.configuration["RedrivePolicy"]["deadLetterTargetArn"] == dead_arn
    finally:
        await clients.close()
