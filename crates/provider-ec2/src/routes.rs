//! What `aws_route_table`'s inline routes and `aws_route` share: a route's
//! destination and target, to and from the SDK.

use aws_sdk_ec2::types::{Route, RouteOrigin, RouteState};
use cairn_core::{Attribute, Attrs, Check, Object, Schema, Value};

/// Where a route goes: exactly one of these.
pub const DESTINATIONS: &[&str] = &[
    "cidr_block",
    "ipv6_cidr_block",
    "destination_prefix_list_id",
];

/// What it goes through: exactly one of these.
pub const TARGETS: &[&str] = &[
    "gateway_id",
    "nat_gateway_id",
    "vpc_peering_connection_id",
    "vpc_endpoint_id",
    "transit_gateway_id",
    "network_interface_id",
    "egress_only_gateway_id",
];

/// The attributes of one route (inline in a table, or an `aws_route`, where
/// `cidr_block` is spelled `destination_cidr_block`).
pub fn route_schema() -> Schema {
    let mut s = Schema::new()
        .attr("cidr_block", Attribute::string().check(Check::Ipv4Cidr))
        .attr("ipv6_cidr_block", Attribute::string())
        .attr("destination_prefix_list_id", Attribute::string());
    for t in TARGETS {
        s = s.attr(t, Attribute::string());
    }
    s
}

/// Routes cairn manages: not the VPC's `local` route, not propagated ones.
pub fn is_managed(r: &Route) -> bool {
    r.gateway_id() != Some("local")
        && r.origin() != Some(&RouteOrigin::CreateRouteTable)
        && r.origin() != Some(&RouteOrigin::EnableVgwRoutePropagation)
        && r.state() != Some(&RouteState::Blackhole)
}

/// A route as an object with every destination and target key (unset ones null).
pub fn route_object(r: &Route) -> Object {
    let mut o = Object::new();
    o.insert("cidr_block".into(), Value::from(r.destination_cidr_block()));
    o.insert(
        "ipv6_cidr_block".into(),
        Value::from(r.destination_ipv6_cidr_block()),
    );
    o.insert(
        "destination_prefix_list_id".into(),
        Value::from(r.destination_prefix_list_id()),
    );
    // The SDK reports VPC endpoints (gateway type) in gateway_id.
    let gateway = r.gateway_id();
    let (gateway, endpoint) = match gateway {
        Some(g) if g.starts_with("vpce-") => (None, Some(g)),
        other => (other, None),
    };
    o.insert("gateway_id".into(), Value::from(gateway));
    o.insert("vpc_endpoint_id".into(), Value::from(endpoint));
    o.insert("nat_gateway_id".into(), Value::from(r.nat_gateway_id()));
    o.insert(
        "vpc_peering_connection_id".into(),
        Value::from(r.vpc_peering_connection_id()),
    );
    o.insert(
        "transit_gateway_id".into(),
        Value::from(r.transit_gateway_id()),
    );
    o.insert(
        "network_interface_id".into(),
        Value::from(r.network_interface_id()),
    );
    o.insert(
        "egress_only_gateway_id".into(),
        Value::from(r.egress_only_internet_gateway_id()),
    );
    o
}

/// The destination of a route object: (key, value).
pub fn destination(o: &Object) -> Option<(&'static str, String)> {
    DESTINATIONS.iter().find_map(|k| {
        o.get(*k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| (*k, s.to_string()))
    })
}

/// Whether two routes go through the same target.
pub fn same_target(a: &Object, b: &Object) -> bool {
    let get = |o: &Object, k: &str| o.str(k).filter(|s| !s.is_empty()).map(str::to_string);
    TARGETS.iter().all(|k| get(a, k) == get(b, k))
}

/// Checks a configured route names one destination and one target.
pub fn check_route(o: &Object) -> Result<(), String> {
    let set = |keys: &[&str]| {
        keys.iter()
            .filter(|k| o.get(**k).is_some_and(|v| !v.is_null()))
            .count()
    };
    match (set(DESTINATIONS), set(TARGETS)) {
        (1, 1) => Ok(()),
        (d, _) if d != 1 => Err(format!(
            "a route needs exactly one destination ({}), found {d}",
            DESTINATIONS.join(", ")
        )),
        (_, t) => Err(format!(
            "a route needs exactly one target ({}), found {t}",
            TARGETS.join(", ")
        )),
    }
}

/// Sets a route's destination and target on a CreateRoute / ReplaceRoute
/// builder, through the setters both have.
macro_rules! route_fields {
    ($b:expr, $o:expr) => {{
        let s = |k: &str| {
            $o.get(k)
                .and_then(cairn_core::Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        $b.set_destination_cidr_block(s("cidr_block"))
            .set_destination_ipv6_cidr_block(s("ipv6_cidr_block"))
            .set_destination_prefix_list_id(s("destination_prefix_list_id"))
            .set_gateway_id(s("gateway_id"))
            .set_vpc_endpoint_id(s("vpc_endpoint_id"))
            .set_nat_gateway_id(s("nat_gateway_id"))
            .set_vpc_peering_connection_id(s("vpc_peering_connection_id"))
            .set_transit_gateway_id(s("transit_gateway_id"))
            .set_network_interface_id(s("network_interface_id"))
            .set_egress_only_internet_gateway_id(s("egress_only_gateway_id"))
    }};
}
pub(crate) use route_fields;
