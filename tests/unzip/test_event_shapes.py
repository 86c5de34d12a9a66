"""Every event shape a deployment can deliver to the unzip Lambda, built like AWS's documented samples.

Shapes: S3 -> Lambda; S3 -> SQS -> Lambda; S3 -> SNS -> Lambda; S3 -> SNS -> SQS -> Lambda (enveloped
and raw delivery); EventBridge ``Object Created`` (direct and through SQS); ``s3:TestEvent`` in each.
Each is processed, ignored on purpose (a test event) or rejected with a logged, alerted reason.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from urllib.parse import quote_plus

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zip_corpus  # noqa: E402
from moviepipe.objectstore import LocalObjectStore  # noqa: E402
from moviepipe.runtime.local import load_unzip_handler  # noqa: E402

handler = load_unzip_handler()
REGION, ACCOUNT = "eu-west-1", "123456789012"
KEY = "incoming/sqlite/batch one+two.zip"


# ---------------------------------------------------------------------------- samples (AWS documentation shapes)
def s3_record(bucket: str, key: str, event_name: str = "ObjectCreated:Put") -> dict:
    """A record of the S3 event message structure (event version 2.1), key URL-encoded as S3 sends it."""
    return {
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
        "eventTime": "2026-10-18T10:11:12.000Z", "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "unzip-trigger",
               "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                          "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": quote_plus(key, safe="/"), "size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                          "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko", "sequencer": "0055AED6DCD90281E5"}},
    }


def s3_event(bucket: str, key: str, event_name: str = "ObjectCreated:Put") -> dict:
    return {"Records": [s3_record(bucket, key, event_name)]}


def s3_test_event(bucket: str) -> dict:
    return {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-10-18T10:11:12.000Z", "Bucket": bucket,
            "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}


def sqs_event(*bodies: dict) -> dict:
    """The SQS -> Lambda event: each message's body is the JSON text of what was sent."""
    return {"Records": [{
        "messageId": f"059f36b4-87a3-44ab-83d2-66197490{i:04d}", "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
                       "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
        "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3", "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:landing-events", "awsRegion": REGION,
    } for i, body in enumerate(bodies)]}


def sns_envelope(message: dict) -> dict:
    """An SNS notification as SNS delivers it to SQS without raw message delivery."""
    return {"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:landing-events", "Subject": "Amazon S3 Notification",
            "Message": json.dumps(message), "Timestamp": "2026-10-18T10:11:12.345Z", "SignatureVersion": "1",
            "Signature": "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
            "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
            "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x"}


def sns_event(message: dict) -> dict:
    """The SNS -> Lambda event."""
    envelope = sns_envelope(message)
    return {"Records": [{
        "EventVersion": "1.0", "EventSubscriptionArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:landing-events:2bcfbf39",
        "EventSource": "aws:sns",
        "Sns": {**{k: v for k, v in envelope.items() if k not in ("SigningCertURL", "UnsubscribeURL")},
                "SigningCertUrl": envelope["SigningCertURL"], "UnsubscribeUrl": envelope["UnsubscribeURL"],
                "MessageAttributes": {}},
    }]}


def eventbridge_event(bucket: str, key: str, detail_type: str = "Object Created", reason: str = "PutObject") -> dict:
    """S3's EventBridge event message structure (keys as S3 sends them to EventBridge)."""
    return {"version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": detail_type,
            "source": "aws.s3", "account": ACCOUNT, "time": "2026-10-18T10:11:12Z", "region": REGION,
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": {"version": "0", "bucket": {"name": bucket},
                       "object": {"key": key, "size": 1024, "etag": "b1946ac92492d2347c6235b4d2611184",
                                  "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", "sequencer": "617f08299329d189"},
                       "request-id": "N4N7GDK58NMKJ12R", "requester": ACCOUNT, "source-ip-address": "1.2.3.4",
                       "reason": reason}}


# ---------------------------------------------------------------------------- harness
@pytest.fixture
def deliver(tmp_path):
    landing = LocalObjectStore(tmp_path / "landing", "landing")
    processed = LocalObjectStore(tmp_path / "processed", "processed")
    zip_path, manifest = zip_corpus.valid_zip(tmp_path / "zip")
    landing.upload(zip_path, KEY)
    alerts: list[tuple[str, dict]] = []

    def run(event):
        results = handler.handle_event(event, store_for=lambda name: landing, processed=processed,
                                       alert=lambda subject, detail: alerts.append((subject, detail)))
        return results, alerts

    run.manifest = manifest
    return run


CREATED = {
    "s3 -> lambda": s3_event("landing", KEY),
    "s3 -> sqs -> lambda": sqs_event(s3_event("landing", KEY)),
    "s3 -> sns -> lambda": sns_event(s3_event("landing", KEY)),
    "s3 -> sns -> sqs -> lambda": sqs_event(sns_envelope(s3_event("landing", KEY))),
    "s3 -> sns -> sqs (raw delivery) -> lambda": sqs_event(s3_event("landing", KEY)),
    "eventbridge -> lambda": eventbridge_event("landing", KEY),
    "eventbridge -> sqs -> lambda": sqs_event(eventbridge_event("landing", KEY)),
}


@pytest.mark.parametrize("shape", sorted(CREATED))
def test_every_delivered_shape_of_an_object_created_event_unpacks_the_zip(deliver, shape):
    (result,), alerts = deliver(CREATED[shape])
    assert result.status == "processed" and result.key == KEY, result.message
    assert result.batch_id == deliver.manifest["batch_id"] and not alerts


@pytest.mark.parametrize("wrap", [lambda e: e, sqs_event, sns_event, lambda e: sqs_event(sns_envelope(e))],
                         ids=["direct", "sqs", "sns", "sns-in-sqs"])
def test_s3_test_event_is_logged_and_ignored_on_purpose(deliver, wrap, caplog):
    caplog.set_level(logging.INFO, logger="moviepipe.unzip")
    (result,), alerts = deliver(wrap(s3_test_event("landing")))
    assert (result.status, alerts) == ("test_event", [])
    assert "s3:TestEvent for bucket landing" in caplog.text


REJECTED = {
    "ObjectRemoved:Delete": (s3_event("landing", KEY, "ObjectRemoved:Delete"), "object_removed"),
    "ObjectRemoved in sqs": (sqs_event(s3_event("landing", KEY, "ObjectRemoved:DeleteMarkerCreated")),
                             "object_removed"),
    "eventbridge Object Deleted": (eventbridge_event("landing", KEY, "Object Deleted", "DeleteObject"),
                                   "object_removed"),
    "ObjectRestore:Completed": (s3_event("landing", KEY, "ObjectRestore:Completed"), "unexpected_event"),
    "key outside incoming/": (s3_event("landing", "quarantine/x.zip"), "not_incoming_zip"),
    "not a zip": (s3_event("landing", "incoming/readme.txt"), "not_incoming_zip"),
    "dynamodb record": ({"Records": [{"eventSource": "aws:dynamodb", "eventName": "INSERT"}]}, "unrecognised_event"),
    "sqs body not json": ({"Records": [{"eventSource": "aws:sqs", "body": "hello"}]}, "unrecognised_event"),
    "empty event": ({}, "unrecognised_event"),
    "scheduled event": ({"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}},
                        "unrecognised_event"),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_anything_else_is_a_logged_alerted_rejection(deliver, case, caplog):
    event, reason = REJECTED[case]
    (result,), alerts = deliver(event)
    assert (result.status, result.reason) == ("rejected", reason), result.message
    assert reason in handler.EVENT_REJECTIONS
    assert len(alerts) == 1 and reason in alerts[0][0] and alerts[0][1]["message"] == result.message
    assert f"event rejected ({reason})" in caplog.text


def test_an_object_removed_event_never_unpacks_the_existing_zip(deliver, tmp_path):
    deliver(s3_event("landing", KEY, "ObjectRemoved:Delete"))
    assert LocalObjectStore(tmp_path / "processed", "processed").list() == []


def test_one_bad_record_does_not_hide_the_good_ones(deliver):
    event = sqs_event(s3_event("landing", KEY), {"unexpected": True}, s3_test_event("landing"))
    results, alerts = deliver(event)
    assert [r.status for r in results] == ["processed", "rejected", "test_event"]
    assert [a[0] for a in alerts] == ["moviepipe: unzip event rejected (unrecognised_event)"]
