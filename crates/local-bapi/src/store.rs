//! In-memory machines and opaque tokens. JWT-format tokens are never stored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

/// A machine of the instance.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub id: String,
    pub name: String,
    #[serde(rename = "secretKey")]
    pub secret_key: String,
    /// Machine ids this machine may call.
    pub scopes: Vec<String>,
    /// Lifetime in seconds of tokens created without `seconds_until_expiration`; `None` = never expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_token_ttl: Option<f64>,
}

#[derive(Debug, Default)]
pub(crate) struct Machines {
    by_id: HashMap<String, Arc<Machine>>,
    by_key: HashMap<String, Arc<Machine>>,
    order: Vec<String>,
}

impl Machines {
    pub(crate) fn insert(&mut self, machine: Machine) {
        let machine = Arc::new(machine);
        if !self.by_id.contains_key(&machine.id) {
            self.order.push(machine.id.clone());
        }
        self.by_key
            .insert(machine.secret_key.clone(), machine.clone());
        self.by_id.insert(machine.id.clone(), machine);
    }

    pub(crate) fn by_key(&self, key: &str) -> Option<Arc<Machine>> {
        self.by_key.get(key).cloned()
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<Arc<Machine>> {
        self.by_id.get(id).cloned()
    }

    pub(crate) fn all(&self) -> Vec<Arc<Machine>> {
        self.order
            .iter()
            .filter_map(|id| self.by_id.get(id).cloned())
            .collect()
    }
}

/// A stored opaque token.
#[derive(Debug)]
pub(crate) struct Token {
    pub id: String,
    pub secret: String,
    pub subject: String,
    pub scopes: Vec<String>,
    /// `Null` or an object.
    pub claims: Value,
    pub revoked: bool,
    pub revocation_reason: Option<String>,
    pub expiration: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `i64::MIN` until first verified.
    last_used_at: AtomicI64,
}

impl Token {
    pub(crate) fn new(
        id: String,
        secret: String,
        subject: String,
        scopes: Vec<String>,
        claims: Value,
        expiration: Option<i64>,
        now: i64,
    ) -> Self {
        Self {
            id,
            secret,
            subject,
            scopes,
            claims,
            revoked: false,
            revocation_reason: None,
            expiration,
            created_at: now,
            updated_at: now,
            last_used_at: AtomicI64::new(i64::MIN),
        }
    }

    pub(crate) fn is_expired(&self, now: i64) -> bool {
        self.expiration.is_some_and(|exp| exp <= now)
    }

    pub(crate) fn last_used_at(&self) -> Option<i64> {
        Some(self.last_used_at.load(Ordering::Relaxed)).filter(|&t| t != i64::MIN)
    }

    pub(crate) fn mark_used(&self, now: i64) {
        self.last_used_at.store(now, Ordering::Relaxed);
    }

    /// The JSON object BAPI returns; `with_secret` adds `token` (create only).
    pub(crate) fn json(&self, now: i64, with_secret: bool) -> TokenJson<'_> {
        TokenJson {
            object: "machine_to_machine_token",
            id: &self.id,
            subject: &self.subject,
            scopes: &self.scopes,
            claims: &self.claims,
            revoked: self.revoked,
            revocation_reason: self.revocation_reason.as_deref(),
            expired: self.is_expired(now),
            expiration: self.expiration,
            last_used_at: self.last_used_at(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            token: with_secret.then_some(self.secret.as_str()),
        }
    }
}

/// `M2MToken` as JSON, field order as in Clerk's responses.
#[derive(Debug, Serialize)]
pub(crate) struct TokenJson<'a> {
    pub object: &'static str,
    pub id: &'a str,
    pub subject: &'a str,
    pub scopes: &'a [String],
    pub claims: &'a Value,
    pub revoked: bool,
    pub revocation_reason: Option<&'a str>,
    pub expired: bool,
    pub expiration: Option<i64>,
    pub last_used_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<&'a str>,
}

/// Opaque tokens, indexed by id, by secret and by subject (oldest first within a subject).
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    all: Vec<Token>,
    by_id: HashMap<String, usize>,
    by_secret: HashMap<String, usize>,
    by_subject: HashMap<String, Vec<usize>>,
}

impl Tokens {
    pub(crate) fn insert(&mut self, token: Token) -> usize {
        let index = self.all.len();
        self.by_id.insert(token.id.clone(), index);
        self.by_secret.insert(token.secret.clone(), index);
        let created = token.created_at;
        let subject = self.by_subject.entry(token.subject.clone()).or_default();
        self.all.push(token);
        // Keep (created_at, insertion) order even when the clock offset moved backwards.
        let all = &self.all;
        let at = subject.partition_point(|&i| all[i].created_at <= created);
        subject.insert(at, index);
        index
    }

    pub(crate) fn get(&self, index: usize) -> Option<&Token> {
        self.all.get(index)
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut Token> {
        self.all.get_mut(index)
    }

    pub(crate) fn by_secret(&self, secret: &str) -> Option<&Token> {
        self.by_secret.get(secret).and_then(|&i| self.all.get(i))
    }

    /// A subject's tokens, newest first.
    pub(crate) fn newest_first<'a>(
        &'a self,
        subject: &str,
    ) -> impl Iterator<Item = &'a Token> + 'a {
        self.by_subject
            .get(subject)
            .into_iter()
            .flat_map(|v| v.iter().rev())
            .filter_map(|&i| self.all.get(i))
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}
