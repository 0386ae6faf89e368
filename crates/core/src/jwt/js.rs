//! The few JavaScript conversions the reference's messages are built from: `JSON.stringify`, `String()`
//! and `Date.prototype.toUTCString()`. Hand-written so no date/time crate clock is compiled in.
#![deny(clippy::indexing_slicing)]

use std::fmt::Write;

use serde_json::Value;

/// JavaScript's `Number.prototype.toString()` for a finite or non-finite `f64`.
pub(crate) fn number(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    let abs = f.abs();
    if (1e-6..1e21).contains(&abs) {
        // Rust's `Display` prints the shortest round-tripping digits in positional notation, as JS does here.
        return format!("{f}");
    }
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => s,
    }
}

fn json_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        number(n.as_f64().unwrap_or(f64::NAN))
    }
}

fn write_json(out: &mut String, v: &Value) {
    match v {
        Value::Number(n) => out.push_str(&json_number(n)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
        // null, booleans and strings serialise exactly as JSON.stringify does.
        other => out.push_str(&other.to_string()),
    }
}

/// `JSON.stringify(v)` as it appears inside a template string: `None` (JS `undefined`) gives `undefined`.
pub(crate) fn stringify(v: Option<&Value>) -> String {
    match v {
        None => "undefined".to_owned(),
        Some(v) => {
            let mut out = String::new();
            write_json(&mut out, v);
            out
        }
    }
}

/// JavaScript's `String(v)` (template-literal interpolation).
pub(crate) fn to_string(v: Option<&Value>) -> String {
    match v {
        None => "undefined".to_owned(),
        Some(Value::Null) => "null".to_owned(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => json_number(n),
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
pub(crate) fn utc_string(ms: f64) -> String {
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
    let mut out = String::with_capacity(29);
    let sign = if year < 0 { "-" } else { "" };
    let _ = write!(
        out,
        "{weekday}, {day:02} {month} {sign}{:04} {:02}:{:02}:{:02} GMT",
        year.abs(),
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    );
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
    fn to_string_matches_js_string() {
        assert_eq!(to_string(None), "undefined");
        assert_eq!(to_string(Some(&json!(null))), "null");
        assert_eq!(to_string(Some(&json!(5))), "5");
        assert_eq!(to_string(Some(&json!("k"))), "k");
        assert_eq!(to_string(Some(&json!(["a", null, 2]))), "a,,2");
        assert_eq!(to_string(Some(&json!({}))), "[object Object]");
    }
}
