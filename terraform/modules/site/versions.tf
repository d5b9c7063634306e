terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
      # CloudFront only accepts WAF web ACLs and ACM certificates from us-east-1.
      configuration_aliases = [aws.us_east_1]
    }
  }
}
