//! Azure: ARM tokens and the Container Apps job.

pub mod credential;
pub mod error;
pub mod jobs;
pub mod template;
pub mod types;

pub use error::AzureError;
pub use jobs::{Execution, JobsClient};
