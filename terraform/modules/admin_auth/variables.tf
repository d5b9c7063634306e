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

variable "domain_prefix" {
  description = "Prefix of the admin pool's hosted sign-in domain (<prefix>.auth.<region>.amazoncognito.com); globally unique per region, different from the shoppers' pool."
  type        = string
  default     = "clickstream-prod-admin"

  validation {
    condition     = can(regex("^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$", var.domain_prefix)) && !strcontains(var.domain_prefix, "aws") && !strcontains(var.domain_prefix, "cognito")
    error_message = "domain_prefix must be 3-63 lowercase letters, digits or hyphens and may not contain aws or cognito."
  }
}

variable "dashboard_domain" {
  description = "Host name of the dashboard (CloudFront, modules/dashboard_edge); the sign-in callback is https://<it>."
  type        = string
  default     = "analytics.example.com"

  validation {
    condition     = can(regex("^[a-z0-9.-]+\\.[a-z]{2,}$", var.dashboard_domain))
    error_message = "dashboard_domain must be a DNS name."
  }
}

variable "admin_emails" {
  description = "E-mail addresses of the dashboard admins Terraform creates (each gets an invitation with a temporary password). Operators may also add admins with `aws cognito-idp admin-create-user`."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.admin_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "admin_emails must be e-mail addresses."
  }
}

variable "mfa_configuration" {
  description = "OPTIONAL lets each admin add an authenticator app (TOTP); ON makes it mandatory at first sign-in."
  type        = string
  default     = "OPTIONAL"

  validation {
    condition     = contains(["OPTIONAL", "ON"], var.mfa_configuration)
    error_message = "mfa_configuration must be OPTIONAL or ON (MFA may not be switched off for admins)."
  }
}

variable "password_minimum_length" {
  description = "Minimum admin password length."
  type        = number
  default     = 14

  validation {
    condition     = var.password_minimum_length >= 12 && var.password_minimum_length <= 99
    error_message = "password_minimum_length must be between 12 and 99."
  }
}

variable "session_days" {
  description = "Refresh-token lifetime: how long an admin stays signed in without entering a password."
  type        = number
  default     = 1

  validation {
    condition     = var.session_days >= 1 && var.session_days <= 30
    error_message = "session_days must be between 1 and 30."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the admin pool on terraform destroy."
  type        = bool
  default     = true
}
