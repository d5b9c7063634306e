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

variable "domain_name" {
  description = "Host name of the dashboard (e.g. analytics.example.com), its own name beside the store's."
  type        = string
  default     = "analytics.example.com"

  validation {
    condition     = can(regex("^[a-z0-9.-]+\\.[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a DNS name without scheme."
  }
}

variable "certificate_arn" {
  description = "ACM certificate in us-east-1 for domain_name. Empty: the distribution answers only on its *.cloudfront.net name, where the admin sign-in cannot complete (its callback is https://<domain_name>)."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:us-east-1:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate in us-east-1 (CloudFront reads certificates only there)."
  }
}

variable "route53_zone_id" {
  description = "Public Route 53 zone of domain_name; set, it gets A/AAAA aliases to the distribution. Empty leaves DNS to you."
  type        = string
  default     = ""
}

variable "instance_id" {
  description = "Warehouse instance that serves Nginx/Shiny (the VPC origin's endpoint)."
  type        = string

  validation {
    condition     = can(regex("^i-[0-9a-f]{8,17}$", var.instance_id))
    error_message = "instance_id must be an EC2 instance id."
  }
}

variable "instance_private_ip" {
  description = "Private IPv4 address of that instance; the origin's domain name is the IP-based private DNS name EC2 gives it."
  type        = string

  validation {
    condition     = can(cidrhost("${var.instance_private_ip}/32", 0))
    error_message = "instance_private_ip must be an IPv4 address."
  }
}

variable "origin_port" {
  description = "Port Nginx listens on for the VPC origin (network.dashboard_port)."
  type        = number
  default     = 80

  validation {
    condition     = var.origin_port > 0 && var.origin_port < 65536 && var.origin_port != 22 && var.origin_port != 5432
    error_message = "origin_port must be a TCP port other than 22 and 5432."
  }
}

variable "origin_protocol_policy" {
  description = "http-only: CloudFront to Nginx inside the VPC over the VPC origin's private path (TLS ends at the edge). https-only needs a certificate on the host valid for its private DNS name."
  type        = string
  default     = "http-only"

  validation {
    condition     = contains(["http-only", "https-only"], var.origin_protocol_policy)
    error_message = "origin_protocol_policy must be http-only or https-only."
  }
}

variable "edge_auth_lambda_qualified_arn" {
  description = "Published version ARN of the Lambda@Edge sign-in (modules/edge_auth, us-east-1)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:us-east-1:[0-9]{12}:function:[A-Za-z0-9_-]+:[0-9]+$", var.edge_auth_lambda_qualified_arn))
    error_message = "edge_auth_lambda_qualified_arn must be a numbered version of a us-east-1 function (Lambda@Edge refuses $LATEST and aliases)."
  }
}

variable "web_acl_arn" {
  description = "CloudFront-scope WAF web ACL (modules/edge_waf); null attaches none."
  type        = string
  default     = null
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}
