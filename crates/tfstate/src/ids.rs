//! Where cairn's id for an object differs from Terraform's, cairn's is made
//! from the object's attributes; everywhere else they are the same.

use serde_json::{Map, Value};

pub(crate) fn cairn_id(type_name: &str, terraform_id: &str, attrs: &Map<String, Value>) -> String {
    let s = |k: &str| {
        attrs
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let made = match type_name {
        // Terraform: `r-<table><hash>`; cairn: its import id.
        "aws_route" => s("route_table_id").and_then(|table| {
            let dest = s("destination_cidr_block")
                .or_else(|| s("destination_ipv6_cidr_block"))
                .or_else(|| s("destination_prefix_list_id"))?;
            Some(format!("{table}_{dest}"))
        }),
        // Terraform: `<role>-<timestamp>`, a name of its own making.
        "aws_iam_role_policy_attachment" => s("role")
            .zip(s("policy_arn"))
            .map(|(role, arn)| format!("{role}/{arn}")),
        // Terraform 5: the `db-...` resource id.
        "aws_db_instance" => s("identifier").map(str::to_string),
        // Terraform: the family; cairn: the revision.
        "aws_ecs_task_definition" => s("arn").map(str::to_string),
        // Terraform: the time the certificate was issued.
        "aws_acm_certificate_validation" => s("certificate_arn").map(str::to_string),
        _ => None,
    };
    made.unwrap_or_else(|| terraform_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect()
    }

    #[test]
    fn ids_that_differ_are_translated() {
        assert_eq!(
            cairn_id(
                "aws_route",
                "r-rtb-0a1b1080289494",
                &attrs(&[
                    ("route_table_id", "rtb-0a1b"),
                    ("destination_cidr_block", "0.0.0.0/0")
                ])
            ),
            "rtb-0a1b_0.0.0.0/0"
        );
        assert_eq!(
            cairn_id(
                "aws_iam_role_policy_attachment",
                "app-20240101",
                &attrs(&[
                    ("role", "app"),
                    ("policy_arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
                ])
            ),
            "app/arn:aws:iam::aws:policy/ReadOnlyAccess"
        );
        assert_eq!(cairn_id("aws_vpc", "vpc-1", &attrs(&[])), "vpc-1");
    }
}
