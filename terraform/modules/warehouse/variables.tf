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

variable "os" {
  description = "Base image, looked up by data source: debian-12 or ubuntu-24.04 (the Ansible roles support both)."
  type        = string
  default     = "debian-12"

  validation {
    condition     = contains(["debian-12", "ubuntu-24.04"], var.os)
    error_message = "os must be debian-12 or ubuntu-24.04."
  }
}

variable "instance_type" {
  description = "Instance type; must be Graviton (arm64) like the AMI. t4g.small runs PostgreSQL and Shiny for a small store."
  type        = string
  default     = "t4g.small"

  validation {
    condition     = can(regex("^[a-z][0-9]+g[a-z]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be a Graviton (arm64) type such as t4g.small or m7g.large."
  }
}

variable "subnet_id" {
  description = "Private subnet of the host."
  type        = string
}

variable "private_ip" {
  description = "Fixed private address of the host, inside subnet_id; the ETL's DSN points at it, so it must survive instance replacement."
  type        = string

  validation {
    condition     = can(cidrhost("${var.private_ip}/32", 0))
    error_message = "private_ip must be an IPv4 address."
  }
}

variable "security_group_ids" {
  description = "Security groups of the host (network.security_group_warehouse_id and security_group_dashboard_id)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) > 0
    error_message = "security_group_ids must not be empty."
  }
}

variable "root_volume_size_gb" {
  description = "Root volume (OS, R, Shiny) in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.root_volume_size_gb >= 8 && var.root_volume_size_gb <= 200
    error_message = "root_volume_size_gb must be between 8 and 200."
  }
}

variable "data_volume_size_gb" {
  description = "PostgreSQL data volume in GiB (separate from the root so it survives instance replacement)."
  type        = number
  default     = 50

  validation {
    condition     = var.data_volume_size_gb >= 10 && var.data_volume_size_gb <= 16384
    error_message = "data_volume_size_gb must be between 10 and 16384."
  }
}

variable "snapshot_retain_count" {
  description = "Daily EBS snapshots kept by Data Lifecycle Manager."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retain_count >= 1 && var.snapshot_retain_count <= 1000
    error_message = "snapshot_retain_count must be between 1 and 1000."
  }
}

variable "snapshot_time_utc" {
  description = "Daily snapshot time, HH:MM UTC (after the night's ETL runs)."
  type        = string
  default     = "03:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.snapshot_time_utc))
    error_message = "snapshot_time_utc must be HH:MM in 24-hour time."
  }
}

variable "backup_retention_days" {
  description = "Days pgBackRest keeps full backups (with their differentials and WAL) in the backup bucket: repo1-retention-full, passed to Ansible through the backup_retention_days output."
  type        = number
  default     = 35

  validation {
    condition     = var.backup_retention_days >= 1
    error_message = "backup_retention_days must be at least 1."
  }
}

variable "access_log_bucket_id" {
  description = "Bucket that receives the backup bucket's access logs (raw_store.access_log_bucket_id)."
  type        = string
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a non-empty backup bucket. Keep false in prod."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the host's log groups (system, PostgreSQL, Nginx, Shiny) shipped by the CloudWatch agent."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the host's agent publishes memory and disk metrics to (the only one its role may write)."
  type        = string
  default     = "CWAgent"

  validation {
    condition     = can(regex("^[A-Za-z0-9/_.#:-]{1,255}$", var.metrics_namespace))
    error_message = "metrics_namespace must be a valid CloudWatch namespace."
  }
}

variable "dashboard_port" {
  description = "Port Nginx listens on for the front door (network.dashboard_port, CloudFront's VPC origin); output for the playbook."
  type        = number
  default     = 80

  validation {
    condition     = var.dashboard_port > 0 && var.dashboard_port < 65536
    error_message = "dashboard_port must be a TCP port."
  }
}

variable "create_kms_key" {
  description = "Create a KMS key of this module's own (true) or use kms_key_arn, the stack's one key of the lean profile (false). A plain bool so that count is known at plan time."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "The stack's one KMS key (lean profile) for volumes, snapshots and backups, used when create_kms_key is false. Chosen at first deployment: changing the key replaces the encrypted volumes."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN or null (used only when create_kms_key is false)."
  }
}
