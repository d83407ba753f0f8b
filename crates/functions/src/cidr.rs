//! cidrhost, cidrnetmask, cidrsubnet, cidrsubnets: IPv4 and IPv6 prefix
//! arithmetic, with addresses held as `u128` so both families share the code.

use std::net::{Ipv4Addr, Ipv6Addr};

use cairn_core::Value;

use crate::args::{Args, Fail};
use crate::Context;

#[derive(Debug, Clone, Copy)]
struct Net {
    /// The network address (host bits cleared).
    addr: u128,
    prefix: u32,
    /// 32 or 128.
    bits: u32,
}

impl Net {
    fn host_mask(&self) -> u128 {
        ones(self.bits - self.prefix)
    }

    fn last(&self) -> u128 {
        self.addr | self.host_mask()
    }

    fn render(&self) -> String {
        format!("{}/{}", render_addr(self.addr, self.bits), self.prefix)
    }
}

/// The low `n` bits set (n <= 128).
fn ones(n: u32) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

fn render_addr(addr: u128, bits: u32) -> String {
    if bits == 32 {
        // The address was built from 32 bits, so this cannot truncate.
        Ipv4Addr::from((addr & ones(32)) as u32).to_string()
    } else {
        Ipv6Addr::from(addr).to_string()
    }
}

/// Parses `addr/len`. Host bits may be set (`10.0.0.5/24` means
/// `10.0.0.0/24`), as with Go's ParseCIDR that Terraform uses.
fn parse_cidr(s: &str) -> Result<Net, String> {
    let bad = || format!("invalid CIDR address: {s}");
    let (ip, len) = s.split_once('/').ok_or_else(bad)?;
    let (addr, bits) = if ip.contains(':') {
        let v6: Ipv6Addr = ip.parse().map_err(|_| bad())?;
        (u128::from(v6), 128)
    } else {
        (u128::from(parse_ipv4(ip).ok_or_else(bad)?), 32)
    };
    if len.is_empty() || len.len() > 3 || !len.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let prefix: u32 = len.parse().map_err(|_| bad())?;
    if prefix > bits {
        return Err(bad());
    }
    let host = ones(bits - prefix);
    Ok(Net {
        addr: addr & !host,
        prefix,
        bits,
    })
}

/// Dotted-quad IPv4. Leading zeros are decimal, not octal: Terraform kept
/// Go's historical parser so existing stacks with `010.0.0.0` still mean 10.
fn parse_ipv4(s: &str) -> Option<u32> {
    let mut out: u32 = 0;
    let mut parts = 0;
    for part in s.split('.') {
        parts += 1;
        if parts > 4 || part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut octet: u32 = 0;
        for c in part.bytes() {
            octet = octet.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
            if octet > 255 {
                return None;
            }
        }
        out = (out << 8) | octet;
    }
    (parts == 4).then_some(out)
}

fn network(a: &Args) -> Result<Net, Fail> {
    let s = a.string(0)?;
    parse_cidr(&s).map_err(|e| Fail::at(0, format!("invalid CIDR expression: {e}")))
}

pub(crate) fn cidrsubnet(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let net = network(a)?;
    let newbits = a.integer(1)?;
    let netnum = a.integer(2)?;
    if newbits < 0 {
        return Err(Fail::at(1, "newbits must not be negative"));
    }
    if netnum < 0 {
        return Err(Fail::at(2, "netnum must not be negative"));
    }
    let available = i64::from(net.bits - net.prefix);
    if newbits > available {
        return Err(Fail::at(
            1,
            format!(
                "insufficient address space to extend prefix of {} by {newbits}",
                net.prefix
            ),
        ));
    }
    // newbits <= 128 from here on; netnum < 2^53, so only a small newbits can
    // be too narrow for it.
    let newbits = newbits as u32;
    if newbits < 64 && (netnum as u64) >> newbits != 0 {
        return Err(Fail::at(
            2,
            format!(
                "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
            ),
        ));
    }
    let new_prefix = net.prefix + newbits;
    let shift = net.bits - new_prefix;
    // A shift of the full width only happens with netnum 0 (checked above).
    let offset = (netnum as u128).checked_shl(shift).unwrap_or(0);
    let sub = Net {
        addr: net.addr | offset,
        prefix: new_prefix,
        bits: net.bits,
    };
    Ok(Value::String(sub.render()))
}

pub(crate) fn cidrhost(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let net = network(a)?;
    let hostnum = a.integer(1)?;
    let max = net.host_mask();
    // A negative number counts back from the last address: -1 is the last.
    let host = if hostnum >= 0 {
        Some(hostnum as u128).filter(|h| *h <= max)
    } else {
        let back = u128::from(hostnum.unsigned_abs() - 1);
        (back <= max).then(|| max - back)
    };
    let Some(host) = host else {
        return Err(Fail::at(
            1,
            format!(
                "prefix of {} does not accommodate a host numbered {hostnum}",
                net.prefix
            ),
        ));
    };
    Ok(Value::String(render_addr(net.addr | host, net.bits)))
}

pub(crate) fn cidrnetmask(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let net = network(a)?;
    if net.bits != 32 {
        return Err(Fail::at(
            0,
            format!("IPv6 addresses cannot have a netmask: {}", a.string(0)?),
        ));
    }
    Ok(Value::String(render_addr(!net.host_mask() & ones(32), 32)))
}

/// Allocates consecutive subnets: each starts at the first address after
/// the previous one, rounded up to its own size, as Terraform does.
pub(crate) fn cidrsubnets(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let net = network(a)?;
    let family = if net.bits == 32 { "IPv4" } else { "IPv6" };
    let mut out = Vec::new();
    // None once the allocation has reached the very end of the address space.
    let mut cursor = Some(net.addr);
    let mut previous: Option<Net> = None;
    for i in 1..a.len() {
        let newbits = a.integer(i)?;
        if newbits < 1 {
            return Err(Fail::at(i, "must extend prefix by at least one bit").plain());
        }
        // Terraform's limit, kept so stacks stay portable between the two.
        if newbits > 32 {
            return Err(Fail::at(i, "may not extend prefix by more than 32 bits").plain());
        }
        let new_prefix = net.prefix + newbits as u32;
        if new_prefix > net.bits {
            return Err(Fail::at(
                i,
                format!(
                    "would extend prefix to {new_prefix} bits, which is too long for an {family} address"
                ),
            ));
        }
        let span = ones(net.bits - new_prefix);
        let start = cursor.and_then(|c| c.checked_add(span)).map(|c| c & !span);
        let fits = start
            .and_then(|s| s.checked_add(span))
            .is_some_and(|end| end <= net.last());
        let (Some(start), true) = (start, fits) else {
            let after = previous.unwrap_or(net).render();
            return Err(Fail::at(
                i,
                format!(
                    "not enough remaining address space for a subnet with a prefix of {new_prefix} bits after {after}"
                ),
            ));
        };
        let sub = Net {
            addr: start,
            prefix: new_prefix,
            bits: net.bits,
        };
        out.push(Value::String(sub.render()));
        cursor = start.checked_add(span).and_then(|e| e.checked_add(1));
        previous = Some(sub);
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;

    #[test]
    fn cidrsubnet_matches_terraform() {
        let cases = [
            ("10.40.0.0/24", 2.0, 3.0, "10.40.0.192/26"),
            ("10.1.2.0/24", 4.0, 15.0, "10.1.2.240/28"),
            ("172.16.0.0/12", 4.0, 2.0, "172.18.0.0/16"),
            ("10.1.2.0/24", 0.0, 0.0, "10.1.2.0/24"),
            // Host bits in the prefix are ignored.
            ("10.1.2.77/24", 8.0, 5.0, "10.1.2.5/32"),
            (
                "fd00:fd12:3456:7890::/56",
                16.0,
                162.0,
                "fd00:fd12:3456:7800:a200::/72",
            ),
            ("0.0.0.0/0", 8.0, 255.0, "255.0.0.0/8"),
        ];
        for (prefix, newbits, netnum, want) in cases {
            assert_same(
                &ok("cidrsubnet", vec![s(prefix), n(newbits), n(netnum)]),
                &s(want),
            );
        }
        // Numeric strings convert, as in Terraform.
        assert_same(
            &ok("cidrsubnet", vec![s("10.0.0.0/8"), s("8"), s("2")]),
            &s("10.2.0.0/16"),
        );
    }

    #[test]
    fn cidrsubnet_errors() {
        err_at(
            "cidrsubnet",
            vec![s("10.0.0.0/33"), n(1.0), n(0.0)],
            Some(0),
            "invalid CIDR expression: invalid CIDR address: 10.0.0.0/33",
        );
        err_at(
            "cidrsubnet",
            vec![s("10.0.0.0"), n(1.0), n(0.0)],
            Some(0),
            "invalid CIDR address",
        );
        err_at(
            "cidrsubnet",
            vec![s("10.0.0.0/24"), n(10.0), n(0.0)],
            Some(1),
            "insufficient address space to extend prefix of 24 by 10",
        );
        err_at(
            "cidrsubnet",
            vec![s("10.0.0.0/24"), n(2.0), n(4.0)],
            Some(2),
            "prefix extension of 2 does not accommodate a subnet numbered 4",
        );
        err_at(
            "cidrsubnet",
            vec![s("10.0.0.0/24"), n(2.0), n(-1.0)],
            Some(2),
            "must not be negative",
        );
        err_at(
            "cidrsubnet",
            vec![s("10.0.0.0/24"), n(1.5), n(0.0)],
            Some(1),
            "invalid value for \"newbits\": a whole number is required, got 1.5",
        );
        err_at(
            "cidrsubnet",
            vec![list(vec![]), n(1.0), n(0.0)],
            Some(0),
            "invalid value for \"prefix\": a string is required, got list",
        );
    }

    #[test]
    fn cidrhost_matches_terraform() {
        let cases = [
            ("10.12.112.0/20", 16.0, "10.12.112.16"),
            ("10.12.112.0/20", 268.0, "10.12.113.12"),
            (
                "fd00:fd12:3456:7890:00a2::/72",
                34.0,
                "fd00:fd12:3456:7890::22",
            ),
            ("10.0.0.0/24", -1.0, "10.0.0.255"),
            ("10.0.0.0/24", -256.0, "10.0.0.0"),
            ("10.0.0.7/32", 0.0, "10.0.0.7"),
            ("::/0", -1.0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            // Leading zeros are decimal, as in Terraform.
            ("010.001.0.0/16", 1.0, "10.1.0.1"),
        ];
        for (prefix, hostnum, want) in cases {
            assert_same(&ok("cidrhost", vec![s(prefix), n(hostnum)]), &s(want));
        }
    }

    #[test]
    fn cidrhost_errors() {
        err_at(
            "cidrhost",
            vec![s("10.0.0.0/24"), n(256.0)],
            Some(1),
            "prefix of 24 does not accommodate a host numbered 256",
        );
        err_at(
            "cidrhost",
            vec![s("10.0.0.0/24"), n(-257.0)],
            Some(1),
            "host numbered -257",
        );
        err_at(
            "cidrhost",
            vec![s("10.0.256.0/24"), n(1.0)],
            Some(0),
            "invalid CIDR address: 10.0.256.0/24",
        );
        err_at(
            "cidrhost",
            vec![s("10.0.0.0/24"), s("x")],
            Some(1),
            "cannot convert \"x\" to a number",
        );
    }

    #[test]
    fn cidrnetmask_matches_terraform() {
        assert_same(
            &ok("cidrnetmask", vec![s("172.16.0.0/12")]),
            &s("255.240.0.0"),
        );
        assert_same(
            &ok("cidrnetmask", vec![s("10.0.0.0/32")]),
            &s("255.255.255.255"),
        );
        assert_same(&ok("cidrnetmask", vec![s("0.0.0.0/0")]), &s("0.0.0.0"));
        err_at(
            "cidrnetmask",
            vec![s("fd00::/8")],
            Some(0),
            "IPv6 addresses cannot have a netmask: fd00::/8",
        );
        err_at(
            "cidrnetmask",
            vec![s("x/8")],
            Some(0),
            "invalid CIDR address: x/8",
        );
    }

    #[test]
    fn cidrsubnets_matches_terraform() {
        assert_same(
            &ok(
                "cidrsubnets",
                vec![s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)],
            ),
            &strs(&[
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20",
            ]),
        );
        assert_same(
            &ok(
                "cidrsubnets",
                vec![
                    s("fd00:fd12:3456:7890::/56"),
                    n(16.0),
                    n(16.0),
                    n(16.0),
                    n(32.0),
                ],
            ),
            &strs(&[
                "fd00:fd12:3456:7800::/72",
                "fd00:fd12:3456:7800:100::/72",
                "fd00:fd12:3456:7800:200::/72",
                "fd00:fd12:3456:7800:300::/88",
            ]),
        );
        assert_same(&ok("cidrsubnets", vec![s("10.0.0.0/8")]), &list(vec![]));
        // The allocation may end exactly at the top of the address space.
        assert_same(
            &ok(
                "cidrsubnets",
                vec![
                    s("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"),
                    n(1.0),
                    n(1.0),
                ],
            ),
            &strs(&[
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/121",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff80/121",
            ]),
        );
    }

    #[test]
    fn cidrsubnets_errors() {
        err_at(
            "cidrsubnets",
            vec![s("10.0.0.0/30"), n(1.0), n(1.0), n(1.0)],
            Some(3),
            "not enough remaining address space for a subnet with a prefix of 31 bits after 10.0.0.2/31",
        );
        err_at(
            "cidrsubnets",
            vec![
                s("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"),
                n(1.0),
                n(1.0),
                n(1.0),
            ],
            Some(3),
            "not enough remaining address space",
        );
        err_at(
            "cidrsubnets",
            vec![s("10.0.0.0/8"), n(4.0), n(0.0)],
            Some(2),
            "must extend prefix by at least one bit",
        );
        err_at(
            "cidrsubnets",
            vec![s("fd00::/8"), n(33.0)],
            Some(1),
            "may not extend prefix by more than 32 bits",
        );
        err_at(
            "cidrsubnets",
            vec![s("10.0.0.0/24"), n(9.0)],
            Some(1),
            "would extend prefix to 33 bits, which is too long for an IPv4 address",
        );
        err_at(
            "cidrsubnets",
            vec![s("nope"), n(1.0)],
            Some(0),
            "invalid CIDR expression",
        );
    }
}
