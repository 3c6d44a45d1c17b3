//! The sandbox: an embedded GitHub + Container Apps emulator on 127.0.0.1, a simulated world
//! behind it stepped by a virtual clock, and a driver that runs the real scaler against it.

pub mod emulator;
pub mod fingerprint;
pub mod keys;
pub mod workload;
pub mod world;
