locals {
  s3_origin_id  = "site"
  api_origin_id = "ingest-api"
  # The header name the ingest checks (clickstream.contract.layout.ORIGIN_VERIFY_HEADER).
  origin_verify_header = "x-origin-verify"
  custom_domain        = length(var.domain_names) > 0
}

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_cache_policy" "disabled" {
  name = "Managed-CachingDisabled"
}

# API Gateway routes on its own Host header, so forward everything the viewer sent
# except Host; this AWS-managed policy also adds CloudFront-Viewer-Country, which the
# ingest uses for geo.country.
data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  name = "Managed-AllViewerExceptHostHeader"
}

resource "aws_cloudfront_origin_access_control" "this" {
  name                              = "${var.name}-site"
  description                       = "CloudFront reads the private site bucket with SigV4."
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "security" {
  #checkov:skip=CKV_AWS_259:HSTS is one year with subdomains; preload commits the whole registrable domain to browser lists, so it is the store owner's choice (hsts_preload).
  name    = "${var.name}-security-headers"
  comment = "Security headers on every store and API response."

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = var.hsts_preload
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
    xss_protection {
      protection = true
      mode_block = true
      override   = true
    }
    content_security_policy {
      content_security_policy = var.content_security_policy
      override                = true
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_310:One S3 origin in one region; an origin group needs a replicated second bucket, which the site does not justify.
  #checkov:skip=CKV_AWS_374:The store sells wherever it ships; geo restriction is a business decision, not a default.
  #checkov:skip=CKV2_AWS_47:The attached web ACL (modules/edge_waf) includes AWSManagedRulesKnownBadInputsRuleSet, the Log4j rules; checkov cannot follow the ARN across modules.
  #checkov:skip=CKV_AWS_174:TLS 1.2_2021 is set whenever a custom certificate is used; the *.cloudfront.net default certificate (no domain yet) cannot carry a minimum protocol version.
  #checkov:skip=CKV_AWS_86:Standard logs cannot leave out fields: every line holds the viewer's IP address and the full query string (search terms). The platform stores no raw IPs; CloudFront and WAF metrics and the API's IP-free access logs cover operations (docs/deploy.md, "Edge logs").
  enabled             = true
  comment             = "${var.name} store and first-party clickstream endpoint"
  default_root_object = "index.html"
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = var.price_class
  aliases             = var.domain_names
  web_acl_id          = var.web_acl_arn

  origin {
    origin_id                = local.s3_origin_id
    domain_name              = aws_s3_bucket.this.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.this.id
  }

  origin {
    origin_id   = local.api_origin_id
    domain_name = var.api_domain_name

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }

    # Proof that a request came through CloudFront (and so through the WAF): the ingest
    # answers 403 without it. CloudFront overwrites a header of the same name sent by
    # the viewer, so a client cannot forge it through the distribution.
    custom_header {
      name  = local.origin_verify_header
      value = var.origin_verify_value
    }
  }

  default_cache_behavior {
    target_origin_id           = local.s3_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  # First-party collection: the SDK posts to https://<store>/v1/events, which ad
  # blockers leave alone far more often than a third-party API host, and the WAF
  # above sees every event before the API does.
  ordered_cache_behavior {
    path_pattern               = var.api_path_pattern
    target_origin_id           = local.api_origin_id
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.disabled.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
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

  lifecycle {
    precondition {
      condition     = !local.custom_domain || var.certificate_arn != ""
      error_message = "domain_names needs certificate_arn (an ACM certificate in us-east-1)."
    }
  }
}
