//! The request log (`/__admin/requests`).

use std::collections::VecDeque;

use hyper::http::request::Parts;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// How many requests are kept; older ones are dropped first.
pub(crate) const CAPACITY: usize = 10_000;

#[derive(Debug, Serialize)]
pub(crate) struct LogEntry {
    method: String,
    path: String,
    query: String,
    #[serde(serialize_with = "headers_as_object")]
    headers: Vec<(String, String)>,
    body: Option<String>,
    route: &'static str,
    at_ms: i64,
}

/// Lower-case names; repeated headers joined with `, `.
fn headers_as_object<S: Serializer>(headers: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(None)?;
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in headers {
        if seen.contains(&name.as_str()) {
            continue;
        }
        seen.push(name);
        let joined = headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        map.serialize_entry(name, &joined)?;
    }
    map.end()
}

impl LogEntry {
    pub(crate) fn new(parts: &Parts, body: &[u8], route: &'static str, at_ms: i64) -> Self {
        Self {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or("").to_owned(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: (!body.is_empty()).then(|| String::from_utf8_lossy(body).into_owned()),
            route,
            at_ms,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: VecDeque<LogEntry>,
}

impl RequestLog {
    pub(crate) fn push(&mut self, entry: LogEntry) {
        if self.entries.len() == CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub(crate) fn entries(&self) -> &VecDeque<LogEntry> {
        &self.entries
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_entries_up_to_capacity() {
        let (parts, ()) = hyper::Request::builder()
            .uri("/m2m_tokens?x=1")
            .header("X-Two", "a")
            .header("x-two", "b")
            .body(())
            .unwrap()
            .into_parts();
        let mut log = RequestLog::default();
        for at in 0..CAPACITY as i64 + 5 {
            log.push(LogEntry::new(&parts, b"", "list", at));
        }
        assert_eq!(log.entries().len(), CAPACITY);
        assert_eq!(log.entries()[0].at_ms, 5);
        let json = serde_json::to_value(&log.entries()[0]).unwrap();
        assert_eq!(json["headers"]["x-two"], "a, b");
        assert_eq!(json["query"], "x=1");
        assert_eq!(json["body"], serde_json::Value::Null);
    }
}
