# Optional: the alert topic also posts to a Slack channel through AWS Chatbot (the issue's
# "optionally, a chat channel"). Off unless both Slack IDs are set. The workspace must be
# authorized once in the AWS Chatbot console first (docs/deploy.md); Terraform cannot do it.
#
# Least privilege: the channel role may only read this stack's alarms (what Chatbot needs
# to render an alarm notification), and the same policy is the channel's guardrail, so no
# channel member can reach more through the channel even with a broader role of their own
# (without a guardrail Chatbot applies AdministratorAccess). Commands from the channel
# need each user's own role (user_authorization_required).

locals {
  chatbot = var.slack_channel_id != "" && var.slack_team_id != ""
  # The alarms of this module, whatever their profile.
  alarm_arn_pattern = "arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:alarm:${var.name}-*"
}

data "aws_iam_policy_document" "chatbot_assume" {
  count = local.chatbot ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["chatbot.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_iam_policy_document" "chatbot_read_alarms" {
  count = local.chatbot ? 1 : 0

  statement {
    sid       = "ReadThisStacksAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = [local.alarm_arn_pattern]
  }
}

resource "aws_iam_role" "chatbot" {
  count = local.chatbot ? 1 : 0

  name               = "${var.name}-chatbot"
  description        = "AWS Chatbot: posts the ${var.name} alert topic to Slack; reads this stack's alarms only."
  assume_role_policy = data.aws_iam_policy_document.chatbot_assume[0].json
  tags               = var.tags
}

resource "aws_iam_policy" "chatbot_guardrail" {
  count = local.chatbot ? 1 : 0

  name        = "${var.name}-chatbot-guardrail"
  description = "The most the ${var.name} Slack channel may do: read this stack's alarms."
  policy      = data.aws_iam_policy_document.chatbot_read_alarms[0].json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "chatbot" {
  count = local.chatbot ? 1 : 0

  role       = aws_iam_role.chatbot[0].name
  policy_arn = aws_iam_policy.chatbot_guardrail[0].arn
}

resource "aws_chatbot_slack_channel_configuration" "this" {
  count = local.chatbot ? 1 : 0

  configuration_name          = "${var.name}-alerts"
  slack_team_id               = var.slack_team_id
  slack_channel_id            = var.slack_channel_id
  iam_role_arn                = aws_iam_role.chatbot[0].arn
  guardrail_policy_arns       = [aws_iam_policy.chatbot_guardrail[0].arn]
  sns_topic_arns              = [aws_sns_topic.this.arn]
  user_authorization_required = true
  logging_level               = "ERROR"
  tags                        = var.tags
}
