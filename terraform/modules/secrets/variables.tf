variable "parameter_prefix" {
  description = "SSM path every parameter of this deployment lives under, e.g. /clickstream/prod. Roles are granted this path and nothing wider."
  type        = string
  default     = "/clickstream/prod"

  validation {
    condition     = can(regex("^(/[a-z0-9_-]+){2,3}$", var.parameter_prefix))
    error_message = "parameter_prefix must look like /<project>/<environment> (lowercase, no trailing slash)."
  }
}

variable "tags" {
  description = "Tags merged into every resource of this module."
  type        = map(string)
  default     = {}
}

variable "database_host" {
  description = "Private address of the PostgreSQL warehouse, written into the ETL's DSN parameter."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+$", var.database_host))
    error_message = "database_host must be an IP address or DNS name."
  }
}

variable "database_port" {
  description = "PostgreSQL port."
  type        = number
  default     = 5432

  validation {
    condition     = var.database_port > 1023 && var.database_port < 65536
    error_message = "database_port must be an unprivileged TCP port."
  }
}

variable "database_name" {
  description = "Warehouse database name (clickstream.etl.roles.DEFAULT_DATABASE)."
  type        = string
  default     = "clickstream"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lowercase PostgreSQL identifier."
  }
}

variable "database_sslmode" {
  description = "libpq sslmode in the ETL's DSN. The warehouse role (Ansible) enables TLS, so require it."
  type        = string
  default     = "require"

  validation {
    condition     = contains(["disable", "prefer", "require", "verify-ca", "verify-full"], var.database_sslmode)
    error_message = "database_sslmode must be a libpq sslmode."
  }
}

variable "secrets_version" {
  description = <<-EOT
    Generation of the generated secrets. Values are written through write-only arguments and never stored in state,
    so Terraform only writes them again when this number changes: bump it to rotate every generated secret at once
    (then re-run the warehouse playbook so PostgreSQL roles get the new passwords).
  EOT
  type        = number
  default     = 1

  validation {
    condition     = var.secrets_version >= 1 && floor(var.secrets_version) == var.secrets_version
    error_message = "secrets_version must be a positive integer."
  }
}
