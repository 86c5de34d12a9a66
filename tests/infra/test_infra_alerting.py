"""Every alarm and rule reaches the alert topic, and the topic lets them publish."""

import json

from infra import policies

SECRET_SIG, SECRET_MARK = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


def topic_arn(stack):
    return stack.exports["alertTopicArn"]


def test_every_alarm_and_rule_reaches_the_topic(stack):
    assert stack.of(policies.METRIC_ALARM) and stack.of(policies.EVENT_RULE)
    assert policies.alarm_problems(stack.resources, topic_arn(stack)) == []


def test_lambda_errors_alarm_watches_the_function(stack):
    alarm = stack.one(policies.METRIC_ALARM, "unzip-errors")
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == ("AWS/Lambda", "Errors")
    assert alarm.inputs["dimensions"] == {"FunctionName": stack.exports["unzipLambdaName"]}
    assert alarm.inputs["alarmActions"] == [topic_arn(stack)]


def test_dlq_depth_alarm_watches_the_dead_letter_queue(stack):
    alarm = stack.one(policies.METRIC_ALARM, "dlq-depth")
    dlq = stack.one("aws:sqs/queue:Queue", "dlq")
    assert alarm.inputs["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm.inputs["dimensions"] == {"QueueName": dlq.outputs["name"]}
    assert alarm.inputs["threshold"] >= 1 and alarm.inputs["alarmActions"] == [topic_arn(stack)]


def test_glue_rule_matches_failed_timeout_error_of_the_job(stack):
    rule = stack.one(policies.EVENT_RULE, "glue")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["source"] == ["aws.glue"]
    assert pattern["detail"] == {"jobName": [stack.exports["glueJobName"]], "state": ["FAILED", "TIMEOUT", "ERROR"]}
    target = stack.one(policies.EVENT_TARGET)
    assert target.inputs["rule"] == rule.outputs["name"] and target.inputs["arn"] == topic_arn(stack)


def test_topic_policy_lets_eventbridge_and_cloudwatch_publish(stack):
    assert policies.topic_policy_problems(stack.resources, topic_arn(stack)) == []


def test_one_email_subscription_per_secret_address(stack):
    subscriptions = stack.of("aws:sns/topicSubscription:TopicSubscription")
    # Recorded as Pulumi secrets (the wire form): the addresses never reach state in plaintext.
    assert all(s.inputs["endpoint"].get(SECRET_SIG) == SECRET_MARK for s in subscriptions)
    assert sorted(s.inputs["endpoint"]["value"] for s in subscriptions) == ["data@example.org", "ops@example.org"]
    assert all(s.inputs["protocol"] == "email" and s.inputs["topic"] == topic_arn(stack) for s in subscriptions)
    assert not any("@" in s.name for s in subscriptions)  # resource names land in state unencrypted
