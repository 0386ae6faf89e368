//! Shared server state.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use rand_chacha::ChaCha20Rng;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::fault::{FaultKind, Faults};
use crate::ids;
use crate::keys::{self, KeyRing};
use crate::log::{LogEntry, RequestLog};
use crate::store::{Machine, Machines, Tokens};
use crate::sync::{lock, read};

pub(crate) struct State {
    pub url: String,
    pub instance_key: String,
    /// `ins_…`: the `instance_id` of every machine (the kid of the first signing key, as in Clerk, where the
    /// JWKS kid is the instance id).
    pub instance_id: String,
    pub machines: RwLock<Machines>,
    pub tokens: RwLock<Tokens>,
    pub keys: RwLock<KeyRing>,
    pub clock: Clock,
    faults: Mutex<Faults>,
    /// Fast path: skip the faults lock when none are registered.
    has_faults: AtomicBool,
    pub log: Mutex<RequestLog>,
    /// Seeded source of every id and secret minted after start-up.
    pub rng: Mutex<ChaCha20Rng>,
    pub shutdown: watch::Receiver<bool>,
}

impl State {
    /// Seeds the instance: one instance key and machines A (may call B), B (may call A), C (no scopes).
    pub(crate) fn new(url: String, seed: u64, shutdown: watch::Receiver<bool>) -> Self {
        let mut rng = ids::id_rng(seed);
        let instance_key = ids::instance_secret_key(&mut rng);
        let names = ["machine-a", "machine-b", "machine-c"];
        let seeded: Vec<(String, String)> = names
            .iter()
            .map(|_| (ids::machine_id(&mut rng), ids::machine_secret_key(&mut rng)))
            .collect();
        let scopes = [vec![seeded[1].0.clone()], vec![seeded[0].0.clone()], vec![]];
        let clock = Clock::default();
        let now = clock.now_ms();
        let mut machines = Machines::default();
        for ((name, (id, secret_key)), scopes) in names.iter().zip(seeded).zip(scopes) {
            machines.insert(Machine {
                id,
                name: (*name).to_owned(),
                secret_key,
                scopes,
                default_token_ttl: None,
                created_at: now,
                updated_at: now,
            });
        }
        Self {
            url,
            instance_key,
            instance_id: keys::kid_for(seed, 0),
            machines: RwLock::new(machines),
            tokens: RwLock::default(),
            keys: RwLock::new(KeyRing::new(seed)),
            clock,
            faults: Mutex::default(),
            has_faults: AtomicBool::new(false),
            log: Mutex::default(),
            rng: Mutex::new(rng),
            shutdown,
        }
    }

    pub(crate) fn machine_by_id(&self, id: &str) -> Option<Arc<Machine>> {
        read(&self.machines).by_id(id)
    }

    pub(crate) fn record(&self, entry: LogEntry) {
        lock(&self.log).push(entry);
    }

    pub(crate) fn take_fault(&self, route: &str) -> Option<FaultKind> {
        if !self.has_faults.load(Ordering::Acquire) {
            return None;
        }
        let mut faults = lock(&self.faults);
        let fault = faults.take(route);
        self.has_faults.store(!faults.is_empty(), Ordering::Release);
        fault
    }

    /// Runs `f` on the faults and refreshes the fast-path flag.
    pub(crate) fn with_faults<R>(&self, f: impl FnOnce(&mut Faults) -> R) -> R {
        let mut faults = lock(&self.faults);
        let result = f(&mut faults);
        self.has_faults.store(!faults.is_empty(), Ordering::Release);
        result
    }

    /// Resolves when the server begins shutting down.
    pub(crate) async fn shutting_down(&self) {
        stopped(&mut self.shutdown.clone()).await;
    }
}

/// Resolves once `true` is sent on the shutdown channel, or its sender is gone.
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    while !*rx.borrow_and_update() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}
