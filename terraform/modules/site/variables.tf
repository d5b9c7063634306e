variable "name" {
  description = "Name prefix <project>-<environment>."
  type        = string
  default     = "clickstream-prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Tags merged into every resource of this module."
  type        = map(string)
  default     = {}
}

variable "domain_names" {
  description = "Host names of the store served by CloudFront (e.g. [\"shop.example.com\"]). Empty serves only the *.cloudfront.net name."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for d in var.domain_names : can(regex("^[a-z0-9.-]+\\.[a-z]{2,}$", d))])
    error_message = "domain_names must be DNS names."
  }
}

variable "certificate_arn" {
  description = "ACM certificate in us-east-1 covering domain_names; required when domain_names is not empty."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:us-east-1:", var.certificate_arn))
    error_message = "certificate_arn must be empty or an ACM certificate ARN in us-east-1 (CloudFront only reads certificates from there)."
  }
}

variable "api_domain_name" {
  description = "Host of the ingest HTTP API's default endpoint (ingest.api_domain_name); CloudFront forwards /v1/* there so the SDK posts to the store's own domain."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+$", var.api_domain_name))
    error_message = "api_domain_name must be a bare host name, without scheme or path."
  }
}

variable "api_path_pattern" {
  description = "CloudFront path pattern routed to the ingest API (the SDK posts to /v1/events)."
  type        = string
  default     = "/v1/*"

  validation {
    condition     = startswith(var.api_path_pattern, "/")
    error_message = "api_path_pattern must start with /."
  }
}

variable "price_class" {
  description = "CloudFront price class: PriceClass_100 (North America, Europe) is cheapest; PriceClass_All serves every edge."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "content_security_policy" {
  description = "Content-Security-Policy header of every response. The SDK only talks to its own origin; add the Cognito endpoint to connect-src when the store signs shoppers in from the browser."
  type        = string
  default     = "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

  validation {
    condition     = length(var.content_security_policy) > 0 && !strcontains(var.content_security_policy, "\n")
    error_message = "content_security_policy must be a single non-empty line."
  }
}

variable "origin_verify_value" {
  description = "Secret CloudFront sends to the ingest API as the x-origin-verify header (secrets.origin_verify_value); the ingest reads the same value from SSM."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.origin_verify_value) >= 32 && can(regex("^[A-Za-z0-9]+$", var.origin_verify_value))
    error_message = "origin_verify_value must be at least 32 letters or digits."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete the non-empty site bucket."
  type        = bool
  default     = false
}
variable "web_acl_arn" {
  description = "ARN of the CLOUDFRONT-scope WAF web ACL in front of the distribution (edge_waf.wafv2_web_acl_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/", var.web_acl_arn))
    error_message = "web_acl_arn must be a global (CLOUDFRONT scope) WAFv2 web ACL ARN from us-east-1."
  }
}

variable "hsts_preload" {
  description = "Add the preload directive to Strict-Transport-Security. Only once every subdomain of the store's registrable domain serves HTTPS: browser preload lists are slow to leave."
  type        = bool
  default     = false
}
