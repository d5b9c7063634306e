terraform {
  # 1.11 is the first release with write-only arguments (value_wo), which keep
  # generated secrets out of state (modules/secrets).
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
      # CloudFront reads WAF web ACLs and certificates from us-east-1 only: the
      # caller passes a provider for that region as aws.us_east_1 (modules/edge_waf).
      configuration_aliases = [aws.us_east_1]
    }
  }
}
