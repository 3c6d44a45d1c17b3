//! Scaling decisions: which jobs the pool serves, what each execution is doing, the warm-runner
//! schedule, and the plan. Everything here is pure: no I/O, time passed in.

pub mod classify;
pub mod drain;
pub mod matching;
pub mod plan;
pub mod schedule;
