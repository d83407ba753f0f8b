//! cairn resource types backed by Amazon RDS, one file each:
//! `aws_db_subnet_group`, `aws_db_parameter_group`,
//! `aws_rds_cluster_parameter_group`, `aws_db_instance`, `aws_rds_cluster`,
//! `aws_rds_cluster_instance`; with what they share: tags, generated
//! identifiers, the final-snapshot rule, parameter sets and waits.

mod cluster;
mod cluster_instance;
mod cluster_parameter_group;
mod db_instance;
mod db_parameter_group;
mod describe;
mod final_snapshot;
mod names;
mod parameters;
mod secret;
mod subnet_group;
mod tags;
mod waits;

use std::sync::Arc;

use aws_sdk_rds::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient};
use cairn_core::{ProviderError, Registry};

/// Adds the RDS types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let rds = Arc::new(Rds::new(aws.clone(), sdk_client!(aws_sdk_rds)));
    registry.add_resource(Arc::new(subnet_group::SubnetGroup::new(rds.clone())));
    registry.add_resource(Arc::new(db_parameter_group::DbParameterGroup::new_db(
        rds.clone(),
    )));
    registry.add_resource(Arc::new(
        cluster_parameter_group::ClusterParameterGroup::new_cluster(rds.clone()),
    ));
    registry.add_resource(Arc::new(db_instance::DbInstance::new(rds.clone())));
    registry.add_resource(Arc::new(cluster::Cluster::new(rds.clone())));
    registry.add_resource(Arc::new(cluster_instance::ClusterInstance::new(rds)));
}

/// The RDS client every RDS type shares.
pub type Rds = LazyClient<Client>;

/// Reads that RDS answers only per object (parameters, tags of groups):
/// at most this many at once.
const READ_CONCURRENCY: usize = 8;

/// Identifiers per `Filters` value list of a DescribeDBInstances /
/// DescribeDBClusters call.
const IDS_PER_FILTER: usize = 100;

/// Records per page of an RDS describe (its maximum).
const PAGE_SIZE: i32 = 100;

/// Whether an RDS error says the object does not exist: RDS spells some
/// codes `...NotFoundFault` (`DBClusterNotFoundFault`,
/// `DBSubnetGroupNotFoundFault`), which the kit's rule does not cover.
fn is_gone(e: &ProviderError) -> bool {
    cairn_aws::is_not_found(e) || e.code.ends_with("NotFoundFault")
}

/// `Ok(None)` for an error that says the object is gone.
fn gone_as_none<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}
