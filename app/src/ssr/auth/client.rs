//! Which client a request comes from, for per-client throttles.
//!
//! The peer address of the connection, unless the peer is a configured
//! trusted proxy: then the address that proxy saw (`X-Forwarded-For`, or
//! `Forwarded: for=`), walking right to left past further trusted proxies.
//! Headers from anyone else are ignored, or any client could claim to be
//! anyone. IPv6 clients are grouped by /64 (one customer's line gets a whole
//! /64, so single addresses would be free to rotate through).

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr as _;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client a request comes from, as resolved by [`TrustedProxies::client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// What per-client limits count by: the address, or its /64 for IPv6.
    pub fn throttle_key(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    format!("{}/64", Ipv6Addr::from(prefix))
                }
            },
        }
    }
}

/// Proxies whose forwarding headers are believed (`SHIPWATCH_TRUSTED_PROXIES`:
/// comma-separated addresses or CIDR ranges; empty by default).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `127.0.0.1, 10.0.0.0/8, ::1`; a bad entry is an error naming it.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                IpNet::from_str(entry)
                    .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
                    .map_err(|_| format!("`{entry}` is not an IP address or CIDR range"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: the nearest address in the forwarding chain
    /// that is not a trusted proxy. A malformed chain from a trusted proxy
    /// stops at the last address that could be read.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddr {
        if !self.trusts(peer) {
            return ClientAddr(peer);
        }
        let mut client = peer;
        for hop in forwarded_chain(headers).into_iter().rev() {
            match hop {
                Some(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                None => break,
            }
        }
        ClientAddr(client)
    }
}

/// The addresses in `Forwarded: for=` (RFC 7239) or, without it,
/// `X-Forwarded-For`, in order (client first). An entry that is not an
/// address (`unknown`, an obfuscated name) is `None`.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(key, _)| key.eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_node(value.trim_matches('"')))
            })
            .collect();
    }
    values("x-forwarded-for").iter().map(|v| parse_node(v)).collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`, `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = IpAddr::from_str(node) {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest
            .split(']')
            .next()
            .and_then(|ip| Ipv6Addr::from_str(ip).ok())
            .map(IpAddr::V6);
    }
    node.rsplit_once(':')
        .and_then(|(ip, _port)| IpAddr::from_str(ip).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().expect("header"));
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").expect("list");
        let forged = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(proxies.client(ip("198.51.100.7"), &forged).0, ip("198.51.100.7"));
        assert_eq!(proxies.client(ip("127.0.0.1"), &forged).0, ip("203.0.113.9"));
        // The client prepended a fake address; the proxy appended the real one.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.1.1.1")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &chain).0, ip("203.0.113.9"));
        let rfc = headers(&[(
            "forwarded",
            "for=\"[2001:db8::1]:4711\";proto=https, for=10.0.0.2",
        )]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &rfc).0, ip("2001:db8::1"));
        let garbage = headers(&[("x-forwarded-for", "unknown")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &garbage).0, ip("127.0.0.1"));
        assert!(TrustedProxies::parse("10.0.0.0/8, nonsense").is_err());
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a = ClientAddr(ip("2001:db8:1:2:aaaa::1")).throttle_key();
        let b = ClientAddr(ip("2001:db8:1:2:bbbb::9")).throttle_key();
        let other = ClientAddr(ip("2001:db8:1:3::1")).throttle_key();
        assert_eq!(a, b);
        assert_ne!(a, other);
        assert_eq!(ClientAddr(ip("::ffff:192.0.2.1")).throttle_key(), "192.0.2.1");
    }
}
