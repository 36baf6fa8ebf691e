//! Paging SCIM's user list at a million members. RFC 7644 pages by
//! position (`startIndex`), which a database answers by counting past
//! every earlier row: Okta's import, paging by 100, would cost the square
//! of the list. So each page remembers where it ended, keyed by the
//! organization, the filter, the position and the organization's change
//! mark (`org_change_mark`: every change writes an audit row): the next
//! page starts from there with an index, and is exactly the page the
//! position names as long as nothing changed. Totals are remembered the
//! same way. Both are a cache of one process, bounded in size.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use roster_store::UserPosition;

/// How many positions and totals are remembered (some 100 bytes each).
const REMEMBERED: usize = 10_000;

type Mark = (i64, i64);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    org_id: i64,
    filter: String,
    mark: Mark,
}

#[derive(Default)]
struct Memory {
    positions: HashMap<(Key, usize), UserPosition>,
    position_order: VecDeque<(Key, usize)>,
    totals: HashMap<Key, usize>,
    total_order: VecDeque<Key>,
}

#[derive(Clone, Default)]
pub(crate) struct PageMemory {
    inner: Arc<Mutex<Memory>>,
}

/// What a list is, for remembering its pages: the organization, the
/// filter (its parsed form, written out) and the organization's change mark.
pub(crate) struct ListKey(Key);

impl ListKey {
    pub(crate) fn new(org_id: i64, filter: Option<&roster_scim::Filter>, mark: Mark) -> Self {
        Self(Key {
            org_id,
            filter: filter.map(|f| format!("{f:?}")).unwrap_or_default(),
            mark,
        })
    }
}

impl PageMemory {
    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the member before 1-based position `start` is, if a page ended there.
    pub(crate) fn position(&self, list: &ListKey, start: usize) -> Option<UserPosition> {
        self.memory().positions.get(&(list.0.clone(), start)).copied()
    }

    pub(crate) fn remember_position(&self, list: &ListKey, start: usize, at: UserPosition) {
        let mut m = self.memory();
        let key = (list.0.clone(), start);
        if m.positions.insert(key.clone(), at).is_none() {
            m.position_order.push_back(key);
            while m.position_order.len() > REMEMBERED {
                if let Some(old) = m.position_order.pop_front() {
                    m.positions.remove(&old);
                }
            }
        }
    }

    pub(crate) fn total(&self, list: &ListKey) -> Option<usize> {
        self.memory().totals.get(&list.0).copied()
    }

    pub(crate) fn remember_total(&self, list: &ListKey, total: usize) {
        let mut m = self.memory();
        if m.totals.insert(list.0.clone(), total).is_none() {
            m.total_order.push_back(list.0.clone());
            while m.total_order.len() > REMEMBERED {
                if let Some(old) = m.total_order.pop_front() {
                    m.totals.remove(&old);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_totals_are_remembered_per_list_and_change_mark() {
        let memory = PageMemory::default();
        let before = ListKey::new(1, None, (10, 3));
        memory.remember_position(&before, 101, (5, 100));
        memory.remember_total(&before, 1_000);
        assert_eq!(memory.position(&before, 101), Some((5, 100)));
        assert_eq!(memory.total(&before), Some(1_000));
        let changed = ListKey::new(1, None, (11, 4));
        assert_eq!(memory.position(&changed, 101), None);
        assert_eq!(memory.total(&changed), None);
        let other_org = ListKey::new(2, None, (10, 3));
        assert_eq!(memory.position(&other_org, 101), None);
    }

    #[test]
    fn memory_stays_bounded() {
        let memory = PageMemory::default();
        let list = ListKey::new(1, None, (1, 1));
        for start in 0..(REMEMBERED + 50) {
            memory.remember_position(&list, start, (0, start as i64));
        }
        assert_eq!(memory.memory().positions.len(), REMEMBERED);
        assert_eq!(memory.position(&list, 0), None);
    }
}
