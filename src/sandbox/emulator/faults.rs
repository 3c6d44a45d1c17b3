//! Injectable faults: make the next calls of one kind fail the way the real service fails,
//! so tests can watch the scaler cope (throttling with `Retry-After`, outages).

use super::calls::CallKind;

/// One fault: the next `times` calls of `kind` get `status` instead of their answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Which endpoint fails.
    pub kind: CallKind,
    /// The HTTP status to answer with (429, 500, 503, ...).
    pub status: u16,
    /// `Retry-After` seconds to send, if any.
    pub retry_after: Option<u64>,
    /// How many calls it affects before it is used up.
    pub times: u32,
}

impl Fault {
    /// ARM throttling: `times` calls of `kind` get 429 with `Retry-After: retry_after`.
    pub fn throttle(kind: CallKind, times: u32, retry_after: u64) -> Self {
        Self {
            kind,
            status: 429,
            retry_after: Some(retry_after),
            times,
        }
    }

    /// An outage: `times` calls of `kind` get `status`.
    pub fn status(kind: CallKind, status: u16, times: u32) -> Self {
        Self {
            kind,
            status,
            retry_after: None,
            times,
        }
    }
}

/// Faults waiting to fire, in the order they were injected.
#[derive(Debug, Default)]
pub struct Faults {
    pending: Vec<Fault>,
}

impl Faults {
    /// Adds a fault.
    pub fn inject(&mut self, fault: Fault) {
        if fault.times > 0 {
            self.pending.push(fault);
        }
    }

    /// If a fault waits for `kind`, uses one of its calls and returns (status, retry-after).
    pub fn fire(&mut self, kind: CallKind) -> Option<(u16, Option<u64>)> {
        let index = self.pending.iter().position(|f| f.kind == kind)?;
        let fault = &mut self.pending[index];
        let fired = (fault.status, fault.retry_after);
        fault.times -= 1;
        if fault.times == 0 {
            self.pending.remove(index);
        }
        Some(fired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_fires_for_its_kind_as_many_times_as_asked() {
        let mut faults = Faults::default();
        faults.inject(Fault::throttle(CallKind::StartExecution, 2, 7));
        assert_eq!(faults.fire(CallKind::ListExecutions), None);
        assert_eq!(faults.fire(CallKind::StartExecution), Some((429, Some(7))));
        assert_eq!(faults.fire(CallKind::StartExecution), Some((429, Some(7))));
        assert_eq!(faults.fire(CallKind::StartExecution), None);
    }
}
