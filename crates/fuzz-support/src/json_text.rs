//! JSON text built from fuzz data: strings, numbers (including the ones no `f64` round-trips), time claims
//! around the clock, and values of every type, written as text so the core's own parser sees them.

use arbitrary::Unstructured;
use serde_json::Value;

use crate::FIXTURE_KID;

/// Numbers as JSON text, including the ones no `f64` round-trips (`-0`, `1e309`, 20-digit integers).
pub(crate) const NUMBER_LITERALS: [&str; 34] = [
    "0",
    "-0",
    "0.0",
    "-0.0",
    "1",
    "-1",
    "1.5",
    "-1.5",
    "0.999",
    "1E3",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e309",
    "-1e400",
    "5e-324",
    "2.2250738585072014e-308",
    "1e21",
    "1e-7",
    "4294967296",
    "8640000000000",
    "8640000000001",
    "8640000000000.5",
    "-8640000000000",
    "-8640000000001",
    "9007199254740991",
    "9007199254740993",
    "-9007199254740993",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890",
];

/// Strings worth reusing (prefixes, algorithms, categories, kids, separators).
const STRINGS: [&str; 20] = [
    "",
    "mch_1",
    "mch_2vYVtestTESTtestTESTtestTESTtest",
    "mch_",
    "MCH_1",
    "user_1",
    "mt_1",
    "a b",
    "a  b",
    " ",
    "JWT",
    "at+jwt",
    "RS256",
    "none",
    "cl_B7d4PD333AAA",
    "cl_B7d4PD111AAA",
    FIXTURE_KID,
    "undefined",
    "null",
    "\u{0}\"\\\u{7f}\u{2028}é😀",
];

/// `num` in `den` odds; `false` once the input is used up (where `Unstructured::ratio` says `true`).
pub(crate) fn chance(u: &mut Unstructured<'_>, num: u8, den: u8) -> bool {
    !u.is_empty() && u.ratio(num, den).unwrap_or(false)
}

pub(crate) fn any_string(u: &mut Unstructured<'_>) -> String {
    if !chance(u, 1, 4) {
        let s = u.choose(&STRINGS).copied().unwrap_or("");
        s.to_owned()
    } else {
        let len = u.int_in_range(0..=24).unwrap_or(0);
        let bytes = u.bytes(len).unwrap_or_default();
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// A JSON number literal: from [`NUMBER_LITERALS`], an arbitrary integer, or an arbitrary finite float.
pub(crate) fn number_literal(u: &mut Unstructured<'_>) -> String {
    match u.int_in_range(0..=3).unwrap_or(0) {
        0 | 1 => u
            .choose(&NUMBER_LITERALS)
            .copied()
            .unwrap_or("0")
            .to_owned(),
        2 => u.arbitrary::<i64>().unwrap_or(0).to_string(),
        _ => {
            let f = f64::from_bits(u.arbitrary::<u64>().unwrap_or(0));
            if f.is_finite() {
                format!("{f:?}")
            } else {
                "0".to_owned()
            }
        }
    }
}

/// A time claim in seconds near `now_ms` (whole or fractional), or an extreme number.
pub(crate) fn time_literal(u: &mut Unstructured<'_>, now_ms: u64) -> String {
    const DELTAS: [i64; 12] = [-86_400, -3600, -60, -6, -5, -1, 0, 1, 4, 5, 6, 300];
    if chance(u, 1, 3) {
        return number_literal(u);
    }
    let now_s = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    let delta = u.choose(&DELTAS).copied().unwrap_or(0);
    let s = now_s.saturating_add(delta);
    match u.int_in_range(0..=3).unwrap_or(0) {
        0 => format!("{s}.9"),
        1 => format!("{s}.0"),
        2 => format!("{s}e0"),
        _ => s.to_string(),
    }
}

/// Appends an arbitrary JSON value of every type (depth-limited).
pub(crate) fn write_value(u: &mut Unstructured<'_>, depth: u32, out: &mut String) {
    let max = if depth >= 3 { 4 } else { 6 };
    match u.int_in_range(0..=max).unwrap_or(0) {
        0 => out.push_str("null"),
        1 => out.push_str(if u.arbitrary().unwrap_or(false) {
            "true"
        } else {
            "false"
        }),
        2 | 3 => out.push_str(&number_literal(u)),
        4 => write_string_literal(&any_string(u), out),
        5 => {
            out.push('[');
            let n = u.int_in_range(0..=4).unwrap_or(0);
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                write_value(u, depth + 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            let n = u.int_in_range(0..=4).unwrap_or(0);
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                write_string_literal(&any_string(u), out);
                out.push(':');
                write_value(u, depth + 1, out);
            }
            out.push('}');
        }
    }
}

pub(crate) fn write_string_literal(s: &str, out: &mut String) {
    out.push_str(&Value::from(s).to_string());
}

/// One member of a claims/header object: absent, a typical value (`typical` appends it), or any value.
pub(crate) fn member(
    u: &mut Unstructured<'_>,
    name: &str,
    out: &mut Vec<String>,
    typical: impl FnOnce(&mut Unstructured<'_>, &mut String),
) {
    let mut text = String::new();
    write_string_literal(name, &mut text);
    text.push(':');
    match u.int_in_range(0..=5).unwrap_or(0) {
        0 => return,
        1 => write_value(u, 0, &mut text),
        _ => typical(u, &mut text),
    }
    out.push(text);
}

pub(crate) fn object_text(mut members: Vec<String>, u: &mut Unstructured<'_>) -> String {
    // Occasionally a duplicate key (serde_json keeps the last one, as JSON.parse does).
    if chance(u, 1, 16) {
        if let Some(first) = members.first().cloned() {
            members.push(first);
        }
    }
    format!("{{{}}}", members.join(","))
}

pub(crate) fn pick(u: &mut Unstructured<'_>, choices: &[&str], out: &mut String) {
    let s = u.choose(choices).copied().unwrap_or("");
    write_string_literal(s, out);
}
