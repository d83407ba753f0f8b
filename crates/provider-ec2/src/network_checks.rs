//! Network checks AWS would otherwise make at apply time, made offline
//! wherever the values are written in the configuration: a subnet outside
//! its VPC, two subnets of a VPC overlapping, a zone outside the provider's
//! region, peering between overlapping networks.

use std::collections::HashMap;

use cairn_core::checks::{BlockView, Finding, ModuleView, StackCheck};
use cairn_core::schema::parse_ipv4_cidr;

type Net = (u32, u8);

fn net(s: &str) -> Option<Net> {
    parse_ipv4_cidr(s).ok()
}

fn contains(outer: Net, inner: Net) -> bool {
    let mask = |len: u8| if len == 0 { 0 } else { u32::MAX << (32 - len) };
    inner.1 >= outer.1 && (inner.0 & mask(outer.1)) == outer.0
}

fn overlap(a: Net, b: Net) -> bool {
    contains(a, b) || contains(b, a)
}

pub struct NetworkChecks;

impl StackCheck for NetworkChecks {
    fn check(&self, m: &ModuleView) -> Vec<Finding> {
        let mut out = Vec::new();
        subnets(m, &mut out);
        peering(m, &mut out);
        out
    }
}

fn cidr(b: &BlockView) -> Option<(Net, &str)> {
    let text = b.known.get("cidr_block")?;
    Some((net(text)?, text))
}

/// Subnets: inside their VPC, apart from each other, in the region.
fn subnets(m: &ModuleView, out: &mut Vec<Finding>) {
    let mut seen: HashMap<usize, Vec<(Net, &str, usize)>> = HashMap::new();
    for (i, b) in m.managed("aws_subnet") {
        if let (Some(region), Some(zone)) = (&b.region, b.known.get("availability_zone")) {
            let in_region = zone.strip_prefix(region.as_str()).is_some_and(|rest| {
                rest.len() == 1 && rest.chars().all(|c| c.is_ascii_lowercase())
            });
            if !in_region {
                out.push(
                    Finding::new(
                        i,
                        "availability_zone",
                        format!(
                            "availability zone `{zone}` is not in the provider's region `{region}`"
                        ),
                    )
                    .hint(format!(
                        "zones of {region} are named {region}a, {region}b, ..."
                    )),
                );
            }
        }
        let (Some((mine, text)), Some((v, vpc))) = (cidr(b), m.target(b, "vpc_id", "aws_vpc"))
        else {
            continue;
        };
        if let Some((outer, outer_text)) = cidr(vpc) {
            if !contains(outer, mine) {
                out.push(
                    Finding::new(
                        i,
                        "cidr_block",
                        format!("subnet `{text}` is not inside its VPC's range `{outer_text}`"),
                    )
                    .note(v, "cidr_block", format!("{}'s range", vpc.address)),
                );
            }
        }
        let others = seen.entry(v).or_default();
        if let Some((_, other_text, other)) = others.iter().find(|(n, _, _)| overlap(*n, mine)) {
            out.push(
                Finding::new(
                    i,
                    "cidr_block",
                    format!(
                        "subnet `{text}` overlaps `{other_text}` of {} in the same VPC",
                        m.blocks[*other].address
                    ),
                )
                .note(*other, "cidr_block", "the other subnet"),
            );
        }
        others.push((mine, text, i));
    }
}

/// Peering: the two networks must not overlap.
fn peering(m: &ModuleView, out: &mut Vec<Finding>) {
    for (i, b) in m.managed("aws_vpc_peering_connection") {
        let (Some((_, a)), Some((_, p))) = (
            m.target(b, "vpc_id", "aws_vpc"),
            m.target(b, "peer_vpc_id", "aws_vpc"),
        ) else {
            continue;
        };
        if let (Some((na, ta)), Some((np, tp))) = (cidr(a), cidr(p)) {
            if overlap(na, np) {
                out.push(
                    Finding::new(
                        i,
                        "peer_vpc_id",
                        format!(
                            "cannot peer {} (`{ta}`) with {} (`{tp}`): their ranges overlap",
                            a.address, p.address
                        ),
                    )
                    .hint("VPC peering needs non-overlapping CIDR blocks"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_and_overlap() {
        let n = |s| net(s).unwrap();
        assert!(contains(n("10.0.0.0/16"), n("10.0.1.0/24")));
        assert!(!contains(n("10.0.0.0/16"), n("10.1.0.0/24")));
        assert!(!contains(n("10.0.1.0/24"), n("10.0.0.0/16")));
        assert!(overlap(n("10.0.0.0/16"), n("10.0.128.0/17")));
        assert!(!overlap(n("10.0.0.0/24"), n("10.0.1.0/24")));
    }
}
