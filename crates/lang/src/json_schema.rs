//! The JSON Schema of stack files and env files (`cairn schema`), generated
//! from the same tables and provider schemas the loader checks against, for
//! TOML editors (Taplo, Even Better TOML) to complete and check as you type.
//! Every attribute accepts its literal type or a string holding `${...}`,
//! since an expression can produce any type.

use cairn_core::{Presence, Registry, Schema, Type};
use serde_json::{json, Map, Value as J};

const DRAFT: &str = "http://json-schema.org/draft-07/schema#";

/// The schema of the stack's own files (and of module files).
pub fn stack_schema(registry: &Registry) -> J {
    let mut resources = Map::new();
    for t in registry.resource_types() {
        if let Some(r) = registry.resource(t) {
            resources.insert(t.to_string(), block_map(block(r.schema(), true)));
        }
    }
    let mut data = Map::new();
    for t in registry.data_source_types() {
        if let Some(d) = registry.data_source(t) {
            data.insert(t.to_string(), block_map(block(d.schema(), false)));
        }
    }
    json!({
        "$schema": DRAFT,
        "title": "cairn stack file",
        "description": "A file of a cairn stack or module (docs/language.md).",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "stack": {
                "description": "The stack's name: it names the state and the cairn:stack ownership tag.",
                "type": "object",
                "additionalProperties": false,
                "required": ["name"],
                "properties": { "name": { "type": "string", "pattern": "^[A-Za-z0-9_-]+$" } }
            },
            "variable": { "type": "object", "additionalProperties": { "$ref": "#/definitions/variable" } },
            "locals": {
                "description": "Named values computed once and referenced as ${local.NAME}.",
                "type": "object"
            },
            "provider": { "$ref": "#/definitions/providers" },
            "resource": {
                "type": "object",
                "additionalProperties": false,
                "properties": resources
            },
            "data": {
                "type": "object",
                "additionalProperties": false,
                "properties": data
            },
            "module": { "type": "object", "additionalProperties": { "$ref": "#/definitions/module_call" } },
            "output": { "type": "object", "additionalProperties": { "$ref": "#/definitions/output" } },
            "backend": { "$ref": "#/definitions/backend" },
            "policy": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "deny": {
                        "description": "Deny gates: ACTION[:TYPE|ADDRESS-GLOB], e.g. delete:aws_kms_key.",
                        "type": "array",
                        "items": { "type": "string" }
                    }
                }
            },
            "import": {
                "description": "Existing objects to bring under management.",
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["to", "id"],
                    "properties": {
                        "to": { "type": "string", "description": "A resource address in the configuration." },
                        "id": { "type": "string", "description": "The object's id in AWS." }
                    }
                }
            },
            "moved": {
                "description": "Refactorings: what state recorded at `from` is now configured at `to`.",
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["from", "to"],
                    "properties": { "from": { "type": "string" }, "to": { "type": "string" } }
                }
            }
        },
        "definitions": definitions()
    })
}

/// The schema of env files (`envs/<env>.toml`).
pub fn env_schema() -> J {
    json!({
        "$schema": DRAFT,
        "title": "cairn env file",
        "description": "One environment's values: envs/<env>.toml, chosen with --env.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "vars": { "description": "Values of the stack's variables.", "type": "object" },
            "provider": { "$ref": "#/definitions/providers" },
            "backend": { "$ref": "#/definitions/backend" }
        },
        "definitions": definitions()
    })
}

fn expression() -> J {
    json!({ "$ref": "#/definitions/expression" })
}

/// A literal of the type, or an expression.
fn or_expression(literal: J) -> J {
    json!({ "anyOf": [literal, expression()] })
}

fn type_schema(t: &Type) -> J {
    match t {
        Type::Any => json!({}),
        Type::String | Type::JsonString => json!({ "type": "string" }),
        Type::Bool => or_expression(json!({ "type": "boolean" })),
        Type::Number => or_expression(json!({ "type": "number" })),
        Type::List(inner) | Type::Set(inner) => {
            or_expression(json!({ "type": "array", "items": type_schema(inner) }))
        }
        Type::Map(inner) => {
            or_expression(json!({ "type": "object", "additionalProperties": type_schema(inner) }))
        }
        Type::Object(schema) => {
            let (props, required) = attributes(schema);
            or_expression(json!({
                "type": "object",
                "additionalProperties": false,
                "properties": props,
                "required": required
            }))
        }
    }
}

fn attributes(schema: &Schema) -> (Map<String, J>, Vec<String>) {
    let mut props = Map::new();
    let mut required = Vec::new();
    for (name, a) in &schema.attributes {
        if !a.is_configurable() {
            continue;
        }
        let mut s = type_schema(&a.ty);
        let mut checks = Map::new();
        for c in &a.checks {
            match c {
                cairn_core::Check::OneOf(values) => {
                    checks.insert("enum".into(), json!(values));
                }
                cairn_core::Check::Range(lo, hi) => {
                    checks.insert("minimum".into(), json!(lo));
                    checks.insert("maximum".into(), json!(hi));
                }
                _ => {}
            }
        }
        if !checks.is_empty() {
            let mut literal = match &s {
                J::Object(m) if m.contains_key("anyOf") => m["anyOf"][0].clone(),
                other => other.clone(),
            };
            if let J::Object(m) = &mut literal {
                m.extend(checks);
            }
            s = or_expression(literal);
        }
        if let (J::Object(m), false) = (&mut s, a.description.is_empty()) {
            m.insert("description".into(), json!(a.description));
        }
        if a.presence == Presence::Required {
            required.push(name.to_string());
        }
        props.insert(name.to_string(), s);
    }
    (props, required)
}

/// A resource or data source block: its attributes and meta-arguments.
fn block(schema: &Schema, managed: bool) -> J {
    let (mut props, required) = attributes(schema);
    props.insert(
        "count".into(),
        or_expression(json!({ "type": "integer", "minimum": 0 })),
    );
    props.insert(
        "for_each".into(),
        or_expression(json!({ "type": ["object", "array"] })),
    );
    props.insert(
        "depends_on".into(),
        json!({ "type": "array", "items": { "type": "string" } }),
    );
    props.insert(
        "provider".into(),
        json!({ "type": "string", "pattern": "^aws(\\.[A-Za-z0-9_-]+)?$" }),
    );
    if managed {
        props.insert(
            "lifecycle".into(),
            json!({ "$ref": "#/definitions/lifecycle" }),
        );
        props.insert(
            "timeouts".into(),
            json!({ "$ref": "#/definitions/timeouts" }),
        );
    }
    let mut out = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": props,
        "required": required
    });
    if !schema.description.is_empty() {
        out["description"] = json!(schema.description);
    }
    out
}

fn block_map(block: J) -> J {
    json!({ "type": "object", "additionalProperties": block })
}

fn provider_settings() -> J {
    json!({
        "region": { "type": "string" },
        "profile": { "type": "string" },
        "assume_role_arn": { "type": "string" },
        "endpoint_url": { "type": "string" },
        "default_tags": { "type": "object", "additionalProperties": { "type": "string" } },
        "max_concurrency": {
            "description": "AWS calls in flight per service, e.g. { ec2 = 20, iam = 4 }.",
            "type": "object",
            "additionalProperties": { "type": "integer", "minimum": 1, "maximum": 1000 }
        },
        "max_retries": {
            "description": "Retries of one AWS call after a throttling or transient error (default 10).",
            "type": "integer", "minimum": 0, "maximum": 100
        }
    })
}

fn definitions() -> J {
    json!({
        "expression": {
            "description": "A string holding ${...}: a reference, function call or any expression.",
            "type": "string",
            "pattern": "\\$\\{"
        },
        "variable": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "type": {
                    "type": "string",
                    "description": "string, number, bool, list(T), map(T), set(T), object({...}), tuple([...]), any"
                },
                "default": {},
                "description": { "type": "string" },
                "sensitive": { "type": "boolean" },
                "validation": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["condition", "error_message"],
                        "properties": {
                            "condition": { "type": "string" },
                            "error_message": { "type": "string" }
                        }
                    }
                }
            }
        },
        "providers": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "aws": {
                    "description": "The default AWS provider; a table inside it is an alias, [provider.aws.NAME].",
                    "type": "object",
                    "properties": provider_settings(),
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": provider_settings()
                    }
                }
            }
        },
        "backend": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "type": { "enum": ["local", "s3"] },
                "path": { "type": "string" },
                "bucket": { "type": "string" },
                "key": { "type": "string" },
                "region": { "type": "string" },
                "profile": { "type": "string" },
                "assume_role_arn": { "type": "string" },
                "endpoint_url": { "type": "string" },
                "kms_key_id": { "type": "string" },
                "lock_lease": { "type": "string" },
                "encryption": {
                    "description": "Seal the state's secrets and saved plans with a KMS key (docs/state.md, Protecting state).",
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["kms_key_id"],
                    "properties": {
                        "kms_key_id": { "type": "string" },
                        "fallback": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["kms_key_id"],
                            "properties": { "kms_key_id": { "type": "string" } }
                        }
                    }
                }
            }
        },
        "module_call": {
            "description": "A module call: `source`, meta-arguments, and the module's variables.",
            "type": "object",
            "required": ["source"],
            "properties": {
                "source": { "type": "string", "description": "The module's directory, relative to this file's." },
                "count": or_expression(json!({ "type": "integer", "minimum": 0 })),
                "for_each": or_expression(json!({ "type": ["object", "array"] })),
                "providers": { "type": "object", "additionalProperties": { "type": "string" } },
                "depends_on": { "type": "array", "items": { "type": "string" } }
            }
        },
        "output": {
            "type": "object",
            "additionalProperties": false,
            "required": ["value"],
            "properties": {
                "value": {},
                "description": { "type": "string" },
                "sensitive": { "type": "boolean" }
            }
        },
        "lifecycle": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "prevent_destroy": { "type": "boolean" },
                "create_before_destroy": { "type": "boolean" },
                "ignore_changes": {
                    "anyOf": [{ "const": "all" }, { "type": "array", "items": { "type": "string" } }]
                },
                "replace_triggered_by": { "type": "array", "items": { "type": "string" } }
            }
        },
        "timeouts": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "create": { "type": "string", "pattern": "^[0-9]+[smh]?$" },
                "update": { "type": "string", "pattern": "^[0-9]+[smh]?$" },
                "delete": { "type": "string", "pattern": "^[0-9]+[smh]?$" }
            }
        }
    })
}
