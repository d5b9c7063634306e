terraform {
  # 1.11 is the first release with write-only arguments (value_wo), which keep
  # generated secrets out of state.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }
}
