"""Alerts: one SNS topic that every failure signal of the pipeline reaches.

Publishers: the EventBridge rule on Glue job FAILED/TIMEOUT/ERROR, the CloudWatch
alarms (Lambda errors, dead-letter queue depth), the unzip Lambda itself (a
quarantined zip), and Snowflake (pipe and task errors, through the notification
integration's IAM role in ``snowflake_access.py``). Subscribers: the e-mail
addresses in the secret ``alertEmails`` (each must confirm once).

The topic is not KMS-encrypted on purpose: alerts hold no pipeline data, and an
encrypted topic would need key grants for EventBridge, CloudWatch and Snowflake.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from infra.settings import Settings

#: Glue job states that page someone.
GLUE_FAILURE_STATES = ("FAILED", "TIMEOUT", "ERROR")


class AlertTopic(pulumi.ComponentResource):
    """The topic, its policy (who may publish) and the e-mail subscriptions."""

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("moviepipe:alerting:AlertTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(f"{name}-topic", name=f"{settings.prefix}-alerts", tags=settings.tags, opts=child)
        account = aws.get_caller_identity_output().account_id
        self.policy = aws.sns.TopicPolicy(f"{name}-policy", arn=self.topic.arn,
                                          policy=topic_policy(self.topic.arn, account), opts=child)
        self.subscriptions = [
            aws.sns.TopicSubscription(f"{name}-email-{index}", topic=self.topic.arn, protocol="email",
                                      endpoint=address, opts=child)
            for index, address in enumerate(settings.alert_emails)
        ]
        if not self.subscriptions:
            pulumi.log.warn("moviepipe:alertEmails is empty: alerts reach the topic but nobody is subscribed", self)
        self.arn = self.topic.arn
        self.register_outputs({"arn": self.arn})


def topic_policy(topic_arn: pulumi.Input[str], account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Owner account manages the topic; EventBridge and CloudWatch alarms may publish.

    Service publishes are pinned to this account (aws:SourceAccount) so another
    account's rule or alarm cannot use the topic (confused deputy).
    """
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnerManages",
                "Effect": "Allow",
                "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account_id, ":root")},
                "Action": ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
                           "sns:ListSubscriptionsByTopic", "sns:DeleteTopic"],
                "Resource": topic_arn,
            },
            {
                "Sid": "ServicesPublish",
                "Effect": "Allow",
                "Principal": {"Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ],
    })


class PipelineAlarms(pulumi.ComponentResource):
    """EventBridge rule for Glue failures and CloudWatch alarms, all into the topic."""

    def __init__(self, name: str, settings: Settings, topic_arn: pulumi.Input[str], *,
                 glue_job_name: pulumi.Input[str], lambda_name: pulumi.Input[str], dlq_name: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("moviepipe:alerting:PipelineAlarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.glue_rule = aws.cloudwatch.EventRule(
            f"{name}-glue-failed",
            description="Glue job of the moviepipe pipeline failed, timed out or errored",
            event_pattern=pulumi.Output.from_input(glue_job_name).apply(glue_failure_pattern),
            tags=settings.tags, opts=child)
        self.glue_target = aws.cloudwatch.EventTarget(
            f"{name}-glue-failed-to-sns", rule=self.glue_rule.name, arn=topic_arn, opts=child)

        def alarm(suffix: str, description: str, namespace: str, metric: str, statistic: str,
                  dimensions: dict[str, pulumi.Input[str]]) -> aws.cloudwatch.MetricAlarm:
            return aws.cloudwatch.MetricAlarm(
                f"{name}-{suffix}",
                name=f"{settings.prefix}-{suffix}",
                alarm_description=description,
                namespace=namespace, metric_name=metric, statistic=statistic, dimensions=dimensions,
                period=300, evaluation_periods=1, threshold=1, comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",  # no invocations is not a failure
                alarm_actions=[topic_arn], ok_actions=[topic_arn],
                tags=settings.tags, opts=child)

        self.lambda_errors = alarm("unzip-errors", "The unzip Lambda raised an error (see its log group)",
                                   "AWS/Lambda", "Errors", "Sum", {"FunctionName": lambda_name})
        self.dlq_depth = alarm("unzip-dlq-depth", "S3 events the unzip Lambda gave up on are waiting in the DLQ",
                               "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", {"QueueName": dlq_name})
        self.register_outputs({})


def glue_failure_pattern(job_name: str) -> str:
    return json.dumps({
        "source": ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        "detail": {"jobName": [job_name], "state": list(GLUE_FAILURE_STATES)},
    })
