mock_provider "aws" {}

run "standard_has_rate_and_managed_rules" {
  command = plan

  assert {
    condition     = toset([for r in aws_wafv2_web_acl.this.rule : r.name]) == toset(["rate-limit-per-ip", "aws-common", "aws-known-bad-inputs"])
    error_message = "standard: rate rule plus the managed common and known-bad-inputs groups"
  }
}

run "lean_has_the_rate_rule_only" {
  command = plan

  variables {
    managed_rules = false
  }

  assert {
    condition     = [for r in aws_wafv2_web_acl.this.rule : r.name] == ["rate-limit-per-ip"]
    error_message = "lean: a rate-based rule only"
  }

  assert {
    condition     = alltrue([for r in aws_wafv2_web_acl.this.rule : length(r.statement[0].rate_based_statement) == 1])
    error_message = "the remaining rule is rate-based"
  }
}
