//! cairn resource types backed by Amazon EC2. One file per resource type,
//! each implementing [`cairn_core::Resource`]; `common` holds the client and
//! the tag and filter helpers they share.

mod common;
mod data;
mod eip;
mod flow_log;
mod instance;
mod internet_gateway;
mod nat_gateway;
mod network_checks;
mod peering;
mod route;
mod route_table;
mod route_table_association;
mod routes;
mod security_group;
mod security_group_rule;
mod subnet;
mod vpc;
mod vpc_endpoint;

use std::sync::Arc;

use cairn_aws::AwsContext;
use cairn_core::Registry;

pub use common::Ec2;

/// Adds every EC2 resource type to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let ec2 = Arc::new(Ec2::new(aws.clone()));
    registry.add_resource(Arc::new(vpc::Vpc::new(ec2.clone())));
    registry.add_resource(Arc::new(subnet::Subnet::new(ec2.clone())));
    registry.add_resource(Arc::new(internet_gateway::InternetGateway::new(
        ec2.clone(),
    )));
    registry.add_resource(Arc::new(eip::Eip::new(ec2.clone())));
    registry.add_resource(Arc::new(flow_log::FlowLog::new(ec2.clone())));
    registry.add_resource(Arc::new(instance::Instance::new(ec2.clone())));
    registry.add_resource(Arc::new(vpc_endpoint::VpcEndpoint::new(ec2.clone())));
    registry.add_resource(Arc::new(nat_gateway::NatGateway::new(ec2.clone())));
    registry.add_resource(Arc::new(peering::Peering::requester(ec2.clone())));
    registry.add_resource(Arc::new(peering::Peering::accepter(ec2.clone())));
    registry.add_resource(Arc::new(route::Route::new(ec2.clone())));
    registry.add_resource(Arc::new(route_table::RouteTable::new(ec2.clone())));
    registry.add_resource(Arc::new(
        route_table_association::RouteTableAssociation::new(ec2.clone()),
    ));
    registry.add_resource(Arc::new(security_group_rule::SecurityGroupRule::ingress(
        ec2.clone(),
    )));
    registry.add_resource(Arc::new(security_group_rule::SecurityGroupRule::egress(
        ec2.clone(),
    )));
    registry.add_resource(Arc::new(security_group::SecurityGroup::new(ec2.clone())));
    registry.add_data_source(Arc::new(data::vpc::VpcData::new(ec2.clone())));
    registry.add_data_source(Arc::new(data::subnets::SubnetsData::new(ec2.clone())));
    registry.add_data_source(Arc::new(data::security_group::SecurityGroupData::new(
        ec2.clone(),
    )));
    registry.add_data_source(Arc::new(
        data::availability_zones::AvailabilityZonesData::new(ec2.clone()),
    ));
    registry.add_data_source(Arc::new(data::ami::AmiData::new(ec2)));
    registry.add_check(Arc::new(network_checks::NetworkChecks));
}
