# The dashboard in a browser without a load balancer: a CloudFront distribution whose
# only origin is a VPC origin pointing at the warehouse host's Nginx in its private
# subnet. The host has no public address and its security group admits CloudFront's
# origin-facing prefix list only (modules/network); every viewer request first runs the
# Lambda@Edge sign-in against the admin-only pool (lambdas/edge-auth,
# modules/edge_auth), so nothing reaches Shiny without an admin's valid ID token.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_cloudfront_cache_policy" "disabled" {
  name = "Managed-CachingDisabled"
}

# Shiny needs every cookie, query string and header it set (its session and the
# websocket upgrade), and Nginx routes on the viewer's Host.
data "aws_cloudfront_origin_request_policy" "all_viewer" {
  name = "Managed-AllViewer"
}

locals {
  origin_id     = "dashboard-host"
  custom_domain = var.certificate_arn != ""
  # EC2's IP-based private name (us-east-1 has its own suffix).
  private_dns_suffix = data.aws_region.current.name == "us-east-1" ? "ec2.internal" : "${data.aws_region.current.name}.compute.internal"
  origin_domain_name = "ip-${replace(var.instance_private_ip, ".", "-")}.${local.private_dns_suffix}"
  instance_arn       = "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:instance/${var.instance_id}"
}

resource "aws_cloudfront_vpc_origin" "this" {
  vpc_origin_endpoint_config {
    name                   = "${var.name}-dashboard"
    arn                    = local.instance_arn
    http_port              = var.origin_port
    https_port             = 443
    origin_protocol_policy = var.origin_protocol_policy

    origin_ssl_protocols {
      items    = ["TLSv1.2"]
      quantity = 1
    }
  }

  tags = var.tags
}

resource "aws_cloudfront_response_headers_policy" "this" {
  #checkov:skip=CKV_AWS_259:HSTS is one year; preload is the domain owner's decision, as on the store distribution.
  name    = "${var.name}-dashboard-headers"
  comment = "Security headers on every dashboard response."

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = false
      preload                    = false
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "SAMEORIGIN"
      override     = true
    }
    referrer_policy {
      referrer_policy = "same-origin"
      override        = true
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_310:One origin, the single warehouse host; there is no second origin to fail over to.
  #checkov:skip=CKV_AWS_374:Admins travel; the sign-in at the edge is the restriction.
  #checkov:skip=CKV2_AWS_47:The attached web ACL (modules/edge_waf) is the store's; its managed rules are on in the standard profile, and checkov cannot follow the ARN.
  #checkov:skip=CKV_AWS_174:TLS 1.2_2021 is set whenever a custom certificate is used; the *.cloudfront.net default certificate cannot carry a minimum protocol version.
  #checkov:skip=CKV_AWS_86:No standard logs: they record viewer IPs, which the platform never stores (docs/deploy.md, "Edge logs").
  #checkov:skip=CKV2_AWS_32:The response headers policy above is attached to the default behaviour; checkov does not follow the reference.
  #checkov:skip=CKV_AWS_305:No default root object: Shiny answers / itself, and every path goes to the one origin.
  #checkov:skip=CKV2_AWS_42:A custom certificate is used as soon as certificate_arn is set; until then the *.cloudfront.net name serves.
  enabled         = true
  comment         = "${var.name} dashboard (admins only, VPC origin)"
  http_version    = "http2"
  is_ipv6_enabled = true
  price_class     = var.price_class
  aliases         = local.custom_domain ? [var.domain_name] : []
  web_acl_id      = var.web_acl_arn

  origin {
    origin_id   = local.origin_id
    domain_name = local.origin_domain_name

    vpc_origin_config {
      vpc_origin_id            = aws_cloudfront_vpc_origin.this.id
      origin_keepalive_timeout = 60
      # Shiny's long polls and slow first renders.
      origin_read_timeout = 60
    }
  }

  default_cache_behavior {
    target_origin_id           = local.origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.disabled.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.this.id

    lambda_function_association {
      event_type   = "viewer-request"
      lambda_arn   = var.edge_auth_lambda_qualified_arn
      include_body = false
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = !local.custom_domain
    acm_certificate_arn            = local.custom_domain ? var.certificate_arn : null
    ssl_support_method             = local.custom_domain ? "sni-only" : null
    minimum_protocol_version       = local.custom_domain ? "TLSv1.2_2021" : "TLSv1"
  }

  tags = var.tags
}

resource "aws_route53_record" "this" {
  for_each = var.route53_zone_id != "" && local.custom_domain ? toset(["A", "AAAA"]) : toset([])

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = each.key

  alias {
    name                   = aws_cloudfront_distribution.this.domain_name
    zone_id                = aws_cloudfront_distribution.this.hosted_zone_id
    evaluate_target_health = false
  }
}
