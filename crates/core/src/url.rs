//! URL text, without any configuration: the strict grammar of `apiUrl`, joining it with path segments, and
//! the loopback rule of the transport check. [`crate::http`] applies these to a [`crate::ClientConfig`];
//! [`crate::config`] uses [`check_api_url`] to refuse a bad `apiUrl` when the client is created.
//!
//! The parser is small and hand-written (no `url` crate, to keep the wasm small) and accepts only the
//! unambiguous subset of absolute `http(s)` URLs, so the transport check sees exactly the host the
//! runtime's `fetch` will connect to.

use crate::error::Error;

/// Fails with the configuration error [`join`] would give when `api_url` is not an acceptable base URL.
pub(crate) fn check_api_url(api_url: &str) -> Result<(), Error> {
    parse_base_url(api_url).map(|_| ())
}

/// `{api_url}/{segments…}` with the rules documented on [`crate::http::endpoint_url`].
pub(crate) fn join(api_url: &str, segments: &[&str]) -> Result<String, Error> {
    let base = parse_base_url(api_url)?;
    let mut url = String::with_capacity(api_url.len() + 32);
    url.push_str(base.scheme);
    url.push_str("://");
    url.push_str(base.authority);
    for part in base.path.split('/').filter(|p| !p.is_empty()) {
        url.push('/');
        url.push_str(part);
    }
    for segment in segments.iter().filter(|s| !s.is_empty()) {
        check_dot_segments(segment)?;
        url.push('/');
        percent_encode_into(segment, &mut url);
    }
    Ok(url)
}

/// The transport rule documented on [`crate::http::check_transport`], for the final request `url`.
pub(crate) fn check_secret_transport(url: &str, allow_insecure_http: bool) -> Result<(), Error> {
    let without_query = url.split(['?', '#']).next().unwrap_or_default();
    let parsed = parse_base_url(without_query)?;
    if parsed.scheme == "https" || allow_insecure_http || is_loopback(parsed.host) {
        return Ok(());
    }
    Err(Error::configuration(
        [
            "Refusing to send a Clerk secret (a key or a token) over plain http to ",
            parsed.host,
            "; use https or set allowInsecureHttp: true",
        ]
        .concat(),
    ))
}

/// The parts of a validated absolute URL. `scheme` is lower case; `host` keeps IPv6 brackets.
struct BaseUrl<'a> {
    scheme: &'static str,
    authority: &'a str,
    host: &'a str,
    path: &'a str,
}

fn bad_api_url(why: &str) -> Error {
    Error::configuration(["apiUrl ", why].concat())
}

/// Parses the strict subset of absolute URLs we accept for `apiUrl` (and that [`join`] produces).
fn parse_base_url(raw: &str) -> Result<BaseUrl<'_>, Error> {
    const NOT_ABSOLUTE: &str = "must be an absolute http:// or https:// URL";
    if raw
        .bytes()
        .any(|b| b <= b' ' || b == 0x7f || b == b'\\' || !b.is_ascii())
    {
        return Err(bad_api_url(
            "must be an absolute http:// or https:// URL without spaces, backslashes or non-ASCII characters",
        ));
    }
    // The first `:` must start `://`: a scheme never contains `:` (no `&str` pattern search in the wasm).
    let split = raw
        .split_once(':')
        .and_then(|(s, rest)| Some((s, rest.strip_prefix("//")?)));
    let (scheme, rest) = match split {
        Some((s, rest)) if s.eq_ignore_ascii_case("https") => ("https", rest),
        Some((s, rest)) if s.eq_ignore_ascii_case("http") => ("http", rest),
        _ => return Err(bad_api_url(NOT_ABSOLUTE)),
    };
    if rest.contains(['?', '#']) {
        return Err(bad_api_url("must not contain a query or a fragment"));
    }
    // `split_at_checked` (never `None` at a found ASCII byte) keeps the str slicing panic path out.
    let (authority, path) = rest
        .find('/')
        .and_then(|i| rest.split_at_checked(i))
        .unwrap_or((rest, ""));
    if authority.contains('@') {
        return Err(bad_api_url("must not contain credentials"));
    }
    let (host, port) = if authority.starts_with('[') {
        let (host, tail) = match authority
            .find(']')
            .and_then(|end| authority.split_at_checked(end + 1))
        {
            Some(parts) => parts,
            None => return Err(bad_api_url(NOT_ABSOLUTE)),
        };
        let inside = host.trim_start_matches('[').trim_end_matches(']');
        if parse_ipv6(inside.as_bytes()).is_none() {
            return Err(bad_api_url("has an invalid IPv6 host"));
        }
        let port = match tail.strip_prefix(':') {
            Some(p) => Some(p),
            None if tail.is_empty() => None,
            None => return Err(bad_api_url(NOT_ABSOLUTE)),
        };
        (host, port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad_api_url("must have a host"));
    }
    if !host.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err(bad_api_url("has an invalid host"));
    }
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad_api_url("has an invalid port"));
        }
        if port.parse::<u32>().map_or(true, |p| p > 65_535) {
            return Err(bad_api_url("has an invalid port"));
        }
    }
    Ok(BaseUrl {
        scheme,
        authority,
        host,
        path,
    })
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        // `::1` only, as `Ipv6Addr::is_loopback` (an IPv4-mapped `::ffff:127.0.0.1` is not loopback).
        return parse_ipv6(inner.as_bytes()) == Some(1);
    }
    matches!(parse_ipv4(host.as_bytes()), Some(([127, ..], [])))
}

// The text forms of IP addresses, with exactly the grammar of `core::net`'s `FromStr` for `Ipv4Addr` and
// `Ipv6Addr` (same greedy digit runs, same limits), without pulling that parser into the wasm.

/// `core::net`'s `read_number`: a greedy run of `radix` digits, refused when it is empty, longer than
/// `max_digits`, or (unless `allow_zero_prefix`) a multi-digit number starting with `0`.
fn read_number(
    s: &[u8],
    radix: u32,
    max_digits: usize,
    allow_zero_prefix: bool,
) -> Option<(u32, &[u8])> {
    let mut value = 0u32;
    let mut digits = 0;
    let mut rest = s;
    while let Some((&b, tail)) = rest.split_first() {
        let Some(d) = char::from(b).to_digit(radix) else {
            break;
        };
        digits += 1;
        if digits > max_digits {
            return None;
        }
        value = value * radix + d;
        rest = tail;
    }
    if digits == 0 || (!allow_zero_prefix && digits > 1 && s.first() == Some(&b'0')) {
        return None;
    }
    Some((value, rest))
}

/// A dotted-quad IPv4 address at the start of `s` (four decimal octets, no leading zeros), and the rest.
fn parse_ipv4(mut s: &[u8]) -> Option<([u8; 4], &[u8])> {
    let mut octets = [0u8; 4];
    for (i, octet) in octets.iter_mut().enumerate() {
        if i > 0 {
            s = s.strip_prefix(b".")?;
        }
        let (value, rest) = read_number(s, 10, 3, false)?;
        *octet = u8::try_from(value).ok()?;
        s = rest;
    }
    Some((octets, s))
}

/// Up to `limit` `:`-separated hex groups, the last two of which may be an embedded IPv4 address:
/// (groups read, whether an IPv4 address ended them, their value, the rest).
fn read_groups(mut s: &[u8], limit: usize) -> (usize, bool, u128, &[u8]) {
    let mut value = 0u128;
    for i in 0..limit {
        let after_separator = if i == 0 {
            s
        } else {
            match s.strip_prefix(b":") {
                Some(rest) => rest,
                None => return (i, false, value, s),
            }
        };
        if i + 1 < limit {
            if let Some((octets, rest)) = parse_ipv4(after_separator) {
                return (
                    i + 2,
                    true,
                    value << 32 | u128::from(u32::from_be_bytes(octets)),
                    rest,
                );
            }
        }
        match read_number(after_separator, 16, 4, true) {
            Some((group, rest)) => {
                value = value << 16 | u128::from(group);
                s = rest;
            }
            None => return (i, false, value, s),
        }
    }
    (limit, false, value, s)
}

/// The whole of `s` as an IPv6 address (without brackets or zone), as a 128-bit number.
fn parse_ipv6(s: &[u8]) -> Option<u128> {
    let (head_size, head_ipv4, head, s) = read_groups(s, 8);
    if head_size == 8 {
        return s.is_empty().then_some(head);
    }
    // An IPv4 part is not allowed before `::`, and `::` stands for at least one zero group.
    if head_ipv4 {
        return None;
    }
    let s = s.strip_prefix(b"::")?;
    let (_, _, tail, s) = read_groups(s, 7 - head_size);
    if !s.is_empty() {
        return None;
    }
    let shift = u32::try_from(16 * (8 - head_size)).unwrap_or(128);
    Some(head.checked_shl(shift).unwrap_or(0) | tail)
}

/// Refuses `.`/`..` pieces in a segment, decoded up to 10 times; `/` and `\` both separate pieces.
///
/// Works on bytes: decoding may produce invalid UTF-8, and replacing it (as `from_utf8_lossy` would) only
/// swaps non-ASCII bytes for other non-ASCII bytes, which can neither form nor break a `%XX`, a separator
/// or a dot piece, so the outcome is the same without the lossy conversion.
fn check_dot_segments(segment: &str) -> Result<(), Error> {
    const DOTS: &str = "path segments \".\" and \"..\" are not allowed";
    let mut current = segment.as_bytes().to_vec();
    for _ in 0..=10 {
        if current
            .split(|b| matches!(b, b'/' | b'\\'))
            .any(|piece| piece == b"." || piece == b"..")
        {
            return Err(Error::invalid_argument(DOTS));
        }
        let decoded = percent_decode(&current);
        if decoded == current {
            return Ok(());
        }
        current = decoded;
    }
    Err(Error::invalid_argument(
        "path segment has too many layers of percent-encoding",
    ))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` sequences; malformed ones stay as they are.
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex_value),
                bytes.get(i + 2).copied().and_then(hex_value),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Percent-encodes every byte outside the RFC 3986 unreserved set.
fn percent_encode_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// The loopback test before the hand-written parser: `core::net` parsing.
    fn std_is_loopback(host: &str) -> bool {
        if host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return inner.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
        }
        host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
    }

    fn same_as_std(text: &str) {
        assert_eq!(
            parse_ipv6(text.as_bytes()),
            text.parse::<Ipv6Addr>().ok().map(u128::from),
            "IPv6 {text:?}"
        );
        assert_eq!(
            parse_ipv4(text.as_bytes()).and_then(|(o, rest)| rest.is_empty().then_some(o)),
            text.parse::<Ipv4Addr>().ok().map(|ip| ip.octets()),
            "IPv4 {text:?}"
        );
        for host in [text.to_owned(), format!("[{text}]")] {
            assert_eq!(
                is_loopback(&host),
                std_is_loopback(&host),
                "loopback {host:?}"
            );
        }
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "127.0.0.1",
            "127.255.255.254",
            "127.0.0.0",
            "127.1.2.3",
            "localhost",
            "LOCALHOST",
            "LocalHost",
            "[::1]",
            "[0:0:0:0:0:0:0:1]",
            "[0000:0000:0000:0000:0000:0000:0000:0001]",
            "[::0:1]",
            "[0::1]",
            "[::0.0.0.1]",
        ] {
            assert!(is_loopback(host), "{host}");
            assert!(std_is_loopback(host), "{host}");
        }
        for host in [
            "127.0.0.1.evil.com",
            "evil.com.127.0.0.1",
            "localhost.evil.com",
            "0x7f.0.0.1",
            "0x7f000001",
            "2130706433",
            "0177.0.0.1",
            "127.000.0.1",
            "127.0.0.01",
            "127.0.0",
            "127.0.0.1.",
            "127.0.0.256",
            "128.0.0.1",
            "0.0.0.0",
            "::1",
            "[::1",
            "::1]",
            "[[::1]]",
            "[::]",
            "[::2]",
            "[1::]",
            "[::ffff:127.0.0.1]",
            "[::ffff:7f00:1]",
            "[::127.0.0.1]",
            "[0:0:0:0:0:0:0:1:0]",
            "[00001::1]",
            "[::1%lo]",
            "[127.0.0.1]",
            "",
        ] {
            assert!(!is_loopback(host), "{host}");
            assert!(!std_is_loopback(host), "{host}");
        }
        for url in [
            "http://127.255.255.254:8787/x",
            "http://LOCALHOST/x",
            "http://[0:0:0:0:0:0:0:1]:1/x",
        ] {
            assert!(check_secret_transport(url, false).is_ok(), "{url}");
        }
        for url in [
            "http://127.0.0.1.evil.com/x",
            "http://0x7f.0.0.1/x",
            "http://[::ffff:127.0.0.1]/x",
        ] {
            assert!(check_secret_transport(url, false).is_err(), "{url}");
        }
    }

    /// The dot-segment check before it worked on bytes: `String`s, decoded with `from_utf8_lossy`.
    fn lossy_check_dot_segments(segment: &str) -> Result<(), Error> {
        let decode = |s: &str| {
            let bytes = percent_decode(s.as_bytes());
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let mut current = segment.to_owned();
        for _ in 0..=10 {
            if current
                .split(['/', '\\'])
                .any(|piece| piece == "." || piece == "..")
            {
                return Err(Error::invalid_argument(
                    "path segments \".\" and \"..\" are not allowed",
                ));
            }
            let decoded = decode(&current);
            if decoded == current {
                return Ok(());
            }
            current = decoded;
        }
        Err(Error::invalid_argument(
            "path segment has too many layers of percent-encoding",
        ))
    }

    #[test]
    fn dot_segments_bytewise_match_lossy_strings() {
        let mut cases: Vec<String> = [
            "..",
            "%2e%2E",
            "%252e%252e",
            "%FF%2E%2E",
            "%FF/%2E%2E",
            "%C3%2E",
            "%C3/..",
            "\u{e9}/%2E",
            "a%2Fb%5C..",
            "%E2%82/%2E",
            "%F0%9F%98%80%2e",
            "%25FF%252E%252E",
            "%%2e2e",
            "mt_123",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let mut deep = "%2E".to_owned();
        for _ in 0..12 {
            deep = deep.replace('%', "%25");
            cases.push(deep.clone());
            cases.push(format!("%FF{deep}/{deep}"));
        }
        for case in &cases {
            assert_eq!(
                check_dot_segments(case),
                lossy_check_dot_segments(case),
                "{case}"
            );
        }
        // Random segments over the alphabet that matters.
        const ALPHABET: &[&str] = &[
            "%", "2", "5", "e", "E", "F", ".", "/", "\\", "%FF", "%C3", "%2", "x",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..50_000 {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut r = state;
            for _ in 0..(r % 12) {
                r /= 13;
                s.push_str(ALPHABET[usize::try_from(r % 13).unwrap_or(0)]);
                r = r.rotate_left(7) ^ state;
            }
            assert_eq!(check_dot_segments(&s), lossy_check_dot_segments(&s), "{s}");
        }
    }

    #[test]
    fn ip_text_grammar_matches_core_net() {
        for text in [
            "",
            "::",
            ":::",
            "::1",
            "1::",
            "1:::2",
            ":1::",
            "::1:",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7::",
            "1:2:3:4:5:6:7:8::",
            "::2:3:4:5:6:7:8",
            "::1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1:2:3:4:5::1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "::1.2.3.4",
            "1.2.3.4::",
            "1.2.3.4",
            "::ffff:1.2.3.4",
            "::1.2.3",
            "::1.2.3.4.5",
            "::01.2.3.4",
            "::256.2.3.4",
            "ffff::FFFF",
            "fffff::1",
            "0ffff::1",
            "g::1",
            "1::2::3",
            "::1%0",
            "0.0.0.0",
            "255.255.255.255",
            "256.0.0.0",
            "1.2.3.04",
            "1.2.3.0",
            "01.2.3.4",
            "1..2.3",
            " 1.2.3.4",
            "1.2.3.4 ",
            "1.2.3.-4",
            "+1.2.3.4",
            "1.2.3.4\u{e9}",
        ] {
            same_as_std(text);
        }
        // Random strings over the grammar's alphabet, and mutations of valid addresses.
        const ALPHABET: &[u8] = b"0123456789abcdefABCDEFg:.:.::0017f";
        let seeds = [
            "::1",
            "1:2:3:4:5:6:7:8",
            "::ffff:127.0.0.1",
            "fe80::1:2",
            "127.0.0.1",
            "1:2:3:4:5:6:255.255.255.255",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % 1_000_003).unwrap_or(0)
        };
        for round in 0..200_000 {
            let mut text: Vec<u8> = if round % 2 == 0 {
                (0..next() % 24)
                    .map(|_| ALPHABET[next() % ALPHABET.len()])
                    .collect()
            } else {
                seeds[next() % seeds.len()].as_bytes().to_vec()
            };
            for _ in 0..next() % 4 {
                let at = next() % (text.len() + 1);
                match next() % 3 {
                    0 => text.insert(at, ALPHABET[next() % ALPHABET.len()]),
                    1 if at < text.len() => {
                        text.remove(at);
                    }
                    _ if at < text.len() => text[at] = ALPHABET[next() % ALPHABET.len()],
                    _ => {}
                }
            }
            same_as_std(std::str::from_utf8(&text).unwrap_or_default());
        }
    }
}
