//! The JavaScript conversions the wire format and the reference's messages are built from: `JSON.stringify`,
//! `String()`, `Number.prototype.toString()`, `Date.prototype.setUTCSeconds()` and
//! `Date.prototype.toUTCString()`. Hand-written so that no date/time crate and no float formatting tables
//! are compiled in.
#![deny(clippy::indexing_slicing)]

use serde::ser::{Serialize, Serializer};
use serde_json::{Map, Value};

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// An integer as a JS number: itself up to 2^53, beyond that the nearest double (what `JSON.parse` makes of
/// its digits). serde-wasm-bindgen refuses integers beyond 2^53; serde_json writes the double's digits.
#[derive(Clone, Copy)]
pub struct JsInteger<T>(pub T);

impl Serialize for JsInteger<i64> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.unsigned_abs() <= MAX_SAFE_INTEGER {
            s.serialize_i64(self.0)
        } else {
            s.serialize_f64(self.0 as f64)
        }
    }
}

impl Serialize for JsInteger<u64> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 <= MAX_SAFE_INTEGER {
            s.serialize_u64(self.0)
        } else {
            s.serialize_f64(self.0 as f64)
        }
    }
}

/// A JSON value with every number as a JS number ([`JsInteger`]): what `JSON.parse` of its text gives.
pub struct JsJson<'a>(pub &'a Value);

impl Serialize for JsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => JsInteger(u).serialize(s),
                (None, Some(i)) => JsInteger(i).serialize(s),
                _ => s.serialize_f64(n.as_f64().unwrap_or_default()),
            },
            Value::String(text) => s.serialize_str(text),
            Value::Array(items) => s.collect_seq(items.iter().map(JsJson)),
            Value::Object(map) => JsJsonObject(map).serialize(s),
        }
    }
}

/// [`JsJson`] of an object.
pub struct JsJsonObject<'a>(pub &'a Map<String, Value>);

impl Serialize for JsJsonObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, JsJson(v))))
    }
}

/// Appends `n` in decimal (itoa, already linked by serde_json: no `core::fmt` machinery per call site).
pub(crate) fn push_int(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Appends `n` in decimal, left-padded with zeros to `width` digits (`format!("{n:0width$}")`).
fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(n);
    out.extend(std::iter::repeat_n('0', width.saturating_sub(digits.len())));
    out.push_str(digits);
}

/// JavaScript's `Number.prototype.toString()` for a finite or non-finite `f64`.
///
/// The shortest round-trip digits come from serde_json's float writer (already in the build); laying them out
/// by the ECMAScript rules here keeps Rust's float `Display` (and its ~15 KB of tables) out of the WASM.
pub fn number(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    let (digits, n) = shortest_digits(f.abs());
    let k = digits.len() as i64;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at_checked(n as usize).unwrap_or((&digits, ""));
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at_checked(1).unwrap_or((&digits, ""));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = n - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        push_int(&mut out, e.unsigned_abs());
    }
    out
}

/// The shortest round-trip decimal digits of a finite positive `f` (no leading or trailing zeros) and the
/// position `n` of the decimal point relative to them: `f = 0.d1d2…dk × 10^n`.
fn shortest_digits(f: f64) -> (String, i64) {
    // What `serde_json::Number::from_f64(f).to_string()` gives: zmij's shortest text for a finite `f`.
    let mut buffer = zmij::Buffer::new();
    let text = if f.is_finite() {
        buffer.format_finite(f)
    } else {
        ""
    };
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = int.chars().chain(frac.chars()).collect();
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0').to_owned();
    let n = int.len() as i64 - leading as i64 + exponent;
    if digits.is_empty() {
        ("0".to_owned(), 1)
    } else {
        (digits, n)
    }
}

fn write_number(n: &serde_json::Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        push_int(out, i);
    } else if let Some(u) = n.as_u64() {
        push_int(out, u);
    } else {
        // JSON.stringify writes non-finite numbers as null; serde_json never holds one.
        match n.as_f64().filter(|f| f.is_finite()) {
            Some(f) => out.push_str(&number(f)),
            None => out.push_str("null"),
        }
    }
}

/// Writes `value` as `JSON.stringify` would: keys in the map's iteration order, integral numbers without a
/// fraction (`1`, not `1.0`), `-0` as `0`, exponents as `1e+21`/`1e-7`.
pub fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(map, out),
    }
}

/// Writes a JSON object as `JSON.stringify` would.
pub(crate) fn write_object(map: &serde_json::Map<String, Value>, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, out);
        out.push(':');
        write_json(v, out);
    }
    out.push('}');
}

/// A JSON string literal, escaped like `JSON.stringify`.
pub(crate) fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let b = u32::from(c);
                out.push_str("\\u00");
                out.push(char::from_digit(b >> 4, 16).unwrap_or('0'));
                out.push(char::from_digit(b & 0xf, 16).unwrap_or('0'));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `JSON.stringify(v)` as it appears inside a template string: `None` (JS `undefined`) gives `undefined`.
pub(crate) fn stringify(v: Option<&Value>) -> String {
    match v {
        None => "undefined".to_owned(),
        Some(v) => {
            let mut out = String::new();
            write_json(v, &mut out);
            out
        }
    }
}

/// JavaScript's `String(v)` (template-literal interpolation).
pub(crate) fn to_string(v: Option<&Value>) -> String {
    match v {
        None => "undefined".to_owned(),
        Some(Value::Null) => "null".to_owned(),
        Some(Value::Bool(b)) => if *b { "true" } else { "false" }.to_owned(),
        Some(Value::Number(n)) => {
            let mut out = String::new();
            write_number(n, &mut out);
            out
        }
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Null => String::new(),
                other => to_string(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Object(_)) => "[object Object]".to_owned(),
    }
}

/// The largest magnitude of a valid JS `Date` time value, in milliseconds.
pub(crate) const MAX_DATE_MS: f64 = 8.64e15;

/// A JWT time claim (seconds) in ms as `new Date(0).setUTCSeconds(x)` computes it (fraction of a second
/// dropped); `None` when it is not a number.
pub(crate) fn seconds_to_ms(v: &Value) -> Option<f64> {
    v.as_f64().map(|s| s.trunc() * 1000.0)
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31) (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

/// `new Date(ms).toUTCString()`, e.g. `Mon, 24 Oct 2022 21:51:50 GMT`; `Invalid Date` outside the JS range.
pub fn utc_string(ms: f64) -> String {
    if !ms.is_finite() || ms.abs() > MAX_DATE_MS {
        return "Invalid Date".to_owned();
    }
    const DAY_MS: i64 = 86_400_000;
    const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // In range and truncated, so the cast is exact.
    let ms = ms.trunc() as i64;
    let days = ms.div_euclid(DAY_MS);
    let secs_of_day = ms.rem_euclid(DAY_MS) / 1000;
    let (year, month, day) = civil_from_days(days);
    let weekday = WEEKDAYS
        .get((days + 4).rem_euclid(7) as usize)
        .copied()
        .unwrap_or("");
    let month = MONTHS
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("");
    // `{weekday}, {day:02} {month} {sign}{year:04} {hh:02}:{mm:02}:{ss:02} GMT`
    let mut out = String::with_capacity(29);
    out.push_str(weekday);
    out.push_str(", ");
    push_padded(&mut out, u64::from(day), 2);
    out.push(' ');
    out.push_str(month);
    out.push(' ');
    if year < 0 {
        out.push('-');
    }
    push_padded(&mut out, year.unsigned_abs(), 4);
    for (i, part) in [secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60]
        .into_iter()
        .enumerate()
    {
        out.push(if i == 0 { ' ' } else { ':' });
        push_padded(&mut out, part.unsigned_abs(), 2);
    }
    out.push_str(" GMT");
    out
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn utc_strings_match_node() {
        // Values printed by `new Date(x).toUTCString()` in Node 20.
        let cases: [(f64, &str); 9] = [
            (1_666_648_310_000.0, "Mon, 24 Oct 2022 21:51:50 GMT"),
            (0.0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (-1.0, "Wed, 31 Dec 1969 23:59:59 GMT"),
            (951_782_400_000.0, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (253_402_300_799_000.0, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (8.64e15, "Sat, 13 Sep 275760 00:00:00 GMT"),
            (-8.64e15, "Tue, 20 Apr -271821 00:00:00 GMT"),
            (-62_167_219_200_000.0, "Sat, 01 Jan 0000 00:00:00 GMT"),
            (1_666_648_250_999.0, "Mon, 24 Oct 2022 21:50:50 GMT"),
        ];
        for (ms, expected) in cases {
            assert_eq!(utc_string(ms), expected, "{ms}");
        }
        assert_eq!(utc_string(8.64e15 + 1.0), "Invalid Date");
        assert_eq!(utc_string(f64::NAN), "Invalid Date");
    }

    #[test]
    fn stringify_matches_json_stringify() {
        assert_eq!(stringify(None), "undefined");
        assert_eq!(stringify(Some(&json!(null))), "null");
        assert_eq!(stringify(Some(&json!("at+jwt"))), "\"at+jwt\"");
        assert_eq!(
            stringify(Some(&json!(["a", 1, 1.5, true]))),
            "[\"a\",1,1.5,true]"
        );
        assert_eq!(
            stringify(Some(&json!({"a": {"b": [1.0]}}))),
            "{\"a\":{\"b\":[1]}}"
        );
        assert_eq!(stringify(Some(&json!(1e21))), "1e+21");
        assert_eq!(stringify(Some(&json!(1.5e-7))), "1.5e-7");
        assert_eq!(stringify(Some(&json!(-0.000001))), "-0.000001");
        assert_eq!(stringify(Some(&json!("q\"\n"))), "\"q\\\"\\n\"");
    }

    #[test]
    fn numbers_match_js() {
        // Printed by `String(x)` in Node 20.
        let cases: [(f64, &str); 16] = [
            (1.5, "1.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123.0, "123"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (-0.000001, "-0.000001"),
            (1e-7, "1e-7"),
            (-2.5e300, "-2.5e+300"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-0.0, "0"),
            (1666648250.5, "1666648250.5"),
            (0.5, "0.5"),
        ];
        for (f, expected) in cases {
            assert_eq!(number(f), expected, "{f:?}");
        }
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn to_string_matches_js_string() {
        assert_eq!(to_string(None), "undefined");
        assert_eq!(to_string(Some(&json!(null))), "null");
        assert_eq!(to_string(Some(&json!(5))), "5");
        assert_eq!(to_string(Some(&json!("k"))), "k");
        assert_eq!(to_string(Some(&json!(["a", null, 2]))), "a,,2");
        assert_eq!(to_string(Some(&json!({}))), "[object Object]");
    }
}
