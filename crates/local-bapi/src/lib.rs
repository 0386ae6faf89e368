//! A local Clerk Backend API for M2M tokens, machines and JWKS: a real loopback HTTP server that behaves like
//! `https://api.clerk.com` for `@clerk/backend`, with test controls under `/__admin/`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let server = clerk_local_bapi::serve(clerk_local_bapi::Config::default()).await?;
//! println!("{}", server.url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod admin;
mod auth;
mod clock;
mod error;
mod fault;
mod ids;
mod keys;
mod log;
mod m2m;
mod machines;
mod reply;
mod server;
mod state;
mod store;
mod sync;
mod validate;

pub use server::{serve, Config, MachineInfo, RunningServer, ServerInfo};
