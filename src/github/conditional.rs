//! Conditional requests: remember each listing's `ETag` and body, send `If-None-Match`, and
//! serve a `304 Not Modified` from memory. GitHub does not charge a 304 against the primary rate
//! limit, so the repositories and runs that did not change since the last tick cost nothing.

use std::collections::HashMap;

use bytes::Bytes;

/// Past this many remembered listings, new ones are not remembered: memory stays bounded even
/// for an organization with thousands of repositories.
const MAX_ENTRIES: usize = 20_000;

/// A remembered answer.
#[derive(Clone)]
pub struct Remembered {
    pub etag: String,
    pub body: Bytes,
    pub next: Option<String>,
}

/// Remembered answers by URL. Entries not used during a tick are dropped at its end, so the
/// cache holds what the current set of repositories and runs needs, and no more.
#[derive(Default)]
pub struct ConditionalCache {
    entries: HashMap<String, (Remembered, bool)>,
}

impl ConditionalCache {
    /// The remembered answer for `url`, marking it used.
    pub fn lookup(&mut self, url: &str) -> Option<Remembered> {
        let (entry, used) = self.entries.get_mut(url)?;
        *used = true;
        Some(entry.clone())
    }

    /// Remembers the answer for `url`.
    pub fn remember(&mut self, url: &str, answer: Remembered) {
        if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(url) {
            return;
        }
        self.entries.insert(url.to_owned(), (answer, true));
    }

    /// Drops entries unused since the last sweep.
    pub fn sweep(&mut self) {
        self.entries.retain(|_, (_, used)| std::mem::take(used));
    }

    /// How many answers are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(etag: &str) -> Remembered {
        Remembered {
            etag: etag.into(),
            body: Bytes::from_static(b"{}"),
            next: None,
        }
    }

    #[test]
    fn entries_unused_for_a_whole_tick_are_dropped() {
        let mut cache = ConditionalCache::default();
        cache.remember("a", answer("1"));
        cache.remember("b", answer("2"));
        cache.sweep(); // end of the tick that fetched both
        assert!(cache.lookup("a").is_some());
        cache.sweep(); // end of a tick that used only `a`
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.lookup("a").unwrap().etag, "1");
        assert!(cache.lookup("b").is_none());
    }
}
