//! Offline between a service and its task definition: a load balancer
//! entry naming a container or port the task definition does not have
//! fails only when ECS starts the deployment, after the rest of the apply
//! landed. Checked when both are known before the apply (written in the
//! files or from variables); a document built from values known only
//! later is checked by ECS.

use cairn_core::checks::{Finding, ModuleView, StackCheck};
use cairn_core::{Attrs, Value};

use crate::container_definitions::container_ports;

pub struct ContainerPorts;

impl StackCheck for ContainerPorts {
    fn check(&self, m: &ModuleView) -> Vec<Finding> {
        let mut out = Vec::new();
        for (i, service) in m.managed("aws_ecs_service") {
            let Some((t, task)) = m.target(service, "task_definition", "aws_ecs_task_definition")
            else {
                continue;
            };
            let (Some(balancers), Some(document)) = (
                service.values.get("load_balancer").and_then(Value::as_list),
                task.values
                    .get("container_definitions")
                    .and_then(Value::as_str),
            ) else {
                continue;
            };
            let ports = container_ports(document);
            for lb in balancers.iter().filter_map(Value::as_map) {
                let (Some(name), Some(port)) = (lb.str("container_name"), lb.i64("container_port"))
                else {
                    continue;
                };
                let problem = match ports.get(name) {
                    None => format!(
                        "the load balancer sends to container `{name}`, which {} does not define",
                        task.address
                    ),
                    Some(mapped) if !mapped.contains(&port) => format!(
                        "the load balancer sends to port {port} of container `{name}`, which maps {}",
                        if mapped.is_empty() {
                            "no ports".to_string()
                        } else {
                            format!(
                                "only {}",
                                mapped.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
                            )
                        }
                    ),
                    Some(_) => continue,
                };
                out.push(
                    Finding::new(i, "load_balancer", problem)
                        .note(t, "container_definitions", "the containers are defined here")
                        .hint("add the port to the container's portMappings, or send to a port it maps"),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use cairn_core::checks::BlockView;
    use cairn_core::Object;

    use super::*;

    fn module(port: i64, container: &str) -> ModuleView {
        let lb: Object = [
            ("container_name".to_string(), Value::from(container)),
            ("container_port".to_string(), Value::from(port)),
            ("target_group_arn".to_string(), Value::from("arn:tg")),
        ]
        .into();
        let task = BlockView {
            address: "aws_ecs_task_definition.api".into(),
            type_name: "aws_ecs_task_definition".into(),
            managed: true,
            values: [(
                "container_definitions".to_string(),
                Value::from(r#"[{"name":"api","portMappings":[{"containerPort":8000}]}]"#),
            )]
            .into(),
            ..Default::default()
        };
        let service = BlockView {
            address: "aws_ecs_service.api".into(),
            type_name: "aws_ecs_service".into(),
            managed: true,
            values: [(
                "load_balancer".to_string(),
                Value::List(vec![Value::Map(lb)]),
            )]
            .into(),
            refs: [("task_definition".to_string(), 0)].into(),
            ..Default::default()
        };
        ModuleView {
            blocks: vec![task, service],
        }
    }

    #[test]
    fn a_port_the_container_maps_passes() {
        assert_eq!(ContainerPorts.check(&module(8000, "api")), vec![]);
    }

    #[test]
    fn a_port_or_container_the_task_lacks_is_found() {
        let wrong_port = ContainerPorts.check(&module(80, "api"));
        assert_eq!(wrong_port.len(), 1);
        assert!(
            wrong_port[0].message.contains("maps only 8000"),
            "{}",
            wrong_port[0].message
        );
        let wrong_name = ContainerPorts.check(&module(8000, "web"));
        assert!(wrong_name[0].message.contains("does not define"));
    }
}
