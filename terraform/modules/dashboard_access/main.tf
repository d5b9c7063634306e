resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_150:Deletion protection is the deletion_protection variable: true in prod, false in dev so the environment can be torn down.
  #checkov:skip=CKV2_AWS_28:Every request is authenticated by Cognito at the listener before it reaches the host; a WAF (5 USD/month plus rules) would guard only the Cognito redirect.
  name                       = "${var.name}-dash"
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [var.security_group_id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  access_logs {
    bucket  = var.access_log_bucket_id
    prefix  = "alb/${var.name}-dash"
    enabled = true
  }

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  name        = "${var.name}-dash"
  vpc_id      = var.vpc_id
  target_type = "instance"
  port        = var.target_port
  # TLS all the way to Nginx: nothing crosses the VPC in clear text.
  protocol = "HTTPS"

  health_check {
    enabled             = true
    protocol            = "HTTPS"
    path                = var.health_check_path
    matcher             = "200"
    interval            = 30
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags
}

resource "aws_lb_target_group_attachment" "this" {
  target_group_arn = aws_lb_target_group.this.arn
  target_id        = var.target_instance_id
  port             = var.target_port
}

# Cognito first, then the host. The ALB authenticates any user of the pool; Nginx on
# the host admits only members of the admins group (cognito:groups in the signed
# x-amzn-oidc-data header), because listener rules cannot match on group claims.
resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = local.certificate_arn

  default_action {
    type  = "authenticate-cognito"
    order = 1

    authenticate_cognito {
      user_pool_arn              = var.cognito_user_pool_arn
      user_pool_client_id        = var.cognito_user_pool_client_id
      user_pool_domain           = var.cognito_user_pool_domain
      on_unauthenticated_request = "authenticate"
      scope                      = "openid email"
      session_timeout            = var.session_timeout_seconds
    }
  }

  default_action {
    type             = "forward"
    order            = 2
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = var.tags
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP" #checkov:skip=CKV_AWS_2:This listener only redirects to HTTPS.

  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = var.tags
}
