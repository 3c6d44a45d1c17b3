//! aca-runner-scaler: starts GitHub Actions ephemeral runners as Azure Container Apps job
//! executions, from an Azure Functions custom handler.
pub mod clock;
pub mod scaling;
