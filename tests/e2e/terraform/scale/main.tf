# One VPC and `n` subnets made with count: the scale case of the move.
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "n" {
  type    = number
  default = 300
}

resource "aws_vpc" "this" {
  cidr_block = "10.30.0.0/16"
}

resource "aws_subnet" "this" {
  count      = var.n
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(aws_vpc.this.cidr_block, 9, count.index)
}
