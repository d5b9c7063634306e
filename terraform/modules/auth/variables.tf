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
  description = "Prefix of the Cognito hosted domain (<prefix>.auth.<region>.amazoncognito.com); globally unique per region."
  type        = string
  default     = "clickstream-prod-auth"

  validation {
    condition     = can(regex("^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$", var.domain_prefix)) && !strcontains(var.domain_prefix, "aws") && !strcontains(var.domain_prefix, "cognito")
    error_message = "domain_prefix must be 3-63 lowercase letters, digits or hyphens and may not contain aws or cognito."
  }
}

variable "site_urls" {
  description = "Origins of the store (https://shop.example.com); the site client's sign-in callbacks and logout URLs."
  type        = list(string)
  default     = ["https://shop.example.com"]

  validation {
    condition     = length(var.site_urls) > 0 && alltrue([for u in var.site_urls : can(regex("^https://[a-z0-9.-]+(:[0-9]+)?$", u))])
    error_message = "site_urls must be https origins without a path or trailing slash."
  }
}

variable "password_minimum_length" {
  description = "Minimum password length for shoppers."
  type        = number
  default     = 12

  validation {
    condition     = var.password_minimum_length >= 8 && var.password_minimum_length <= 99
    error_message = "password_minimum_length must be between 8 and 99."
  }
}

variable "advanced_security_mode" {
  description = "Cognito threat protection (compromised credentials, adaptive auth). Anything but OFF needs the Plus tier, billed per MAU: OFF for a small store, AUDIT or ENFORCED when the budget allows."
  type        = string
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "AUDIT", "ENFORCED"], var.advanced_security_mode)
    error_message = "advanced_security_mode must be OFF, AUDIT or ENFORCED."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the user pool (and its shoppers) on terraform destroy."
  type        = bool
  default     = true
}
