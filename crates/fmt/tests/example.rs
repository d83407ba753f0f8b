mod common;

/// The example from the formatter's specification, byte for byte.
#[test]
fn the_specification_example() {
    let input = r#"# The network.
[stack]
name="tracker"   # the stack's name
[ resource.aws_vpc.main ]
cidr_block    =   "${var.vpc_cidr}"
tags = {Name="tracker",  Tier = "core"}


[resource.aws_security_group.alb]
ingress = [ { from_port = 443, to_port = 443, protocol = "tcp", cidr_blocks = ["0.0.0.0/0"], description = "HTTPS" }, { from_port = 80, to_port = 80, protocol = "tcp", cidr_blocks = ["0.0.0.0/0"] } ]
egress = [
    # to the services
    "a",   "b"
]
"#;
    let expected = r#"# The network.
[stack]
name = "tracker" # the stack's name

[resource.aws_vpc.main]
cidr_block = "${var.vpc_cidr}"
tags = { Name = "tracker", Tier = "core" }

[resource.aws_security_group.alb]
ingress = [
  { from_port = 443, to_port = 443, protocol = "tcp", cidr_blocks = ["0.0.0.0/0"], description = "HTTPS" },
  { from_port = 80, to_port = 80, protocol = "tcp", cidr_blocks = ["0.0.0.0/0"] },
]
egress = [
  # to the services
  "a",
  "b",
]
"#;
    assert_eq!(common::format_checked("example", input), expected);
}
