//! The client's address: the socket's peer, or — only when that peer is a trusted proxy — the
//! nearest address in `X-Forwarded-For` that is not itself a trusted proxy.

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::config::IpBlock;

/// The address a request is counted against.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpBlock]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|b| b.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    // Each proxy appends the address it heard from: read right to left, skipping our own proxies.
    // A client can write anything on the left, so the first untrusted hop from the right is the
    // last address a trusted proxy vouched for.
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .collect();
    hops.into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip))
        .unwrap_or(peer)
}

pub use crate::ratelimit::ip_subject;

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let trusted = [IpBlock::parse("10.0.0.0/8").unwrap()];
        let h = headers(&["203.0.113.9"]);
        assert_eq!(
            client_ip(ip("198.51.100.1"), &h, &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(client_ip(ip("10.1.2.3"), &h, &trusted), ip("203.0.113.9"));
        assert_eq!(client_ip(ip("10.1.2.3"), &h, &[]), ip("10.1.2.3"));
    }

    #[test]
    fn a_forged_left_hand_address_is_ignored() {
        let trusted = [IpBlock::parse("10.0.0.0/8").unwrap()];
        // The client sent `1.1.1.1`; our proxies 10.0.0.2 then 10.0.0.1 appended what they saw.
        let h = headers(&["1.1.1.1, 203.0.113.9", "10.0.0.2"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("203.0.113.9"));
        // Garbage and a missing header fall back to the peer.
        assert_eq!(
            client_ip(ip("10.0.0.1"), &headers(&["not an ip"]), &trusted),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn mapped_ipv4_and_ipv6_hosts_are_counted_as_one_caller() {
        assert_eq!(
            client_ip(ip("::ffff:192.0.2.7"), &HeaderMap::new(), &[]),
            ip("192.0.2.7")
        );
        assert_eq!(ip_subject(ip("192.0.2.7")), "ip:192.0.2.7");
        assert_eq!(
            ip_subject(ip("2001:db8:1:2:aaaa::1")),
            ip_subject(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            ip_subject(ip("2001:db8:1:2::1")),
            ip_subject(ip("2001:db8:1:3::1"))
        );
    }
}
