//! Deciding how many executions a pool needs: for now, the warm-runner schedule.
pub mod schedule;
