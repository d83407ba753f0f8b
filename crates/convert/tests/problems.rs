//! Constructs cairn cannot take: each is a problem with its file:line, and
//! `write` writes nothing while there are problems unless asked to.

mod common;

use cairn_convert::ConvertError;

#[test]
fn problems_name_file_line_and_why() {
    let c = common::convert("problems");
    let found: Vec<String> = c
        .problems
        .iter()
        .map(|p| {
            format!(
                "{}:{}:{} {}",
                p.file.display(),
                p.line,
                p.column,
                p.construct
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "main.tf:1:1 module \"vpc\"",
            "main.tf:6:1 resource \"aws_unicorn\" \"x\"",
            "main.tf:13:14 template directive `%{ ... }`",
            "main.tf:14:13 function call timestamp",
            "main.tf:17:3 provisioner \"local-exec\"",
            "main.tf:22:1 check health",
        ]
    );
    let why = |i: usize| c.problems[i].why.clone();
    assert!(
        why(0).contains("terraform-aws-modules/vpc/aws"),
        "{}",
        why(0)
    );
    assert!(why(1).contains("aws_unicorn"), "{}", why(1));
    assert!(why(3).contains("timestamp"), "{}", why(3));
}

#[test]
fn write_refuses_problems_unless_partial() {
    let c = common::convert("problems");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let err = cairn_convert::write(&c, &out, false).unwrap_err();
    assert!(matches!(err, ConvertError::Problems(6)), "{err}");
    assert!(!out.exists(), "nothing is written");

    cairn_convert::write(&c, &out, true).unwrap();
    let main = std::fs::read_to_string(out.join("main.toml")).unwrap();
    // What was left out is marked where it stood.
    assert!(
        main.contains("# cairn convert: resource \"aws_unicorn\" \"x\" (main.tf:6) not converted"),
        "{main}"
    );
    assert!(main.contains("[resource.aws_vpc.main]"), "{main}");
}

#[test]
fn write_refuses_a_non_empty_out_dir() {
    let c = common::convert("count");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let err = cairn_convert::write(&c, dir.path(), false).unwrap_err();
    assert!(matches!(err, ConvertError::OutDirNotEmpty(_)), "{err}");
    assert!(!dir.path().join("main.toml").exists());
}

#[test]
fn other_refusals() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"terraform {
  required_providers {
    google = { source = "hashicorp/google" }
  }
}

provider "aws" {
  endpoints {
    ec2 = "http://a:1"
    s3  = "http://b:2"
  }
}

resource "terraform_data" "x" {}

resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = "${~ var.x ~}" }
  bogus      = 1
}

removed {
  from = aws_vpc.old
}

module "m" {
  source = "git::https://example.com/m.git"
}
"#,
    )
    .unwrap();
    let c = cairn_convert::convert(dir.path(), &common::schemas()).unwrap();
    let found: Vec<String> = c
        .problems
        .iter()
        .map(|p| format!("{}:{} {}", p.line, p.column, p.construct))
        .collect();
    assert_eq!(
        found,
        [
            "3:5 required provider google",
            "8:3 provider aws endpoints",
            "14:1 resource \"terraform_data\" \"x\"",
            "18:26 strip marker `~` in `${~ ... ~}`",
            "19:3 attribute bogus",
            "22:1 removed",
            "26:1 module \"m\"",
        ]
    );
}
