terraform {
  # 1.11: write-only arguments keep generated secrets out of state (modules/secrets).
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # State is local until you copy backend.tf.example to backend.tf (S3 with native
  # locking) and run `terraform init -migrate-state`; see docs/deploy.md.
}
