//! Where a request may go, and how a URL may be shown: the one rule every
//! request of the client and every URL of a policy file is held to.
//!
//! A URL is judged by who chose it ([`NamedBy`]):
//! - **the configuration** (the command line, the environment, a policy
//!   file's `[[source]]`): `https` to any address, or plain `http` to a
//!   loopback address (`127.0.0.0/8`, `::1`, `localhost`);
//! - **a server's answer** (a `bundle_url`, a redirect): `https` to a
//!   public address only; when the answer itself came from a loopback
//!   address (a test server, a local mirror), loopback too, `http` or
//!   `https`.
//!
//! [`reach`] makes these checks, in order: the scheme, the host's
//! presence, the address class of a host written as an IP address (in any
//! spelling the URL parser accepts: `2130706433`, `0x7f.1`,
//! `[::ffff:127.0.0.1]`). A host written as a name is checked when it is
//! resolved ([`Resolver`]): only the addresses of the allowed classes are
//! handed to the connector, so the address connected to is the address
//! checked and a name that resolves elsewhere later (DNS rebinding) cannot
//! lead anywhere else.
//!
//! [`redact_url`] is how every URL is shown or stored: without userinfo,
//! query and fragment, where URLs carry credentials.

pub use crate::escape::redact_url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// What kind of network an address is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Reachable on the internet: the only class a server's answer may
    /// send a request to.
    Public,
    /// This machine (`127.0.0.0/8`, `::1`, and their IPv4-mapped forms).
    Loopback,
    /// Anything else that is not public: private (RFC 1918), unique-local,
    /// link-local, shared (CGNAT), multicast, broadcast, unspecified,
    /// documentation, benchmarking and reserved ranges.
    NotPublic,
}

/// The class of an address. IPv6 forms that carry an IPv4 address
/// (IPv4-mapped, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the
/// IPv4 address they lead to.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    if a == 127 {
        return AddressClass::Loopback;
    }
    let not_public = a == 0 // "this network", unspecified
        || a == 10
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    if not_public {
        AddressClass::NotPublic
    } else {
        AddressClass::Public
    }
}

/// The IPv4 address an IPv6 address stands for, when it is one of the
/// forms that reach an IPv4 host.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let segments = ip.segments();
    let tail = Ipv4Addr::new(
        (segments[6] >> 8) as u8,
        segments[6] as u8,
        (segments[7] >> 8) as u8,
        segments[7] as u8,
    );
    match segments {
        // IPv4-mapped `::ffff:a.b.c.d`.
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail),
        // NAT64 well-known prefix `64:ff9b::/96`.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail),
        // 6to4 `2002:AABB:CCDD::/48`.
        [0x2002, high, low, ..] => Some(Ipv4Addr::new(
            (high >> 8) as u8,
            high as u8,
            (low >> 8) as u8,
            low as u8,
        )),
        _ => None,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if ip == Ipv6Addr::LOCALHOST {
        return AddressClass::Loopback;
    }
    let segments = ip.segments();
    let first = segments[0];
    let not_public = ip.is_unspecified()
        // `::/16`: IPv4-compatible `::a.b.c.d` (deprecated), IPv4-translated
        // `::ffff:0:a.b.c.d` and the rest of the reserved range
        || first == 0
        || first & 0xfe00 == 0xfc00 // unique-local fc00::/7
        || first & 0xffc0 == 0xfe80 // link-local fe80::/10
        || first & 0xffc0 == 0xfec0 // site-local fec0::/10 (deprecated)
        || first & 0xff00 == 0xff00 // multicast
        || (first == 0x64 && segments[1] == 0xff9b) // local-use NAT64 64:ff9b:1::/48
        || (first == 0x100 && segments[1..4] == [0; 3]) // discard-only 100::/64
        || (first == 0x2001 && segments[1] < 0x200) // IETF protocol assignments (Teredo, …)
        || (first == 0x2001 && segments[1] == 0xdb8); // documentation
    if not_public {
        AddressClass::NotPublic
    } else {
        AddressClass::Public
    }
}

/// Where the answer that named a URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerFrom {
    /// A loopback address: this machine's own server may name itself.
    Loopback,
    /// Any other address (or one not known).
    Elsewhere,
}

/// Who chose a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedBy {
    /// The command line, the environment or a policy file.
    Configuration,
    /// A server's answer: a `bundle_url`, a redirect's `Location`.
    Answer(AnswerFrom),
}

/// The addresses a request may connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Any address (`https` the configuration names).
    Anywhere,
    /// Loopback addresses only (plain `http`).
    Loopback,
    /// Public addresses only.
    Public,
    /// Public and loopback addresses.
    PublicOrLoopback,
}

impl Reach {
    pub fn allows(self, class: AddressClass) -> bool {
        match self {
            Self::Anywhere => true,
            Self::Loopback => class == AddressClass::Loopback,
            Self::Public => class == AddressClass::Public,
            Self::PublicOrLoopback => class != AddressClass::NotPublic,
        }
    }

    /// What the refused addresses are, for messages.
    fn wanted(self) -> &'static str {
        match self {
            Self::Anywhere => "any address",
            Self::Loopback => "a loopback address",
            Self::Public => "a public address",
            Self::PublicOrLoopback => "a public or loopback address",
        }
    }
}

/// Why a URL may not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("only https URLs are fetched, and plain http only to a loopback address")]
    Scheme,
    #[error("a URL a server answered with must be https to a public address")]
    AnswerScheme,
    #[error("the URL has no host")]
    NoHost,
    #[error("{address} is not {}", reach.wanted())]
    Address { address: IpAddr, reach: Reach },
    #[error("{host} resolves to {} only, none of which is {}", list(addresses), reach.wanted())]
    Resolved {
        host: String,
        addresses: Vec<IpAddr>,
        reach: Reach,
    },
    #[error("{host} is not one of the hosts allowed here ({})", allowed.join(", "))]
    Host { host: String, allowed: Vec<String> },
}

fn list(addresses: &[IpAddr]) -> String {
    addresses
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where `url`, chosen as `named_by` says, may connect (see the module
/// documentation): an error for a URL that may not be fetched at all.
pub fn reach(url: &Url, named_by: NamedBy) -> Result<Reach, UrlRefused> {
    if !matches!(url.scheme(), "https" | "http") {
        return Err(match named_by {
            NamedBy::Configuration => UrlRefused::Scheme,
            NamedBy::Answer(_) => UrlRefused::AnswerScheme,
        });
    }
    let host = url.host().ok_or(UrlRefused::NoHost)?;
    let loopback_host = is_loopback_host(&host);
    let reach = match (url.scheme(), named_by) {
        ("https", NamedBy::Configuration) => Reach::Anywhere,
        ("https", NamedBy::Answer(AnswerFrom::Loopback)) => Reach::PublicOrLoopback,
        ("https", NamedBy::Answer(AnswerFrom::Elsewhere)) => Reach::Public,
        ("http", NamedBy::Configuration) if loopback_host => Reach::Loopback,
        ("http", NamedBy::Answer(AnswerFrom::Loopback)) if loopback_host => Reach::Loopback,
        (_, NamedBy::Configuration) => return Err(UrlRefused::Scheme),
        (_, NamedBy::Answer(_)) => return Err(UrlRefused::AnswerScheme),
    };
    let literal = match host {
        url::Host::Domain(_) => None,
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
    };
    match literal {
        Some(address) if !reach.allows(classify(address)) => {
            Err(UrlRefused::Address { address, reach })
        }
        _ => Ok(reach),
    }
}

/// Why a URL the configuration names may not be fetched; the URL in it is
/// redacted (`redact_url`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfiguredUrlError {
    #[error("`{url}` is not a URL: {source}")]
    NotAUrl {
        url: String,
        source: url::ParseError,
    },
    /// Refused by the rule (`UrlRefused`, said in `reason`).
    #[error("`{url}`: {reason}")]
    Refused { url: String, reason: String },
}

/// A URL a policy file or the command line names, checked by the rule the
/// client holds it to ([`reach`] for [`NamedBy::Configuration`]): the one
/// check of a configured URL, which the policy parser, the command line
/// and the client ([`super::parse_url`]) all make. Its text, shown
/// redacted, in the error.
pub fn check_configured(text: &str) -> Result<Url, ConfiguredUrlError> {
    let url = Url::parse(text).map_err(|source| ConfiguredUrlError::NotAUrl {
        url: redact_url(text),
        source,
    })?;
    reach(&url, NamedBy::Configuration).map_err(|refused| ConfiguredUrlError::Refused {
        url: redact_url(text),
        reason: refused.to_string(),
    })?;
    Ok(url)
}

/// `localhost` and names under `.localhost` (RFC 6761), which resolve to
/// loopback addresses only.
/// Whether `host` is written as this machine: `localhost` (and names
/// under it) or a loopback address.
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => is_localhost(name),
        url::Host::Ipv4(ip) => classify(IpAddr::V4(*ip)) == AddressClass::Loopback,
        url::Host::Ipv6(ip) => classify(IpAddr::V6(*ip)) == AddressClass::Loopback,
    }
}

fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// A host that must be one of `allowed` (names compared without case, and
/// without a trailing dot).
pub fn check_host(url: &Url, allowed: &[String]) -> Result<(), UrlRefused> {
    let host = url.host_str().unwrap_or_default();
    let bare = |h: &str| h.trim_end_matches('.').to_ascii_lowercase();
    if allowed.iter().any(|a| bare(a) == bare(host)) {
        Ok(())
    } else {
        Err(UrlRefused::Host {
            host: host.to_string(),
            allowed: allowed.to_vec(),
        })
    }
}

/// Keep the addresses `reach` allows; an error naming them all when none is.
pub fn filter_resolved(
    host: &str,
    addresses: Vec<SocketAddr>,
    reach: Reach,
) -> Result<Vec<SocketAddr>, UrlRefused> {
    let allowed: Vec<SocketAddr> = addresses
        .iter()
        .copied()
        .filter(|a| reach.allows(classify(a.ip())))
        .collect();
    if allowed.is_empty() {
        return Err(UrlRefused::Resolved {
            host: host.to_string(),
            addresses: addresses.iter().map(SocketAddr::ip).collect(),
            reach,
        });
    }
    Ok(allowed)
}

/// A URL as a key stores it (a cache identity, where a cached result was
/// fetched from): [`redact_url`]'s form and, when that removed anything,
/// the SHA-256 of the whole URL, so URLs that differ only in a secret stay
/// apart without the secret being stored.
pub fn redact_url_keyed(text: &str) -> String {
    let shown = redact_url(text);
    if shown == text {
        return shown;
    }
    let digest = sigstore_crypto::sha256(text.as_bytes()).to_hex();
    format!("{shown} (sha256:{digest})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn every_kind_of_address_is_classified() {
        for public in [
            "1.1.1.1",
            "20.209.163.161",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.169.0.1",
            "223.255.255.255",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert_eq!(classify(ip(public)), AddressClass::Public, "{public}");
        }
        for loopback in [
            "127.0.0.1",
            "127.255.255.254",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:7f00:2",
            "64:ff9b::7f00:1",
            "2002:7f00:0001::",
        ] {
            assert_eq!(classify(ip(loopback)), AddressClass::Loopback, "{loopback}");
        }
        for other in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.1",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::127.0.0.1",
            "::10.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:0:7f00:1",
            "::ffff:0:808:808",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:0a00:0001::",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert_eq!(classify(ip(other)), AddressClass::NotPublic, "{other}");
        }
    }

    fn reach_of(text: &str, named_by: NamedBy) -> Result<Reach, UrlRefused> {
        reach(&Url::parse(text).unwrap(), named_by)
    }

    const LOCAL_ANSWER: NamedBy = NamedBy::Answer(AnswerFrom::Loopback);
    const REMOTE_ANSWER: NamedBy = NamedBy::Answer(AnswerFrom::Elsewhere);

    #[test]
    fn the_configuration_may_name_any_https_url_and_loopback_http() {
        let config = NamedBy::Configuration;
        for (url, want) in [
            ("https://api.github.com/x", Reach::Anywhere),
            ("https://10.0.0.1/x", Reach::Anywhere),
            ("http://127.0.0.1:8080/x", Reach::Loopback),
            ("http://127.3.4.5/x", Reach::Loopback),
            ("http://[::1]:1/x", Reach::Loopback),
            ("http://[::ffff:127.0.0.1]:1/x", Reach::Loopback),
            ("http://2130706433/x", Reach::Loopback),
            ("http://0x7f.1/x", Reach::Loopback),
            ("http://localhost/x", Reach::Loopback),
            ("http://LOCALHOST./x", Reach::Loopback),
            ("http://mirror.localhost/x", Reach::Loopback),
        ] {
            assert_eq!(reach_of(url, config), Ok(want), "{url}");
        }
        for url in [
            "http://example.com/x",
            "http://10.0.0.1/x",
            "http://localhost.example/x",
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
        ] {
            assert_eq!(reach_of(url, config), Err(UrlRefused::Scheme), "{url}");
        }
    }

    #[test]
    fn an_answer_may_name_public_https_and_loopback_only_from_loopback() {
        assert_eq!(
            reach_of(
                "https://tmaproduction.blob.core.windows.net/a",
                REMOTE_ANSWER
            ),
            Ok(Reach::Public)
        );
        assert_eq!(
            reach_of("https://localhost/a", REMOTE_ANSWER),
            Ok(Reach::Public),
            "a name is judged by what it resolves to"
        );
        assert_eq!(
            reach_of("https://blob.example/a", LOCAL_ANSWER),
            Ok(Reach::PublicOrLoopback)
        );
        for (url, named_by) in [
            ("http://127.0.0.1:1/a", LOCAL_ANSWER),
            ("http://localhost:1/a", LOCAL_ANSWER),
            ("http://[::1]:1/a", LOCAL_ANSWER),
        ] {
            assert_eq!(reach_of(url, named_by), Ok(Reach::Loopback), "{url}");
        }
        for (url, named_by) in [
            ("http://127.0.0.1:1/a", REMOTE_ANSWER),
            ("http://blob.example/a", REMOTE_ANSWER),
            ("http://blob.example/a", LOCAL_ANSWER),
            ("http://10.0.0.1/a", LOCAL_ANSWER),
            ("ftp://blob.example/a", REMOTE_ANSWER),
        ] {
            assert_eq!(
                reach_of(url, named_by),
                Err(UrlRefused::AnswerScheme),
                "{url}"
            );
        }
        for (url, named_by) in [
            ("https://127.0.0.1/a", REMOTE_ANSWER),
            ("https://2130706433/a", REMOTE_ANSWER),
            ("https://0x7f000001/a", REMOTE_ANSWER),
            ("https://[::ffff:127.0.0.1]/a", REMOTE_ANSWER),
            ("https://[::1]/a", REMOTE_ANSWER),
            ("https://169.254.169.254/a", REMOTE_ANSWER),
            ("https://169.254.169.254/a", LOCAL_ANSWER),
            ("https://10.1.2.3/a", LOCAL_ANSWER),
            ("https://[fd00::1]/a", LOCAL_ANSWER),
            ("https://0.0.0.0/a", LOCAL_ANSWER),
            ("https://[::ffff:192.168.0.1]/a", LOCAL_ANSWER),
        ] {
            assert!(
                matches!(reach_of(url, named_by), Err(UrlRefused::Address { .. })),
                "{url}: {:?}",
                reach_of(url, named_by)
            );
        }
    }

    #[test]
    fn resolved_addresses_are_filtered_by_the_reach() {
        let socket = |text: &str| SocketAddr::new(ip(text), 443);
        let resolved = vec![socket("10.0.0.1"), socket("20.1.2.3"), socket("::1")];
        assert_eq!(
            filter_resolved("h", resolved.clone(), Reach::Public),
            Ok(vec![socket("20.1.2.3")])
        );
        assert_eq!(
            filter_resolved("h", resolved.clone(), Reach::PublicOrLoopback),
            Ok(vec![socket("20.1.2.3"), socket("::1")])
        );
        assert_eq!(
            filter_resolved("h", resolved.clone(), Reach::Anywhere),
            Ok(resolved)
        );
        let error = filter_resolved("h", vec![socket("127.0.0.1")], Reach::Public).unwrap_err();
        assert_eq!(
            error.to_string(),
            "h resolves to 127.0.0.1 only, none of which is a public address"
        );
    }

    #[test]
    fn hosts_are_compared_without_case_or_a_trailing_dot() {
        let allowed = vec!["tmaproduction.blob.core.windows.net".to_string()];
        for ok in [
            "https://tmaproduction.blob.core.windows.net/a",
            "https://TMAProduction.blob.core.windows.net./a",
        ] {
            assert!(
                check_host(&Url::parse(ok).unwrap(), &allowed).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "https://evil.blob.core.windows.net/a",
            "https://tmaproduction.blob.core.windows.net.evil.example/a",
        ] {
            assert!(
                check_host(&Url::parse(bad).unwrap(), &allowed).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn redaction_removes_userinfo_query_and_fragment() {
        for (text, shown) in [
            (
                "https://user:secret@mirror.example/{name}/{checksum}.json?token=abc#x",
                "https://mirror.example/{name}/{checksum}.json",
            ),
            (
                "https://blob.example/a/b.json.sn?sv=1&sig=SECRET",
                "https://blob.example/a/b.json.sn",
            ),
            ("https://token@[::1]:8080/x", "https://[::1]:8080/x"),
            ("https://a@b:c@host/p", "https://host/p"),
            ("https://host/path@x", "https://host/path@x"),
            ("http://u:p@host", "http://host"),
            ("https://u:p@host\\x", "https://host\\x"),
            ("not a url?x", "not a url"),
            (
                "https://api.github.com/repos/o/r",
                "https://api.github.com/repos/o/r",
            ),
        ] {
            assert_eq!(redact_url(text), shown, "{text}");
        }
    }

    #[test]
    fn a_configured_url_is_checked_and_shown_redacted() {
        assert!(check_configured("https://u:p@mirror.example/x").is_ok());
        let error = check_configured("http://u:secret@mirror.example/x?t=1")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("`http://mirror.example/x`: only https"),
            "{error}"
        );
        assert!(check_configured("no url").is_err());
    }
}
