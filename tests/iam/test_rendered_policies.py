"""The policies ``infra/`` renders, enforced by moto on the code's real calls, and nothing more.

One module-scoped world (``world.py``): the stack is rendered under Pulumi mocks, every role
becomes a moto principal holding exactly its rendered documents, moto enforces IAM
(``moto_strict``), and a good batch, a bad zip, redeliveries, a Lambda failure, two Glue runs
on real PySpark with ``s3://`` paths, alerts, state and Snowflake's reads all run. Then every
action of every statement is removed in turn and the role's recorded calls are sent again to
moto: at least one must be denied, or the policy grants something no call needs.
"""

from __future__ import annotations

import json
import shutil

import pytest

import moto_strict
import principals
import world as world_module
from principals import replay, set_policies, statement_actions, unique, without_action

pytestmark = [pytest.mark.integration, pytest.mark.spark]

RENDERED = principals.rendered_stack()
CASES = [(role, index, sid, action) for role, documents in RENDERED.policies.items()
         for index, sid, action in statement_actions(documents)]


@pytest.fixture(scope="module")
def aws_credentials():
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"AWS_ACCESS_KEY_ID": "bootstrap", "AWS_SECRET_ACCESS_KEY": "bootstrap",
                            "AWS_DEFAULT_REGION": principals.REGION}.items():
            patch.setenv(name, value)
        for name in ("AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_PROFILE", "MOVIEPIPE_RUNTIME"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="module")
def glue_run(tmp_path_factory):
    """glue/movies_job.py once, on PySpark, over ``s3://`` (the recording file system)."""
    if shutil.which("java") is None or shutil.which("javac") is None:
        pytest.skip("needs a JDK 17 (java and javac) for PySpark and the recording s3:// file system")
    import zip_corpus

    work = tmp_path_factory.mktemp("glue")
    jar = world_module.hadoop_replay.build_jar(work)
    zip_path, _ = zip_corpus.valid_zip(work / "zip")
    root = work / "s3"
    exports = RENDERED.exports
    batch_id = world_module.extract_batch(zip_path, root, exports["processedBucket"])
    (root / exports["archiveBucket"]).mkdir(parents=True)
    from moviepipe.runtime.cloud.aws import glue_arguments

    arguments = {**RENDERED.glue_job["defaultArguments"],
                 **glue_arguments(batch_id, f"s3://{exports['processedBucket']}/movies/batch_id={batch_id}/movies.csv",
                                  f"s3://{exports['archiveBucket']}")}
    argv = [item for pair in arguments.items() for item in pair]
    return world_module.hadoop_replay.run_glue_job(jar, root, argv), zip_path, batch_id


@pytest.fixture(scope="module")
def world(aws_credentials, glue_run, tmp_path_factory):
    from moto import mock_aws
    from moto.moto_api import state_manager

    run, zip_path, batch_id = glue_run
    work = tmp_path_factory.mktemp("world")
    with mock_aws():
        built = world_module.make_world(RENDERED, run, work)
        with moto_strict.strict_iam() as decisions:
            built.build()
            built.decisions = decisions
            built.outcomes = run_scenario(built, zip_path, batch_id, work)
            yield built
        state_manager.unset_transition("glue::job_run")


def run_scenario(world, zip_path, batch_id, work) -> dict:
    """Everything a deployment does with AWS for one good batch and one bad zip, holding the source's lease."""
    from flows import locks

    rt = world.runtime(work / "home")
    lock = locks.lock_for(world_module.SOURCE_KEY, rt)  # the run's lease in the state bucket
    with lock.hold("movies", wait_seconds=0):
        lock.renew(lock.read()[0])
        out = carry_batches(world, rt, zip_path, batch_id, work)
    out["unlock"] = lock.unlock()
    return out


def carry_batches(world, rt, zip_path, batch_id, work) -> dict:
    """Land, unzip, transform, alert and commit state: the cloud runtime's own calls."""
    import pyarrow as pa
    import zip_corpus

    out = {"batch_id": batch_id, "watermark_before": rt.watermarks.get(world_module.SOURCE_KEY)}

    good_key = f"incoming/sqlite/{batch_id}.zip"
    rt.land(zip_path, good_key)
    out["good"] = rt.unzip(good_key)
    out["transform"] = rt.transform(batch_id, f"movies/batch_id={batch_id}/movies.csv")

    bad_zip, out["bad_reason"], _ = zip_corpus.build("checksum_mismatch", work / "bad")
    bad_key = "incoming/sqlite/bad one.zip"
    rt.land(bad_zip, bad_key)
    out["bad"] = rt.unzip(bad_key)

    # At-least-once delivery: both events again (a duplicate; a zip no longer in landing).
    for event in list(world.events):
        if event.get("Records"):
            world.invoke_lambda(event)

    # A zip that does not fit the function's disk: the handler raises, Lambda dead-letters the event.
    roomy, _ = zip_corpus.valid_zip(work / "roomy", batch_id="b20261018T101112-corpus0002")
    world.client("s3").upload_file(str(roomy), world.buckets["landing"], "incoming/sqlite/roomy.zip")
    sqs = world.client("sqs")
    message = sqs.receive_message(QueueUrl=world.lambda_queue, MaxNumberOfMessages=1)["Messages"][0]
    world.invoke_lambda(json.loads(message["Body"]), env={"MOVIEPIPE_MIN_FREE_BYTES": str(1 << 60)})
    sqs.delete_message(QueueUrl=world.lambda_queue, ReceiptHandle=message["ReceiptHandle"])

    # The job wrote no result file this time: the runtime counts its CSVs.
    world.client("s3").delete_object(Bucket=world.buckets["archive"],
                                     Key=f"_results/movies/batch_id={batch_id}/result.json")
    world.skip_results = True
    out["recount"] = rt.transform(batch_id, f"movies/batch_id={batch_id}/movies.csv")

    rt.alert("moviepipe: test alert", {"batch_id": batch_id, "stage": "test"})
    rt.watermarks.advance(world_module.SOURCE_KEY, "2026-10-18T10:11:12", batch_id)
    out["watermark_after"] = rt.watermarks.get(world_module.SOURCE_KEY)
    for snapshot in ("b20261017T000000-earlier", batch_id):  # two commits; the first is pruned
        rt.snapshots.commit(world_module.SOURCE_KEY, keys=pa.table({"sourceId": ["9001", "5"]}),
                            column_types={"Title": "TEXT"}, snapshot=snapshot)
    rt.snapshots.prune(world_module.SOURCE_KEY, keep=batch_id)
    out["snapshot"] = (rt.snapshots.keys(world_module.SOURCE_KEY, snapshot=batch_id).num_rows,
                       rt.snapshots.column_types(world_module.SOURCE_KEY, snapshot=batch_id),
                       rt.snapshots.latest(world_module.SOURCE_KEY))

    out["snowflake_files"] = world.snowflake_loads([f"{p.stage_path.strip('/')}/" for p in rt.snowflake.pipes])
    world.snowflake_error()
    return out


def denials(world) -> list:
    return [d for d in world.decisions if not d.allowed]


# ------------------------------------------------------------------------- every call allowed
def test_every_call_of_every_role_is_allowed_by_its_rendered_policy(world):
    assert denials(world) == [], "\n".join(f"{d.principal} {d.action} {d.resource}" for d in denials(world))
    assert world.lambda_failures and all("bytes are free" in f for f in world.lambda_failures), \
        world.lambda_failures  # only the zip that did not fit; never an AccessDenied
    roles_that_called = {role for role, p in world.principals.items() if p.calls}
    assert roles_that_called == set(principals.ROLES.values())


def test_good_batch_is_published_and_transformed_into_every_entity(world):
    out = world.outcomes
    assert out["good"].status == "processed"
    batch_id = out["good"].batch_id
    processed = world.keys(world.buckets["processed"])
    assert f"movies/batch_id={batch_id}/_SUCCESS" in processed
    archive = world.keys(world.buckets["archive"])
    from moviepipe.contract import archive as contract

    for entity in contract.ENTITIES:
        assert f"{entity}/batch_id={batch_id}/{entity}.csv" in archive
    assert not [k for k in archive if k.startswith("_staging/") and not k.endswith("/")], "staging emptied"
    assert out["transform"]["result_source"] == "job" and out["transform"]["rows_in"] == 3
    assert out["recount"]["result_source"] == "counted"
    assert out["recount"]["rows_out"] == out["transform"]["rows_out"]
    assert out["snowflake_files"] == len(contract.ENTITIES)


def test_bad_zip_is_quarantined_redeliveries_are_safe_and_a_failure_dead_letters(world):
    out = world.outcomes
    assert (out["bad"].status, out["bad"].reason) == ("quarantined", out["bad_reason"])
    landing = world.keys(world.buckets["landing"])
    assert "quarantine/sqlite/bad one.zip.reason.json" in landing and "incoming/sqlite/bad one.zip" not in landing
    dlq = world.client("sqs").receive_message(QueueUrl=world.dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(dlq) == 1 and "roomy.zip" in dlq[0]["Body"]


def test_state_and_alerts_go_through_the_flow_runs_role(world):
    out = world.outcomes
    assert out["watermark_before"] is None and out["watermark_after"] == "2026-10-18T10:11:12"
    assert out["snapshot"] == (2, {"Title": "TEXT"}, out["batch_id"])  # the earlier snapshot was pruned
    assert "is free" in out["unlock"] and "released" in out["unlock"]  # the lease was taken, renewed, released
    from moto.sns.models import sns_backends

    sent = sns_backends["123456789012"][principals.REGION].topics[world.topic_arn].sent_notifications
    subjects = [subject for _id, _message, subject, *_ in sent]
    assert any("quarantined" in s for s in subjects)  # the Lambda
    assert "moviepipe: test alert" in subjects  # the flow runs
    assert "Snowpipe error" in subjects  # Snowflake


def test_glue_job_session_takes_its_settings_from_the_rendered_arguments(world):
    settings = world.glue_run.settings
    assert settings["spark.sql.shuffle.partitions"] == RENDERED.glue_job["defaultArguments"]["--shuffle_partitions"]
    assert settings["spark.sql.session.timeZone"] == "UTC"
    assert settings["spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs"] == "false"


# ------------------------------------------------------------------------- nothing broader
@pytest.mark.parametrize("role", sorted(principals.ROLES.values()))
def test_replaying_a_roles_recorded_calls_under_its_full_policy_is_allowed(world, role):
    principal = world.principals[role]
    assert replay(principal, unique(principal.calls)) == []


@pytest.mark.parametrize("role,index,sid,action", CASES, ids=[f"{r}-{s}-{a}" for r, _i, s, a in CASES])
def test_removing_any_action_from_a_rendered_policy_denies_a_recorded_call(world, role, index, sid, action):
    principal = world.principals[role]
    iam = world.client("iam")
    set_policies(iam, principal.user, without_action(RENDERED.policies[role], index, sid, action))
    try:
        denied = replay(principal, unique(principal.calls), stop_at_denial=True)
    finally:
        set_policies(iam, principal.user, RENDERED.policies[role])
    assert denied, (f"{role}: statement {sid} grants {action}, but none of the role's "
                    f"{len(unique(principal.calls))} distinct calls needs it")
    call, _message = denied[0]
    decision = next(d for d in reversed(moto_strict.DECISIONS) if not d.allowed)
    print(f"\n{role} without {sid}:{action} -> {call.service}.{call.operation} denied ({decision.action} on "
          f"{decision.resource})" + (f" [modeled: {call.modeled}]" if call.modeled else ""))
