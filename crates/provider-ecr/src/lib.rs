//! cairn resource types backed by Amazon ECR, one file each:
//! `aws_ecr_repository`, `aws_ecr_lifecycle_policy`; data source
//! `aws_ecr_repository`.

mod data_repository;
mod lifecycle_policy;
mod repository;

use std::sync::Arc;

use aws_sdk_ecr::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient, Tagging};
use cairn_core::Registry;

/// Adds the ECR types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let ecr = Arc::new(Ecr::new(aws.clone(), sdk_client!(aws_sdk_ecr)));
    let tagging = Arc::new(Tagging::new(aws.clone()));
    registry.add_resource(Arc::new(repository::Repository::new(ecr.clone(), tagging)));
    registry.add_resource(Arc::new(lifecycle_policy::LifecyclePolicy::new(
        ecr.clone(),
    )));
    registry.add_data_source(Arc::new(data_repository::RepositoryData::new(ecr)));
}

/// The ECR client every ECR type shares.
pub type Ecr = LazyClient<Client>;
