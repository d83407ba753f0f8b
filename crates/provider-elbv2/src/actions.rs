//! The actions a listener or a rule takes (forward, redirect, fixed
//! response), as Terraform writes them: a list of `{ type, ... }` objects.
//! Shared by `aws_lb_listener.default_action` and `aws_lb_listener_rule.action`.

use std::sync::OnceLock;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, RedirectActionConfig,
    RedirectActionStatusCodeEnum,
};
use cairn_core::{Attribute, Attrs, Check, Object, Schema, Type, ValidationIssue, Value};

const TYPES: &[&str] = &["forward", "redirect", "fixed-response"];

pub fn action_type() -> Type {
    static T: OnceLock<Type> = OnceLock::new();
    T.get_or_init(|| {
        // AWS's own defaults: keep the request's parts unless told.
        let redirect = Schema::new()
            .attr("host", Attribute::string().default("#{host}"))
            .attr("path", Attribute::string().default("/#{path}"))
            .attr("port", Attribute::string().default("#{port}"))
            .attr("protocol", Attribute::string().default("#{protocol}"))
            .attr("query", Attribute::string().default("#{query}"))
            .attr(
                "status_code",
                Attribute::string()
                    .required()
                    .check(Check::OneOf(&["HTTP_301", "HTTP_302"])),
            );
        let fixed = Schema::new()
            .attr("content_type", Attribute::string().required())
            .attr("message_body", Attribute::string())
            .attr("status_code", Attribute::string().default("200"));
        let action = Schema::new()
            .attr(
                "type",
                Attribute::string().required().check(Check::OneOf(TYPES)),
            )
            .attr("target_group_arn", Attribute::string())
            .attr("redirect", Attribute::new(Type::object(redirect)))
            .attr("fixed_response", Attribute::new(Type::object(fixed)));
        Type::list(Type::object(action))
    })
    .clone()
}

fn items(v: Option<&Value>) -> Vec<&Object> {
    v.and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .collect()
}

/// Each action names what its type needs (known values only).
pub fn validate(attribute: &str, v: Option<&Value>) -> Vec<ValidationIssue> {
    let mut issues = Vec::new();
    for a in items(v) {
        let Some(ty) = a.str("type") else { continue };
        let needs = match ty {
            "forward" => "target_group_arn",
            "redirect" => "redirect",
            "fixed-response" => "fixed_response",
            _ => continue,
        };
        if a.get(needs).is_none_or(Value::is_null) {
            issues.push(ValidationIssue {
                attribute: attribute.into(),
                message: format!("a `{ty}` action needs `{needs}`"),
            });
        }
    }
    issues
}

pub fn to_sdk(v: Option<&Value>) -> Vec<Action> {
    let list = items(v);
    let several = list.len() > 1;
    list.iter()
        .enumerate()
        .map(|(i, a)| {
            let ty = a.str("type").unwrap_or("forward");
            let mut b = Action::builder().r#type(ActionTypeEnum::from(ty));
            if several {
                b = b.order(i as i32 + 1);
            }
            match ty {
                "redirect" => {
                    let r = a.get("redirect").and_then(Value::as_map);
                    let get = |k: &str| r.and_then(|r| r.str(k)).map(str::to_string);
                    b.redirect_config(
                        RedirectActionConfig::builder()
                            .set_host(get("host"))
                            .set_path(get("path"))
                            .set_port(get("port"))
                            .set_protocol(get("protocol"))
                            .set_query(get("query"))
                            .set_status_code(
                                get("status_code")
                                    .map(|s| RedirectActionStatusCodeEnum::from(s.as_str())),
                            )
                            .build(),
                    )
                    .build()
                }
                "fixed-response" => {
                    let f = a.get("fixed_response").and_then(Value::as_map);
                    let get = |k: &str| f.and_then(|f| f.str(k)).map(str::to_string);
                    b.fixed_response_config(
                        FixedResponseActionConfig::builder()
                            .set_content_type(get("content_type"))
                            .set_message_body(get("message_body"))
                            .set_status_code(get("status_code"))
                            .build(),
                    )
                    .build()
                }
                _ => b
                    .set_target_group_arn(a.str("target_group_arn").map(str::to_string))
                    .build(),
            }
        })
        .collect()
}

pub fn from_sdk(actions: &[Action]) -> Value {
    let mut sorted: Vec<&Action> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order().unwrap_or(0));
    Value::List(
        sorted
            .into_iter()
            .map(|a| {
                let mut o = Object::new();
                let ty = a.r#type().map(|t| t.as_str()).unwrap_or("forward");
                o.insert("type".into(), ty.into());
                // AWS answers a single-group forward with both forms.
                let group = a.target_group_arn().or_else(|| {
                    a.forward_config()
                        .map(|f| f.target_groups())
                        .filter(|g| g.len() == 1)
                        .and_then(|g| g[0].target_group_arn())
                });
                o.insert("target_group_arn".into(), Value::from(group));
                let redirect = a.redirect_config().map(|r| {
                    let pairs = [
                        ("host", r.host()),
                        ("path", r.path()),
                        ("port", r.port()),
                        ("protocol", r.protocol()),
                        ("query", r.query()),
                        ("status_code", r.status_code().map(|s| s.as_str())),
                    ];
                    Value::Map(
                        pairs
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), Value::from(v)))
                            .collect(),
                    )
                });
                o.insert("redirect".into(), redirect.unwrap_or(Value::Null));
                let fixed = a.fixed_response_config().map(|f| {
                    let pairs = [
                        ("content_type", f.content_type()),
                        ("message_body", f.message_body()),
                        ("status_code", f.status_code()),
                    ];
                    Value::Map(
                        pairs
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), Value::from(v)))
                            .collect(),
                    )
                });
                o.insert("fixed_response".into(), fixed.unwrap_or(Value::Null));
                Value::Map(o)
            })
            .collect(),
    )
}
