terraform {
  # Output preconditions and optional() object attributes need 1.3+; 1.5 is the floor we document.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}
