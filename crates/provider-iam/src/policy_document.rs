//! `data.aws_iam_policy_document`: an IAM policy written as TOML tables,
//! rendered to JSON locally (no API call), as Terraform's is: a list of one
//! becomes a plain string.

use std::sync::OnceLock;

use async_trait::async_trait;
use cairn_core::{Attribute, Attrs, Check, DataSource, Object, ProviderError, Schema, Type, Value};
use serde_json::{json, Map, Value as J};

pub struct PolicyDocument;

fn strings() -> Attribute {
    Attribute::new(Type::list(Type::String))
}

fn principal() -> Type {
    Type::list(Type::object(
        Schema::new()
            .attr("type", Attribute::string().required())
            .attr("identifiers", strings().required()),
    ))
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let statement = Schema::new()
            .attr("sid", Attribute::string())
            .attr(
                "effect",
                Attribute::string().check(Check::OneOf(&["Allow", "Deny"])),
            )
            .attr("actions", strings())
            .attr("not_actions", strings())
            .attr("resources", strings())
            .attr("not_resources", strings())
            .attr("principals", Attribute::new(principal()))
            .attr("not_principals", Attribute::new(principal()))
            .attr(
                "condition",
                Attribute::new(Type::list(Type::object(
                    Schema::new()
                        .attr("test", Attribute::string().required())
                        .attr("variable", Attribute::string().required())
                        .attr("values", strings().required()),
                ))),
            );
        Schema::new()
            .describe("An IAM policy document, rendered to JSON without calling AWS.")
            .attr("version", Attribute::string().default("2012-10-17"))
            .attr("policy_id", Attribute::string())
            .attr(
                "statement",
                Attribute::new(Type::list(Type::object(statement))).required(),
            )
            .attr("id", Attribute::string().computed())
            .attr("json", Attribute::string().computed())
    })
}

fn list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// One value as a string, several as an array.
fn one_or_many(v: Vec<String>) -> J {
    match v.len() {
        1 => J::String(v.into_iter().next().unwrap_or_default()),
        _ => json!(v),
    }
}

fn principals(v: Option<&Value>) -> Option<J> {
    let items = v.and_then(Value::as_list).filter(|l| !l.is_empty())?;
    let mut out: Map<String, J> = Map::new();
    for p in items.iter().filter_map(Value::as_map) {
        let kind = p.get("type").and_then(Value::as_str).unwrap_or_default();
        let ids = list(p.get("identifiers"));
        if kind == "*" {
            return Some(J::String("*".into()));
        }
        let entry = out.entry(kind.to_string()).or_insert_with(|| json!([]));
        if let J::Array(a) = entry {
            a.extend(ids.into_iter().map(J::String));
        }
    }
    for v in out.values_mut() {
        if let J::Array(a) = v {
            if a.len() == 1 {
                *v = a[0].clone();
            }
        }
    }
    Some(J::Object(out))
}

pub fn render(config: &Object) -> Result<String, String> {
    let mut statements = Vec::new();
    for (i, st) in config
        .get("statement")
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let st = st.as_map().ok_or(format!("statement {i} is not a table"))?;
        let mut s = Map::new();
        if let Some(sid) = st.get("sid").and_then(Value::as_str) {
            s.insert("Sid".into(), sid.into());
        }
        s.insert(
            "Effect".into(),
            st.get("effect")
                .and_then(Value::as_str)
                .unwrap_or("Allow")
                .into(),
        );
        for (key, field) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            let v = list(st.get(key));
            if !v.is_empty() {
                s.insert(field.into(), one_or_many(v));
            }
        }
        if let Some(p) = principals(st.get("principals")) {
            s.insert("Principal".into(), p);
        }
        if let Some(p) = principals(st.get("not_principals")) {
            s.insert("NotPrincipal".into(), p);
        }
        let mut conditions: Map<String, J> = Map::new();
        for c in st
            .get("condition")
            .and_then(Value::as_list)
            .unwrap_or(&[])
            .iter()
            .filter_map(Value::as_map)
        {
            let test = c.get("test").and_then(Value::as_str).unwrap_or_default();
            let var = c
                .get("variable")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let by_test = conditions
                .entry(test.to_string())
                .or_insert_with(|| json!({}));
            if let J::Object(m) = by_test {
                m.insert(var.to_string(), one_or_many(list(c.get("values"))));
            }
        }
        if !conditions.is_empty() {
            s.insert("Condition".into(), J::Object(conditions));
        }
        if !s.contains_key("Action") && !s.contains_key("NotAction") {
            return Err(format!("statement {i} has neither actions nor not_actions"));
        }
        statements.push(J::Object(s));
    }
    let mut doc = Map::new();
    doc.insert(
        "Version".into(),
        config
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("2012-10-17")
            .into(),
    );
    if let Some(id) = config.str("policy_id") {
        doc.insert("Id".into(), id.into());
    }
    doc.insert("Statement".into(), J::Array(statements));
    serde_json::to_string_pretty(&J::Object(doc)).map_err(|e| e.to_string())
}

#[async_trait]
impl DataSource for PolicyDocument {
    fn type_name(&self) -> &'static str {
        "aws_iam_policy_document"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(&self, config: &Object) -> Result<Object, ProviderError> {
        let json =
            render(config).map_err(|m| ProviderError::new("local", "InvalidPolicyDocument", m))?;
        let mut obj = config.clone();
        // The same document gives the same id.
        let digest = json.bytes().fold(0u64, |h, b| {
            h.wrapping_mul(1099511628211).wrapping_add(b as u64)
        });
        obj.insert("id".into(), format!("{digest:016x}").into());
        obj.insert("json".into(), json.into());
        Ok(obj)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(j: J) -> Value {
        Value::from_json(&j)
    }

    #[test]
    fn renders_like_terraform() {
        let config: Object = [(
            "statement".to_string(),
            v(json!([{
                "actions": ["sts:AssumeRole"],
                "principals": [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}],
                "condition": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["123456789012"]}]
            }, {
                "sid": "Logs",
                "effect": "Allow",
                "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "resources": ["*"]
            }])),
        )]
        .into();
        let doc: J = serde_json::from_str(&render(&config).unwrap()).unwrap();
        assert_eq!(
            doc,
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}
                }, {
                    "Sid": "Logs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": "*"
                }]
            })
        );
        let empty: Object = [("statement".to_string(), v(json!([{"resources": ["*"]}])))].into();
        assert!(render(&empty).is_err());
    }
}
