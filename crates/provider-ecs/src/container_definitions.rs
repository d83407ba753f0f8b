//! The `container_definitions` document of a task definition: its one
//! canonical spelling, and the conversion to and from the SDK's types.
//!
//! ECS answers a registered definition with its defaults filled in
//! (`essential: true`, `cpu: 0`, `protocol: "tcp"`, a `hostPort` equal to
//! the container port, empty lists). The canonical form drops exactly
//! those and sorts keys and name/value lists, so what a user writes and
//! what ECS answers compare equal and a re-plan registers no revision.
//!
//! The SDK's container type cannot be built from JSON, so the keys are
//! mapped one by one; a key cairn does not map yet is refused offline
//! (`unsupported_keys`) rather than dropped on the way to AWS.

use std::collections::HashMap;

use aws_sdk_ecs::types::{
    ContainerCondition, ContainerDefinition, ContainerDependency, HealthCheck, KeyValuePair,
    LinuxParameters, LogConfiguration, LogDriver, MountPoint, PortMapping, Secret,
    TransportProtocol, Ulimit, UlimitName,
};
use serde_json::{json, Map, Value as J};

/// The container keys cairn sends to ECS.
const KEYS: &[&str] = &[
    "name",
    "image",
    "cpu",
    "memory",
    "memoryReservation",
    "essential",
    "command",
    "entryPoint",
    "workingDirectory",
    "environment",
    "secrets",
    "portMappings",
    "mountPoints",
    "logConfiguration",
    "healthCheck",
    "user",
    "readonlyRootFilesystem",
    "linuxParameters",
    "dependsOn",
    "stopTimeout",
    "startTimeout",
    "dockerLabels",
    "ulimits",
];

/// The canonical spelling of a `container_definitions` document, or
/// `None` when it is not a JSON array of objects.
pub fn canonical(text: &str) -> Option<String> {
    let J::Array(containers) = serde_json::from_str::<J>(text).ok()? else {
        return None;
    };
    let mut out = Vec::with_capacity(containers.len());
    for c in containers {
        let J::Object(c) = c else { return None };
        out.push(canonical_container(c));
    }
    serde_json::to_string(&J::Array(out)).ok()
}

fn canonical_container(c: Map<String, J>) -> J {
    let mut out = Map::new();
    let mut keys: Vec<_> = c.into_iter().collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in keys {
        let v = match (k.as_str(), v) {
            // ECS's defaults.
            ("essential", J::Bool(true)) => continue,
            ("cpu", J::Number(n)) if n.as_i64() == Some(0) => continue,
            ("environment" | "secrets", J::Array(items)) => J::Array(sorted_by_name(items)),
            ("portMappings", J::Array(items)) => {
                J::Array(items.into_iter().map(canonical_port).collect())
            }
            ("mountPoints", J::Array(items)) => J::Array(
                items
                    .into_iter()
                    .map(|m| without(m, &[("readOnly", J::Bool(false))]))
                    .collect(),
            ),
            (_, v) => sort_keys(v),
        };
        if is_empty(&v) {
            continue;
        }
        out.insert(k, v);
    }
    J::Object(out)
}

fn canonical_port(p: J) -> J {
    let J::Object(mut m) = p else { return p };
    if m.get("protocol") == Some(&json!("tcp")) {
        m.remove("protocol");
    }
    if m.get("hostPort").is_some() && m.get("hostPort") == m.get("containerPort") {
        m.remove("hostPort");
    }
    sort_keys(J::Object(m))
}

fn without(v: J, defaults: &[(&str, J)]) -> J {
    let J::Object(mut m) = v else { return v };
    for (k, d) in defaults {
        if m.get(*k) == Some(d) {
            m.remove(*k);
        }
    }
    sort_keys(J::Object(m))
}

fn sorted_by_name(items: Vec<J>) -> Vec<J> {
    let mut items: Vec<J> = items.into_iter().map(sort_keys).collect();
    items.sort_by(|a, b| {
        let name = |v: &J| v.get("name").and_then(J::as_str).unwrap_or("").to_string();
        name(a).cmp(&name(b))
    });
    items
}

fn sort_keys(v: J) -> J {
    match v {
        J::Object(m) => {
            let mut entries: Vec<_> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            J::Object(
                entries
                    .into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        J::Array(items) => J::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

fn is_empty(v: &J) -> bool {
    match v {
        J::Null => true,
        J::Array(a) => a.is_empty(),
        J::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// The containers of a document (any spelling), as JSON objects.
pub fn containers(text: &str) -> Vec<Map<String, J>> {
    match serde_json::from_str::<J>(text) {
        Ok(J::Array(items)) => items
            .into_iter()
            .filter_map(|c| match c {
                J::Object(m) => Some(m),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Keys of the document cairn does not send to ECS, as `container.key`
/// (empty values, which mean nothing, pass).
pub fn unsupported_keys(text: &str) -> Vec<String> {
    containers(text)
        .iter()
        .flat_map(|c| {
            let name = c.get("name").and_then(J::as_str).unwrap_or("?").to_string();
            c.iter()
                .filter(|(k, v)| !KEYS.contains(&k.as_str()) && !is_empty(v))
                .map(move |(k, _)| format!("{name}.{k}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The container ports of each container, by container name.
pub fn container_ports(text: &str) -> HashMap<String, Vec<i64>> {
    containers(text)
        .iter()
        .map(|c| {
            let name = c.get("name").and_then(J::as_str).unwrap_or("").to_string();
            let ports = c
                .get("portMappings")
                .and_then(J::as_array)
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| p.get("containerPort").and_then(J::as_i64))
                        .collect()
                })
                .unwrap_or_default();
            (name, ports)
        })
        .collect()
}

// ---- JSON -> SDK ----

fn s(m: &Map<String, J>, k: &str) -> Option<String> {
    m.get(k).and_then(J::as_str).map(str::to_string)
}

fn n(m: &Map<String, J>, k: &str) -> Option<i32> {
    m.get(k).and_then(J::as_i64).map(|v| v as i32)
}

fn b(m: &Map<String, J>, k: &str) -> Option<bool> {
    m.get(k).and_then(J::as_bool)
}

fn strings(m: &Map<String, J>, k: &str) -> Option<Vec<String>> {
    m.get(k).and_then(J::as_array).map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    })
}

fn objects<'a>(m: &'a Map<String, J>, k: &str) -> impl Iterator<Item = &'a Map<String, J>> {
    m.get(k)
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(J::as_object)
}

fn string_map(m: &Map<String, J>, k: &str) -> Option<HashMap<String, String>> {
    m.get(k).and_then(J::as_object).map(|o| {
        o.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect()
    })
}

/// The document as the SDK's containers; an error names what is wrong.
pub fn to_sdk(text: &str) -> Result<Vec<ContainerDefinition>, String> {
    let J::Array(items) = serde_json::from_str::<J>(text).map_err(|e| e.to_string())? else {
        return Err("container_definitions must be a JSON array of containers".into());
    };
    items
        .iter()
        .map(|c| {
            let c = c
                .as_object()
                .ok_or("each container definition must be a JSON object")?;
            container_to_sdk(c)
        })
        .collect()
}

fn container_to_sdk(c: &Map<String, J>) -> Result<ContainerDefinition, String> {
    let name = s(c, "name").unwrap_or_default();
    let secrets = objects(c, "secrets")
        .map(|s_| {
            Secret::builder()
                .set_name(s(s_, "name"))
                .set_value_from(s(s_, "valueFrom"))
                .build()
                .map_err(|e| format!("{name}: secrets: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let logs = match c.get("logConfiguration").and_then(J::as_object) {
        Some(l) => Some(
            LogConfiguration::builder()
                .log_driver(LogDriver::from(
                    s(l, "logDriver").unwrap_or_default().as_str(),
                ))
                .set_options(string_map(l, "options"))
                .build()
                .map_err(|e| format!("{name}: logConfiguration: {e}"))?,
        ),
        None => None,
    };
    let health = match c.get("healthCheck").and_then(J::as_object) {
        Some(h) => Some(
            HealthCheck::builder()
                .set_command(strings(h, "command"))
                .set_interval(n(h, "interval"))
                .set_timeout(n(h, "timeout"))
                .set_retries(n(h, "retries"))
                .set_start_period(n(h, "startPeriod"))
                .build()
                .map_err(|e| format!("{name}: healthCheck: {e}"))?,
        ),
        None => None,
    };
    let depends = objects(c, "dependsOn")
        .map(|d| {
            ContainerDependency::builder()
                .set_container_name(s(d, "containerName"))
                .set_condition(s(d, "condition").map(|v| ContainerCondition::from(v.as_str())))
                .build()
                .map_err(|e| format!("{name}: dependsOn: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ulimits = objects(c, "ulimits")
        .map(|u| {
            Ulimit::builder()
                .set_name(s(u, "name").map(|v| UlimitName::from(v.as_str())))
                .set_soft_limit(n(u, "softLimit"))
                .set_hard_limit(n(u, "hardLimit"))
                .build()
                .map_err(|e| format!("{name}: ulimits: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ContainerDefinition::builder()
        .set_name(s(c, "name"))
        .set_image(s(c, "image"))
        .set_cpu(n(c, "cpu"))
        .set_memory(n(c, "memory"))
        .set_memory_reservation(n(c, "memoryReservation"))
        .set_essential(b(c, "essential"))
        .set_command(strings(c, "command"))
        .set_entry_point(strings(c, "entryPoint"))
        .set_working_directory(s(c, "workingDirectory"))
        .set_environment(Some(
            objects(c, "environment")
                .map(|e| {
                    KeyValuePair::builder()
                        .set_name(s(e, "name"))
                        .set_value(s(e, "value"))
                        .build()
                })
                .collect(),
        ))
        .set_secrets(Some(secrets))
        .set_port_mappings(Some(
            objects(c, "portMappings")
                .map(|p| {
                    PortMapping::builder()
                        .set_container_port(n(p, "containerPort"))
                        .set_host_port(n(p, "hostPort"))
                        .set_name(s(p, "name"))
                        .set_protocol(s(p, "protocol").map(|v| TransportProtocol::from(v.as_str())))
                        .build()
                })
                .collect(),
        ))
        .set_mount_points(Some(
            objects(c, "mountPoints")
                .map(|m| {
                    MountPoint::builder()
                        .set_source_volume(s(m, "sourceVolume"))
                        .set_container_path(s(m, "containerPath"))
                        .set_read_only(b(m, "readOnly"))
                        .build()
                })
                .collect(),
        ))
        .set_log_configuration(logs)
        .set_health_check(health)
        .set_user(s(c, "user"))
        .set_readonly_root_filesystem(b(c, "readonlyRootFilesystem"))
        .set_linux_parameters(c.get("linuxParameters").and_then(J::as_object).map(|l| {
            LinuxParameters::builder()
                .set_init_process_enabled(b(l, "initProcessEnabled"))
                .build()
        }))
        .set_depends_on(Some(depends))
        .set_stop_timeout(n(c, "stopTimeout"))
        .set_start_timeout(n(c, "startTimeout"))
        .set_docker_labels(string_map(c, "dockerLabels"))
        .set_ulimits(Some(ulimits))
        .build())
}

// ---- SDK -> JSON ----

/// The SDK's containers as a canonical document (for imports: a
/// definition cairn did not register).
pub fn from_sdk(containers: &[ContainerDefinition]) -> String {
    let items: Vec<J> = containers.iter().map(container_from_sdk).collect();
    let text = serde_json::to_string(&J::Array(items)).unwrap_or_else(|_| "[]".into());
    canonical(&text).unwrap_or(text)
}

fn container_from_sdk(c: &ContainerDefinition) -> J {
    let mut m = Map::new();
    let mut put = |k: &str, v: J| {
        m.insert(k.to_string(), v);
    };
    put("name", json!(c.name()));
    put("image", json!(c.image()));
    put("cpu", json!(c.cpu()));
    put("memory", json!(c.memory()));
    put("memoryReservation", json!(c.memory_reservation()));
    put("essential", json!(c.essential()));
    put("command", json!(c.command()));
    put("entryPoint", json!(c.entry_point()));
    put("workingDirectory", json!(c.working_directory()));
    put(
        "environment",
        J::Array(
            c.environment()
                .iter()
                .map(|e| json!({"name": e.name(), "value": e.value()}))
                .collect(),
        ),
    );
    put(
        "secrets",
        J::Array(
            c.secrets()
                .iter()
                .map(|s| json!({"name": s.name(), "valueFrom": s.value_from()}))
                .collect(),
        ),
    );
    put(
        "portMappings",
        J::Array(
            c.port_mappings()
                .iter()
                .map(|p| {
                    json!({
                        "containerPort": p.container_port(),
                        "hostPort": p.host_port(),
                        "name": p.name(),
                        "protocol": p.protocol().map(|v| v.as_str()),
                    })
                })
                .collect(),
        ),
    );
    put(
        "mountPoints",
        J::Array(
            c.mount_points()
                .iter()
                .map(|p| {
                    json!({
                        "sourceVolume": p.source_volume(),
                        "containerPath": p.container_path(),
                        "readOnly": p.read_only(),
                    })
                })
                .collect(),
        ),
    );
    if let Some(l) = c.log_configuration() {
        put(
            "logConfiguration",
            json!({"logDriver": l.log_driver().as_str(), "options": l.options()}),
        );
    }
    if let Some(h) = c.health_check() {
        put(
            "healthCheck",
            json!({
                "command": h.command(),
                "interval": h.interval(),
                "timeout": h.timeout(),
                "retries": h.retries(),
                "startPeriod": h.start_period(),
            }),
        );
    }
    put("user", json!(c.user()));
    put(
        "readonlyRootFilesystem",
        json!(c.readonly_root_filesystem()),
    );
    if let Some(l) = c.linux_parameters() {
        put(
            "linuxParameters",
            json!({"initProcessEnabled": l.init_process_enabled()}),
        );
    }
    put(
        "dependsOn",
        J::Array(
            c.depends_on()
                .iter()
                .map(|d| json!({"containerName": d.container_name(), "condition": d.condition().as_str()}))
                .collect(),
        ),
    );
    put("stopTimeout", json!(c.stop_timeout()));
    put("startTimeout", json!(c.start_timeout()));
    put("dockerLabels", json!(c.docker_labels()));
    put(
        "ulimits",
        J::Array(
            c.ulimits()
                .iter()
                .map(|u| json!({"name": u.name().as_str(), "softLimit": u.soft_limit(), "hardLimit": u.hard_limit()}))
                .collect(),
        ),
    );
    J::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITTEN: &str = r#"[{"name":"api","image":"repo/api:sha-1","essential":true,"cpu":0,
        "portMappings":[{"containerPort":8000,"hostPort":8000,"protocol":"tcp"}],
        "environment":[{"name":"B","value":"2"},{"name":"A","value":"1"}],
        "secrets":[{"name":"SECRET_KEY","valueFrom":"arn:aws:secretsmanager:eu-west-2:1:secret:k"}],
        "mountPoints":[],"volumesFrom":null}]"#;

    #[test]
    fn the_defaults_ecs_fills_in_compare_equal_to_leaving_them_out() {
        let answered = canonical(WRITTEN).unwrap();
        let minimal = canonical(
            r#"[{"image":"repo/api:sha-1","name":"api","portMappings":[{"containerPort":8000}],
            "environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
            "secrets":[{"valueFrom":"arn:aws:secretsmanager:eu-west-2:1:secret:k","name":"SECRET_KEY"}]}]"#,
        )
        .unwrap();
        assert_eq!(answered, minimal);
        assert!(!answered.contains("essential"), "{answered}");
        assert!(!answered.contains("tcp"), "{answered}");
    }

    #[test]
    fn what_is_not_a_default_is_kept() {
        let c = canonical(r#"[{"name":"w","essential":false,"cpu":128,"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"udp"}]}]"#).unwrap();
        for kept in ["\"essential\":false", "\"cpu\":128", "8080", "udp"] {
            assert!(c.contains(kept), "{kept} missing from {c}");
        }
    }

    #[test]
    fn a_round_trip_through_the_sdk_is_canonical() {
        let sdk = to_sdk(WRITTEN).unwrap();
        assert_eq!(from_sdk(&sdk), canonical(WRITTEN).unwrap());
    }

    #[test]
    fn keys_not_mapped_yet_are_named() {
        assert_eq!(
            unsupported_keys(
                r#"[{"name":"api","image":"x","firelensConfiguration":{"type":"fluentbit"}}]"#
            ),
            vec!["api.firelensConfiguration".to_string()]
        );
        // An empty value of any key means nothing.
        assert_eq!(unsupported_keys(WRITTEN), Vec::<String>::new());
    }

    #[test]
    fn not_an_array_of_objects_has_no_canonical_form() {
        assert_eq!(canonical("{}"), None);
        assert_eq!(canonical("[1]"), None);
        assert_eq!(canonical("not json"), None);
    }
}
