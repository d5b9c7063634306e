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

variable "package_path" {
  description = "Zip built by `make edge-package ENV=<env>` (build/edge-auth-<env>.zip)."
  type        = string
  default     = "build/edge-auth-prod.zip"
}

variable "config_path" {
  description = "The configuration baked into that zip, written beside it (build/edge-auth-<env>.config.json)."
  type        = string
  default     = "build/edge-auth-prod.config.json"
}

variable "user_pool_id" {
  description = "Admin pool the bundle must be configured for (admin_auth.user_pool_id)."
  type        = string
}

variable "user_pool_client_id" {
  description = "Edge app client the bundle must be configured for (admin_auth.user_pool_client_edge_id)."
  type        = string
}
