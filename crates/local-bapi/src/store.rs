//! In-memory machines and opaque tokens. JWT-format tokens are never stored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

/// A machine of the instance. Serialised as `GET /__admin/machines` shows it; the Backend API shape is built
/// in `machines.rs`.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub id: String,
    pub name: String,
    /// The current secret key (previous ones still valid after a rotation live in [`Machines`]).
    #[serde(rename = "secretKey")]
    pub secret_key: String,
    /// Machine ids this machine may call, in the order they were granted.
    pub scopes: Vec<String>,
    /// Lifetime in seconds of tokens created without `seconds_until_expiration`; `None` = never expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_token_ttl: Option<f64>,
    /// Unix milliseconds.
    #[serde(skip)]
    pub created_at: i64,
    /// Unix milliseconds.
    #[serde(skip)]
    pub updated_at: i64,
}

/// Where a secret key leads, and until when it is accepted (`None` = the current key, no end).
#[derive(Debug)]
struct KeyEntry {
    machine_id: String,
    valid_until: Option<i64>,
}

/// The machines, by id (in creation order) and by every secret key that still authenticates one.
#[derive(Debug, Default)]
pub(crate) struct Machines {
    by_id: HashMap<String, Arc<Machine>>,
    keys: HashMap<String, KeyEntry>,
    order: Vec<String>,
}

impl Machines {
    /// Adds a machine, or replaces the one with the same id (a changed secret key replaces the old one at
    /// once; use [`Machines::rotate`] for a grace period).
    pub(crate) fn insert(&mut self, machine: Machine) {
        let machine = Arc::new(machine);
        match self.by_id.get(&machine.id) {
            None => self.order.push(machine.id.clone()),
            Some(old) if old.secret_key != machine.secret_key => {
                self.keys.remove(&old.secret_key);
            }
            Some(_) => {}
        }
        self.keys.insert(
            machine.secret_key.clone(),
            KeyEntry {
                machine_id: machine.id.clone(),
                valid_until: None,
            },
        );
        self.by_id.insert(machine.id.clone(), machine);
    }

    /// The machine a secret key authenticates at `now` (Unix ms): its current key, or a previous one within
    /// the grace period of its rotation.
    pub(crate) fn by_key(&self, key: &str, now: i64) -> Option<Arc<Machine>> {
        let entry = self.keys.get(key)?;
        if entry.valid_until.is_some_and(|until| now >= until) {
            return None;
        }
        self.by_id(&entry.machine_id)
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<Arc<Machine>> {
        self.by_id.get(id).cloned()
    }

    /// A machine, borrowed for as long as the store is.
    pub(crate) fn get(&self, id: &str) -> Option<&Machine> {
        self.by_id.get(id).map(|m| &**m)
    }

    /// Every machine, borrowed, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Machine> + '_ {
        self.order.iter().filter_map(|id| self.get(id))
    }

    /// Every machine, oldest first.
    pub(crate) fn all(&self) -> Vec<Arc<Machine>> {
        self.order
            .iter()
            .filter_map(|id| self.by_id.get(id).cloned())
            .collect()
    }

    /// Changes a machine (not its secret key) and returns the stored result.
    pub(crate) fn update(
        &mut self,
        id: &str,
        change: impl FnOnce(&mut Machine),
    ) -> Option<Arc<Machine>> {
        let mut machine = (**self.by_id.get(id)?).clone();
        let secret_key = machine.secret_key.clone();
        change(&mut machine);
        machine.secret_key = secret_key;
        let machine = Arc::new(machine);
        self.by_id.insert(machine.id.clone(), machine.clone());
        Some(machine)
    }

    /// Makes `new_key` the machine's secret key; the current one stays valid until `old_valid_until` (Unix
    /// ms; at or before `now` = invalid at once). Previous keys whose grace period is over are forgotten.
    pub(crate) fn rotate(
        &mut self,
        id: &str,
        new_key: String,
        old_valid_until: i64,
        now: i64,
    ) -> Option<Arc<Machine>> {
        let old_key = self.by_id.get(id)?.secret_key.clone();
        self.keys
            .retain(|_, entry| entry.valid_until.is_none_or(|until| now < until));
        if old_valid_until > now {
            if let Some(entry) = self.keys.get_mut(&old_key) {
                entry.valid_until = Some(old_valid_until);
            }
        } else {
            self.keys.remove(&old_key);
        }
        self.keys.insert(
            new_key.clone(),
            KeyEntry {
                machine_id: id.to_owned(),
                valid_until: None,
            },
        );
        let mut machine = (**self.by_id.get(id)?).clone();
        machine.secret_key = new_key;
        machine.updated_at = now;
        let machine = Arc::new(machine);
        self.by_id.insert(id.to_owned(), machine.clone());
        Some(machine)
    }

    /// Deletes a machine with every secret key it had, and takes it out of the other machines' scopes
    /// (their `updated_at` becomes `now`).
    pub(crate) fn remove(&mut self, id: &str, now: i64) -> Option<Arc<Machine>> {
        let removed = self.by_id.remove(id)?;
        self.order.retain(|other| other != id);
        self.keys.retain(|_, entry| entry.machine_id != id);
        let granted: Vec<String> = self
            .by_id
            .values()
            .filter(|m| m.scopes.iter().any(|s| s == id))
            .map(|m| m.id.clone())
            .collect();
        for other in granted {
            self.update(&other, |m| {
                m.scopes.retain(|s| s != id);
                m.updated_at = now;
            });
        }
        Some(removed)
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

    /// Forgets every token of `subject` (its machine was deleted): they can no longer be found by id, secret
    /// or subject.
    pub(crate) fn remove_subject(&mut self, subject: &str) {
        for index in self.by_subject.remove(subject).unwrap_or_default() {
            if let Some(token) = self.all.get(index) {
                self.by_id.remove(&token.id);
                self.by_secret.remove(&token.secret);
            }
        }
    }

    /// Takes machine `scope` out of the scopes of `subject`'s tokens (of every token with `None`), so that a
    /// removed grant stops working for tokens already minted.
    pub(crate) fn drop_scope(&mut self, subject: Option<&str>, scope: &str) {
        let indices: Vec<usize> = match subject {
            Some(subject) => self.by_subject.get(subject).cloned().unwrap_or_default(),
            None => (0..self.all.len()).collect(),
        };
        for index in indices {
            if let Some(token) = self.all.get_mut(index) {
                token.scopes.retain(|s| s != scope);
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(id: &str, key: &str, scopes: &[&str]) -> Machine {
        Machine {
            id: id.into(),
            name: id.into(),
            secret_key: key.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            default_token_ttl: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn rotation_keeps_the_old_key_for_its_grace_period() {
        let mut machines = Machines::default();
        machines.insert(machine("m1", "ak_1", &[]));
        machines.rotate("m1", "ak_2".into(), 1_000, 0).unwrap();
        assert_eq!(machines.by_key("ak_1", 999).unwrap().id, "m1");
        assert!(machines.by_key("ak_1", 1_000).is_none());
        assert_eq!(machines.by_key("ak_2", 5_000).unwrap().secret_key, "ak_2");
        // A grace period ending at or before now: the old key goes at once.
        machines.rotate("m1", "ak_3".into(), 5_000, 5_000).unwrap();
        assert!(machines.by_key("ak_2", 5_000).is_none());
        // Expired previous keys are forgotten on the next rotation.
        machines.rotate("m1", "ak_4".into(), 9_000, 6_000).unwrap();
        machines
            .rotate("m1", "ak_5".into(), 20_000, 10_000)
            .unwrap();
        assert_eq!(machines.keys.len(), 2, "{:?}", machines.keys);
        assert!(machines.rotate("nope", "ak_6".into(), 0, 0).is_none());
    }

    #[test]
    fn removal_drops_keys_and_incoming_scopes() {
        let mut machines = Machines::default();
        machines.insert(machine("a", "ak_a", &["b"]));
        machines.insert(machine("b", "ak_b", &["a", "b"]));
        machines.rotate("b", "ak_b2".into(), 100, 0).unwrap();
        assert_eq!(machines.remove("b", 7).unwrap().id, "b");
        assert!(machines.by_key("ak_b", 0).is_none());
        assert!(machines.by_key("ak_b2", 0).is_none());
        let a = machines.by_id("a").unwrap();
        assert!(a.scopes.is_empty());
        assert_eq!(a.updated_at, 7);
        assert_eq!(machines.all().len(), 1);
        assert!(machines.remove("b", 8).is_none());
    }

    #[test]
    fn removed_subjects_and_scopes_leave_the_tokens() {
        let mut tokens = Tokens::default();
        let token = |id: &str, subject: &str, scopes: &[&str]| {
            Token::new(
                id.into(),
                format!("secret-{id}"),
                subject.into(),
                scopes.iter().map(|s| (*s).to_owned()).collect(),
                Value::Null,
                None,
                0,
            )
        };
        tokens.insert(token("t1", "a", &["b", "c"]));
        tokens.insert(token("t2", "b", &["c"]));
        tokens.drop_scope(Some("a"), "b");
        assert_eq!(tokens.by_secret("secret-t1").unwrap().scopes, ["c"]);
        tokens.drop_scope(None, "c");
        assert!(tokens.by_secret("secret-t2").unwrap().scopes.is_empty());
        tokens.remove_subject("a");
        assert!(tokens.by_secret("secret-t1").is_none());
        assert!(tokens.by_id("t1").is_none());
        assert_eq!(tokens.newest_first("a").count(), 0);
        assert!(tokens.by_id("t2").is_some());
    }
}
