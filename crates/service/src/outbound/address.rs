//! Which addresses Roster refuses to fetch from unless the operator allows
//! private ones: everything that is not the public internet — loopback,
//! private and shared networks, link-local (where the clouds' metadata
//! services answer), unspecified, multicast, documentation and reserved
//! ranges, and IPv6 forms that embed one of those IPv4 addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not public, for the refusal's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonPublic {
    Loopback,
    Private,
    LinkLocal,
    Unspecified,
    Multicast,
    /// Shared address space (100.64.0.0/10), benchmarking, documentation,
    /// reserved or broadcast ranges.
    Reserved,
}

impl NonPublic {
    pub fn describe(self) -> &'static str {
        match self {
            NonPublic::Loopback => "a loopback address",
            NonPublic::Private => "a private network address",
            NonPublic::LinkLocal => "a link-local address (cloud metadata services live there)",
            NonPublic::Unspecified => "an unspecified address",
            NonPublic::Multicast => "a multicast address",
            NonPublic::Reserved => "a reserved or shared address",
        }
    }
}

/// `Some(why)` when `ip` is not an address of the public internet.
pub fn non_public(ip: IpAddr) -> Option<NonPublic> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<NonPublic> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some(NonPublic::Loopback)
    } else if ip.is_private() {
        Some(NonPublic::Private)
    } else if ip.is_link_local() {
        Some(NonPublic::LinkLocal)
    } else if ip.is_unspecified() || a == 0 {
        Some(NonPublic::Unspecified)
    } else if ip.is_multicast() {
        Some(NonPublic::Multicast)
    } else if (a == 100 && (64..128).contains(&b))   // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0)            // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)            // documentation
        || (a == 198 && (b == 18 || b == 19))        // benchmarking
        || (a == 198 && b == 51 && c == 100)         // documentation
        || (a == 203 && b == 0 && c == 113)          // documentation
        || a >= 240
    // reserved, and broadcast
    {
        Some(NonPublic::Reserved)
    } else {
        None
    }
}

fn non_public_v6(ip: Ipv6Addr) -> Option<NonPublic> {
    // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms
    // reach the IPv4 address they embed; NAT64 (64:ff9b::/96) too.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_public_v4(v4);
    }
    let segments = ip.segments();
    if segments[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return non_public_v4(Ipv4Addr::from((u32::from(segments[6]) << 16) | u32::from(segments[7])));
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return non_public_v4(Ipv4Addr::from((u32::from(segments[6]) << 16) | u32::from(segments[7])));
    }
    if ip.is_loopback() {
        Some(NonPublic::Loopback)
    } else if ip.is_unspecified() {
        Some(NonPublic::Unspecified)
    } else if ip.is_multicast() {
        Some(NonPublic::Multicast)
    } else if segments[0] & 0xfe00 == 0xfc00 {
        Some(NonPublic::Private) // unique local fc00::/7 (AWS metadata: fd00:ec2::254)
    } else if segments[0] & 0xffc0 == 0xfe80 || segments[0] & 0xffc0 == 0xfec0 {
        Some(NonPublic::LinkLocal) // fe80::/10, and the old site-local fec0::/10
    } else if (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || segments[0] & 0xe000 != 0x2000
    // outside global unicast 2000::/3
    {
        Some(NonPublic::Reserved)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(raw: &str) -> Option<NonPublic> {
        non_public(raw.parse().unwrap())
    }

    #[test]
    fn everything_but_the_public_internet_is_refused() {
        for (raw, expected) in [
            ("127.0.0.1", NonPublic::Loopback),
            ("127.8.9.10", NonPublic::Loopback),
            ("10.1.2.3", NonPublic::Private),
            ("172.16.0.1", NonPublic::Private),
            ("192.168.1.1", NonPublic::Private),
            ("169.254.169.254", NonPublic::LinkLocal),
            ("0.0.0.0", NonPublic::Unspecified),
            ("0.1.2.3", NonPublic::Unspecified),
            ("224.0.0.1", NonPublic::Multicast),
            ("100.64.0.1", NonPublic::Reserved),
            ("100.127.255.254", NonPublic::Reserved),
            ("192.0.2.10", NonPublic::Reserved),
            ("198.18.0.1", NonPublic::Reserved),
            ("255.255.255.255", NonPublic::Reserved),
            ("::1", NonPublic::Loopback),
            ("::", NonPublic::Unspecified),
            ("::ffff:127.0.0.1", NonPublic::Loopback),
            ("::ffff:169.254.169.254", NonPublic::LinkLocal),
            ("::10.0.0.1", NonPublic::Private),
            ("64:ff9b::10.0.0.1", NonPublic::Private),
            ("fd00:ec2::254", NonPublic::Private),
            ("fc00::1", NonPublic::Private),
            ("fe80::1", NonPublic::LinkLocal),
            ("ff02::1", NonPublic::Multicast),
            ("2001:db8::1", NonPublic::Reserved),
        ] {
            assert_eq!(why(raw), Some(expected), "{raw}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for raw in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700:4700::1111",
            "64:ff9b::808:808",
        ] {
            assert_eq!(why(raw), None, "{raw}");
        }
    }
}
