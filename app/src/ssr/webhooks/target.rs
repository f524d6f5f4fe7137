//! Where a webhook may be sent: the address rules (no server-side request
//! forgery through Shipwatch) and the HTTP client that keeps to them.
//!
//! A URL must be `https` (plain `http` only where the server is set to allow
//! it, for local receivers), name a host, and carry no credentials. Every
//! address a delivery would connect to is checked: an address written in
//! the URL before sending, a host name's addresses by the client's resolver,
//! which hands the connector only the allowed ones, so a name that resolves
//! differently later (DNS rebinding) is checked again at every connection.
//! Refused unless the server allows private receivers: loopback, private,
//! shared (CGNAT), link-local (cloud metadata at 169.254.169.254), unique
//! local, multicast, unspecified and reserved ranges, also inside IPv4-mapped
//! IPv6 addresses. Redirects are never followed.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// How long a delivery may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The server's address rules for webhook URLs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Plain `http://` URLs (for receivers on the same host or in tests).
    pub allow_http: bool,
    /// Loopback and private addresses (the same).
    pub allow_private: bool,
}

/// Ranges no webhook is sent to unless private receivers are allowed.
static NOT_PUBLIC: LazyLock<Vec<IpNet>> = LazyLock::new(|| {
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/3",
        "::/128",
        "::1/128",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    ]
    .iter()
    .map(|range| range.parse().expect("a valid range"))
    .collect()
});

impl AddressPolicy {
    /// Whether a delivery may connect to `ip`.
    pub fn allows(self, ip: IpAddr) -> bool {
        if self.allow_private {
            return true;
        }
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        !NOT_PUBLIC.iter().any(|range| range.contains(&ip))
    }

    /// Checks a URL's form and, when it names an address, the address: the
    /// reason it is refused, in words for its owner.
    pub fn check(self, raw: &str) -> Result<Url, String> {
        let url = Url::parse(raw).map_err(|_| "this is not a URL (https://…)".to_owned())?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => return Err("use an https:// URL: deliveries are signed, not secret".into()),
            _ => return Err("use an https:// URL".into()),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("leave credentials out of the URL: the signature proves who sends".into());
        }
        let host = url.host_str().ok_or("the URL names no host")?;
        let written = host.trim_start_matches('[').trim_end_matches(']');
        if written.parse::<IpAddr>().is_ok_and(|ip| !self.allows(ip)) {
            return Err(refused());
        }
        Ok(url)
    }

    /// The HTTP client deliveries use: no redirects, no proxy, a 10 s
    /// timeout, and a resolver that keeps to this policy.
    pub fn client(self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT / 2)
            .user_agent(concat!("Shipwatch-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(CheckedResolver(self)))
            .build()
            .expect("the webhook client's settings are valid")
    }
}

fn refused() -> String {
    "Shipwatch does not send to loopback, private, link-local or reserved addresses".into()
}

/// Resolves host names with the system's resolver and keeps only the
/// addresses the policy allows.
struct CheckedResolver(AddressPolicy);

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| policy.allows(a.ip())).collect();
            if allowed.is_empty() {
                return Err(refused().into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses_pass_and_the_rest_do_not() {
        let strict = AddressPolicy::default();
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(strict.allows(ip.parse().expect("an address")), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!strict.allows(ip.parse().expect("an address")), "{ip}");
        }
        let local = AddressPolicy {
            allow_http: true,
            allow_private: true,
        };
        assert!(local.allows("127.0.0.1".parse().expect("an address")));
    }

    #[test]
    fn urls_must_be_https_without_credentials_or_forbidden_addresses() {
        let strict = AddressPolicy::default();
        assert!(strict.check("https://hooks.example.com/shipwatch").is_ok());
        for bad in [
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https://127.0.0.1/",
            "https://[::1]:8443/",
            "https://169.254.169.254/latest/meta-data/",
            "not a url",
        ] {
            assert!(strict.check(bad).is_err(), "{bad}");
        }
        let local = AddressPolicy {
            allow_http: true,
            allow_private: true,
        };
        assert!(local.check("http://127.0.0.1:9000/hook").is_ok());
    }
}
