"""DynamoDB: tables.

A table is named by its name or by its ARN `table/<name>`; ARNs of a table's parts (`table/<name>/
stream/<label>`, `.../index/<name>`, `.../backup/<id>`, `.../export/<id>`) name the table too, so a
resource policy on a stream or a deleted backup is an update of its table. Backups, streams,
TTL, point-in-time recovery and Kinesis destinations are settings of the table. Items are data:
`PutItem`, `UpdateItem`, `DeleteItem`, batches, transactions and PartiQL statements change no
asset, nor does an export to S3.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.rules import Assoc, Family, Rule, Target


def _table_name(rest: str) -> str:
    """`orders/stream/2024-01-01T00:00:00.000` → `orders`."""
    return rest.split("/", 1)[0]


TABLE = Kind(
    type="AWS::DynamoDB::Table",
    service="dynamodb",
    slug="table",
    arn_resource="table",
    from_arn=_table_name,
    arn_template="arn:aws:dynamodb:{region}:{account}:table/{id}",
)

_NAME = "request.tableName"
_DESCRIBED = "response.tableDescription"
_ENCRYPTED = (Assoc("Is encrypted with Key", None, f"{_DESCRIBED}.sSEDescription.kMSMasterKeyArn"),)


def _update(path: str | tuple[str, ...] = _NAME) -> Target:
    return Target(TABLE, path, action=Action.UPDATE)


_RULES: dict[str, Rule] = {
    "CreateTable": Target(
        TABLE,
        (f"{_DESCRIBED}.tableArn", f"{_DESCRIBED}.tableName", _NAME),
        config=_DESCRIBED,
        assoc=_ENCRYPTED,
    ),
    "UpdateTable": Target(TABLE, _NAME, config=_DESCRIBED),
    "DeleteTable": Target(TABLE, _NAME),
    "RestoreTableFromBackup": Target(
        TABLE, "request.targetTableName", action=Action.CREATE, config=_DESCRIBED
    ),
    "RestoreTableToPointInTime": Target(
        TABLE, "request.targetTableName", action=Action.CREATE, config=_DESCRIBED
    ),
    "ImportTable": Target(
        TABLE,
        (
            "response.importTableDescription.tableArn",
            "request.tableCreationParameters.tableName",
        ),
        action=Action.CREATE,
    ),
    "UpdateTimeToLive": _update(),
    "UpdateContinuousBackups": _update(),
    "UpdateContributorInsights": _update(),
    "UpdateTableReplicaAutoScaling": _update(),
    "EnableKinesisStreamingDestination": _update(),
    "DisableKinesisStreamingDestination": _update(),
    "UpdateKinesisStreamingDestination": _update(),
    "CreateBackup": _update(),
    "DeleteBackup": _update("request.backupArn"),
    "CreateGlobalTable": _update("request.globalTableName"),
    "UpdateGlobalTable": _update("request.globalTableName"),
    "UpdateGlobalTableSettings": _update("request.globalTableName"),
    "PutResourcePolicy": _update("request.resourceArn"),
    "DeleteResourcePolicy": _update("request.resourceArn"),
    "TagResource": _update("request.resourceArn"),
    "UntagResource": _update("request.resourceArn"),
}

FAMILY = Family(
    name="dynamodb",
    sources=("dynamodb.amazonaws.com",),
    kinds=(TABLE,),
    rules=_RULES,
    ignore=frozenset(
        {
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "GetItem",
            "BatchWriteItem",
            "BatchGetItem",
            "TransactWriteItems",
            "TransactGetItems",
            "ExecuteStatement",
            "BatchExecuteStatement",
            "ExecuteTransaction",
            "ExportTableToPointInTime",
        }
    ),
)
