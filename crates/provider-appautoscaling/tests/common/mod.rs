//! ECS services made outside cairn, for scalable targets to scale: moto's
//! RegisterScalableTarget checks that the service exists.

use aws_sdk_ecs::types::{Compatibility, ContainerDefinition, LaunchType, NetworkMode};

/// A cluster, a FARGATE task definition and one service per name; returns
/// each service's resource id (`service/CLUSTER/SERVICE`).
pub async fn ecs_services(ecs: &aws_sdk_ecs::Client, cluster: &str, names: &[&str]) -> Vec<String> {
    ecs.create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .unwrap();
    ecs.register_task_definition()
        .family(format!("{cluster}-app"))
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("public.ecr.aws/nginx/nginx:latest")
                .essential(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for name in names {
        ecs.create_service()
            .cluster(cluster)
            .service_name(*name)
            .task_definition(format!("{cluster}-app"))
            .desired_count(1)
            .launch_type(LaunchType::Fargate)
            .send()
            .await
            .unwrap();
        ids.push(format!("service/{cluster}/{name}"));
    }
    ids
}
