//! GitHub: App authentication, the REST client, the queue of workflow jobs, and the pool's
//! runners.

pub mod auth;
pub mod client;
mod conditional;
pub mod error;
pub mod keygen;
pub mod queue;
pub mod rate;
pub mod runners;
pub mod types;

pub use client::{CallCounts, GithubClient};
pub use error::GithubError;
pub use runners::{Runner, Target};
