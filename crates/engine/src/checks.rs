//! Checks across resources that AWS would otherwise make at apply time,
//! made offline wherever the values are written in the configuration: a
//! subnet outside its VPC, two subnets of a VPC overlapping, a zone outside
//! the provider's region, peering between overlapping networks. Each is a
//! located diagnostic; values known only later are not checked here.

use std::collections::HashMap;

use cairn_core::schema::parse_ipv4_cidr;
use cairn_lang::{
    Diagnostic, ExprKind, ResourceBlock, ResourceRef, Scope, Span, Stack, StaticScope, Subject,
};

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

/// The cross-resource checks, for every module configuration once: values
/// written in the files or computed from the root's variables count.
pub fn check(stack: &Stack) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for node in &stack.tree {
        if seen.insert(node.module) {
            let scope = StaticScope::of(stack, node.module);
            let region = stack.providers.get("aws").and_then(|p| p.region.clone());
            let blocks = &stack.modules[node.module].resources;
            let repeated = |b: &ResourceBlock| b.repetition.is_some();
            // Per-instance values of repeated blocks are not known here.
            let singles: Vec<&ResourceBlock> = blocks.iter().filter(|b| !repeated(b)).collect();
            module(&mut out, &singles, &scope, node, stack, region.as_deref());
        }
    }
    out
}

/// A known string attribute with its span.
fn known(block: &ResourceBlock, attr: &str, scope: &dyn Scope) -> Option<(String, Span)> {
    let e = block.attributes.get(attr)?;
    let v = e.eval(scope).ok()?;
    v.as_str()
        .filter(|_| v.is_wholly_known() && !v.is_sensitive())
        .map(|s| (s.to_string(), e.span))
}

/// The managed resource an attribute refers to as a whole (`${aws_vpc.x.id}`).
fn target<'a>(block: &'a ResourceBlock, attr: &str) -> Option<&'a ResourceRef> {
    match &block.attributes.get(attr)?.kind {
        ExprKind::Ref(r) => match &r.subject {
            Subject::Resource(t) if t.mode == cairn_core::Mode::Managed => Some(t),
            _ => None,
        },
        _ => None,
    }
}

fn module(
    out: &mut Vec<Diagnostic>,
    blocks: &[&ResourceBlock],
    scope: &dyn Scope,
    node: &cairn_lang::ModuleNode,
    stack: &Stack,
    default_region: Option<&str>,
) {
    let by_ref: HashMap<ResourceRef, &ResourceBlock> =
        blocks.iter().map(|b| (b.id(), *b)).collect();
    let vpc_cidr = |r: &ResourceRef| -> Option<(Net, String, Span)> {
        let b = by_ref.get(r)?;
        if b.address.type_name != "aws_vpc" {
            return None;
        }
        let (s, span) = known(b, "cidr_block", scope)?;
        Some((net(&s)?, s, span))
    };

    // Subnets: inside their VPC, apart from each other, in the region.
    let mut seen: HashMap<&ResourceRef, Vec<(Net, String, &ResourceBlock)>> = HashMap::new();
    for b in blocks
        .iter()
        .filter(|r| !r.address.is_data() && r.address.type_name == "aws_subnet")
    {
        let provider = stack.provider_of(node, b);
        let region = match stack.providers.get(&provider) {
            Some(p) => p.region.as_deref(),
            None => default_region,
        };
        if let (Some(region), Some((zone, span))) = (region, known(b, "availability_zone", scope)) {
            let in_region = zone.strip_prefix(region).is_some_and(|rest| {
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
        let (Some((cidr, span)), Some(vpc)) = (known(b, "cidr_block", scope), target(b, "vpc_id"))
        else {
            continue;
        };
        let Some(mine) = net(&cidr) else { continue };
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
            let mut d = Diagnostic::at(
                format!(
                    "subnet `{cidr}` overlaps `{other_text}` of {} in the same VPC",
                    other.address
                ),
                span,
            );
            if let Some((_, s)) = known(other, "cidr_block", scope) {
                d = d.note(s, "the other subnet");
            }
            out.push(d);
        }
        others.push((mine, cidr, b));
    }

    // Peering: the two networks must not overlap.
    for b in blocks
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
                    .map(|e| e.span)
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
