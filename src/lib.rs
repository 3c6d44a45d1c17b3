//! aca-runner-scaler: starts GitHub Actions ephemeral runners as Azure Container Apps job
//! executions, from an Azure Functions custom handler.
//!
//! A tick observes the queued jobs on GitHub, the pool's runners and the job's executions,
//! plans how many executions to start (a pure function, [`scaling::plan`]), acts, and reports.
pub mod azure;
pub mod cli;
pub mod clock;
pub mod github;
pub mod host;
pub mod http;
pub mod reconcile;
pub mod refresh;
pub mod same_origin;
pub mod sandbox;
pub mod scaling;
pub mod settings;
