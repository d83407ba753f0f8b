//! Checks across resources that AWS would otherwise make at apply time,
//! made offline wherever the values are written in the configuration: a
//! subnet outside its VPC, two subnets of a VPC overlapping, a zone outside
//! the provider's region, peering between overlapping networks. Each is a
//! located diagnostic; values known only later are not checked here.

use std::collections::HashMap;

use cairn_core::schema::parse_ipv4_cidr;
use cairn_core::Address;
use cairn_lang::{Diagnostic, Expr, ExprKind, ResourceBlock, Span, Stack};

/// A literal string attribute with its span.
fn literal<'a>(block: &'a ResourceBlock, attr: &str) -> Option<(&'a str, Span)> {
    let e = block.attributes.get(attr)?;
    match &e.kind {
        ExprKind::Literal(v) => v.0.as_str().map(|s| (s, e.span)),
        _ => None,
    }
}

/// The managed resource an attribute refers to as a whole (`${aws_vpc.x.id}`).
fn target<'a>(block: &'a ResourceBlock, attr: &str) -> Option<&'a Address> {
    match &block.attributes.get(attr)?.kind {
        ExprKind::Ref(r) if !r.address().is_data() => Some(r.address()),
        _ => None,
    }
}

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

pub fn check(stack: &Stack) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let by_address: HashMap<&Address, &ResourceBlock> =
        stack.resources.iter().map(|r| (&r.address, r)).collect();
    let vpc_cidr = |a: &Address| -> Option<(Net, &str, Span)> {
        let b = by_address.get(a)?;
        if b.address.type_name != "aws_vpc" {
            return None;
        }
        let (s, span) = literal(b, "cidr_block")?;
        Some((net(s)?, s, span))
    };
    let region = stack.providers.get("aws").and_then(|p| p.region.clone());

    // Subnets: inside their VPC, apart from each other, in the region.
    let mut seen: HashMap<&Address, Vec<(Net, &str, &Address)>> = HashMap::new();
    for b in stack
        .resources
        .iter()
        .filter(|r| !r.address.is_data() && r.address.type_name == "aws_subnet")
    {
        if let (Some(region), Some((zone, span))) = (&region, literal(b, "availability_zone")) {
            let in_region = zone.strip_prefix(region.as_str()).is_some_and(|rest| {
                rest.len() == 1 && rest.chars().all(|c| c.is_ascii_lowercase())
            });
            if !in_region {
                out.push(
                    Diagnostic::at(
                        format!(
                            "availability zone `{zone}` is not in the provider's region `{region}`"
                        ),
                        span,
                    )
                    .hint(format!(
                        "zones of {region} are named {region}a, {region}b, ..."
                    )),
                );
            }
        }
        let (Some((cidr, span)), Some(vpc)) = (literal(b, "cidr_block"), target(b, "vpc_id"))
        else {
            continue;
        };
        let Some(mine) = net(cidr) else { continue };
        if let Some((outer, outer_text, outer_span)) = vpc_cidr(vpc) {
            if !contains(outer, mine) {
                out.push(
                    Diagnostic::at(
                        format!("subnet `{cidr}` is not inside its VPC's range `{outer_text}`"),
                        span,
                    )
                    .note(outer_span, format!("{vpc}'s range")),
                );
            }
        }
        let others = seen.entry(vpc).or_default();
        if let Some((_, other_text, other)) = others.iter().find(|(n, _, _)| overlap(*n, mine)) {
            let other_span = by_address
                .get(other)
                .and_then(|o| literal(o, "cidr_block"))
                .map(|(_, s)| s);
            let mut d = Diagnostic::at(
                format!("subnet `{cidr}` overlaps `{other_text}` of {other} in the same VPC"),
                span,
            );
            if let Some(s) = other_span {
                d = d.note(s, "the other subnet");
            }
            out.push(d);
        }
        others.push((mine, cidr, &b.address));
    }

    // Peering: the two networks must not overlap.
    for b in stack
        .resources
        .iter()
        .filter(|r| !r.address.is_data() && r.address.type_name == "aws_vpc_peering_connection")
    {
        let (Some(a), Some(p)) = (target(b, "vpc_id"), target(b, "peer_vpc_id")) else {
            continue;
        };
        if let (Some((na, ta, _)), Some((np, tp, _))) = (vpc_cidr(a), vpc_cidr(p)) {
            if overlap(na, np) {
                let span = b
                    .attributes
                    .get("peer_vpc_id")
                    .map(|e: &Expr| e.span)
                    .unwrap_or(b.span);
                out.push(
                    Diagnostic::at(
                        format!("cannot peer {a} (`{ta}`) with {p} (`{tp}`): their ranges overlap"),
                        span,
                    )
                    .hint("VPC peering needs non-overlapping CIDR blocks"),
                );
            }
        }
    }
    out
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
