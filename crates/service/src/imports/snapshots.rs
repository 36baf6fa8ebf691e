//! Planned files kept in memory between preview pages.
//!
//! Planning reads the whole file and looks up every row's member: seconds
//! for a file at the row limit. The console's preview, its pages, its errors
//! filter and the report before applying all ask for the same plan, so the
//! last few plans are kept and reused while nothing they depend on has
//! changed: the import's mapping and sheet, the options, the importer, and
//! the organization (its audit log's mark, `org_change_mark`). A plan is a
//! dry run and the job plans again when it applies, so a kept plan can only
//! ever show a preview, never decide what is written.
//!
//! The console plans in the background (`Planning`): a page asks, waits a
//! moment, and shows progress instead of holding the request while a large
//! file is planned; the plan lands here when it is done.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use roster_bulk::{Detected, Mapping};

use super::RowPreview;
use crate::ServiceError;

/// A whole file planned at one moment.
pub(crate) struct PlanSnapshot {
    /// Each row's verdict, with its errors joined as one reason.
    pub previews: Vec<(RowPreview, String)>,
    /// Seats applying would take, by seat type.
    pub seats: HashMap<&'static str, i64>,
    pub detected: Detected,
    pub mapping: Mapping,
    /// When it was planned (milliseconds since the epoch).
    pub planned_at: i64,
}

/// What a plan depends on besides the file, which never changes after upload.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PlanKey {
    pub import_id: i64,
    /// The mapping, the chosen sheet, the options and the importer's role
    /// and membership, written out (a few kilobytes; compared exactly).
    pub inputs: String,
    /// The organization's audit mark when planning began.
    pub org_mark: (i64, i64),
}

impl PlanKey {
    pub fn new(import_id: i64, org_mark: (i64, i64), inputs: &[&str]) -> Self {
        Self {
            import_id,
            // NUL appears in none of them (JSON escapes it).
            inputs: inputs.join("\0"),
            org_mark,
        }
    }
}

/// Plans are dropped this long after they were made, so memory comes back
/// when the admin walks away.
const KEEP_FOR: Duration = Duration::from_secs(10 * 60);

type Kept = (PlanKey, Instant, Arc<PlanSnapshot>);

/// How far a plan being made has come: rows planned of all rows (0 until
/// the first pass has counted them).
#[derive(Default)]
pub(crate) struct Planning {
    pub done: AtomicUsize,
    pub total: AtomicUsize,
}

impl Planning {
    pub fn get(&self) -> (usize, usize) {
        (self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed))
    }
}

/// A plan being made in the background, or why making it failed (handed to
/// the next caller, once).
enum Making {
    Running(Arc<Planning>),
    Failed(ServiceError),
}

#[derive(Clone)]
pub(crate) struct PlanSnapshots {
    plans: Arc<Mutex<Vec<Kept>>>,
    making: Arc<Mutex<HashMap<PlanKey, Making>>>,
    max_plans: usize,
    /// Rows in all plans kept together; a plan larger than that is not kept.
    max_rows: usize,
}

impl Default for PlanSnapshots {
    /// Eight plans, a million rows in all (100–150 bytes each in memory).
    fn default() -> Self {
        Self::with_limits(8, 1_000_000)
    }
}

impl PlanSnapshots {
    pub fn with_limits(max_plans: usize, max_rows: usize) -> Self {
        Self {
            plans: Arc::default(),
            making: Arc::default(),
            max_plans,
            max_rows,
        }
    }

    /// The plan made for exactly this key, if it is still kept.
    pub fn get(&self, key: &PlanKey) -> Option<Arc<PlanSnapshot>> {
        let mut plans = self.lock();
        plans.retain(|(_, made, _)| made.elapsed() < KEEP_FOR);
        plans.iter().find(|(k, _, _)| k == key).map(|(_, _, plan)| plan.clone())
    }

    /// Keeps a plan, replacing any older plan of the same import and
    /// dropping the oldest ones beyond the limits.
    pub fn put(&self, key: PlanKey, plan: Arc<PlanSnapshot>) {
        let mut plans = self.lock();
        plans.retain(|(k, made, _)| k.import_id != key.import_id && made.elapsed() < KEEP_FOR);
        if plan.previews.len() > self.max_rows {
            return;
        }
        plans.push((key, Instant::now(), plan));
        // Newest last: drop from the front until both limits hold.
        while plans.len() > self.max_plans
            || plans.iter().map(|(_, _, p)| p.previews.len()).sum::<usize>() > self.max_rows
        {
            plans.remove(0);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Kept>> {
        self.plans.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where making the plan for `key` in the background stands: `None` if
    /// nobody is making it (nor failed to), else its progress or its error.
    pub fn making(&self, key: &PlanKey) -> Option<Result<Arc<Planning>, ServiceError>> {
        let mut making = self.making.lock().unwrap_or_else(|e| e.into_inner());
        if let Making::Running(planning) = making.get(key)? {
            return Some(Ok(planning.clone()));
        }
        match making.remove(key)? {
            Making::Failed(e) => Some(Err(e)),
            Making::Running(_) => None,
        }
    }

    /// Claims making the plan for `key`, unless someone makes it already or
    /// `MAX_MAKING` plans are being made (then the caller asks again later).
    pub fn start_making(&self, key: &PlanKey) -> Option<Arc<Planning>> {
        let mut making = self.making.lock().unwrap_or_else(|e| e.into_inner());
        let running = making.values().filter(|m| matches!(m, Making::Running(_))).count();
        if making.contains_key(key) || running >= MAX_MAKING {
            return None;
        }
        let planning = Arc::new(Planning::default());
        making.insert(key.clone(), Making::Running(planning.clone()));
        Some(planning)
    }

    /// Ends making the plan for `key`: keeps the plan, or the error for the
    /// next caller.
    pub fn finish_making(&self, key: PlanKey, made: Result<Arc<PlanSnapshot>, ServiceError>) {
        let mut making = self.making.lock().unwrap_or_else(|e| e.into_inner());
        match made {
            Ok(plan) => {
                // Kept before it stops being made, so that no caller in
                // between finds neither and starts over.
                making.remove(&key);
                self.put(key, plan);
            }
            Err(e) => {
                making.insert(key, Making::Failed(e));
            }
        }
    }
}

/// Plans made in the background at once, at most: each is a core's work
/// for seconds.
const MAX_MAKING: usize = 2;

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(rows: usize) -> Arc<PlanSnapshot> {
        let preview = RowPreview {
            line: 2,
            action: crate::imports::RowAction::Create,
            member_id: None,
            email: "a@example.com".into(),
            split_name: None,
            errors: Vec::new(),
        };
        Arc::new(PlanSnapshot {
            previews: vec![(preview, String::new()); rows],
            seats: HashMap::new(),
            detected: roster_bulk::detect(b"email\na@example.com\n").unwrap(),
            mapping: Mapping { columns: Vec::new() },
            planned_at: 0,
        })
    }

    #[test]
    fn a_plan_is_found_only_under_the_exact_key_it_was_made_for() {
        let plans = PlanSnapshots::default();
        let key = PlanKey::new(1, (10, 3), &["mapping", "options"]);
        plans.put(key.clone(), plan(1));
        assert!(plans.get(&key).is_some());
        assert!(
            plans.get(&PlanKey::new(1, (11, 4), &["mapping", "options"])).is_none(),
            "the organization changed"
        );
        assert!(
            plans.get(&PlanKey::new(1, (10, 4), &["mapping", "options"])).is_none(),
            "an event committed late"
        );
        assert!(plans
            .get(&PlanKey::new(1, (10, 3), &["other mapping", "options"]))
            .is_none());
        assert!(plans.get(&PlanKey::new(2, (10, 3), &["mapping", "options"])).is_none());
    }

    #[test]
    fn a_new_plan_of_an_import_replaces_its_old_one() {
        let plans = PlanSnapshots::default();
        let old = PlanKey::new(1, (10, 3), &["a"]);
        plans.put(old.clone(), plan(1));
        plans.put(PlanKey::new(1, (12, 5), &["a"]), plan(1));
        assert!(plans.get(&old).is_none());
        assert_eq!(plans.lock().len(), 1);
    }

    #[test]
    fn the_oldest_plans_go_first_when_the_limits_are_reached() {
        let plans = PlanSnapshots::with_limits(3, 10);
        let key = |import| PlanKey::new(import, (0, 0), &[]);
        for import in 0..5 {
            plans.put(key(import), plan(1));
        }
        assert!(plans.get(&key(1)).is_none());
        assert!(plans.get(&key(4)).is_some());
        assert_eq!(plans.lock().len(), 3);

        plans.put(key(5), plan(9));
        assert!(plans.get(&key(3)).is_none(), "all plans share one row budget");
        assert!(plans.get(&key(4)).is_some() && plans.get(&key(5)).is_some());
        plans.put(key(5), plan(11));
        assert!(
            plans.get(&key(5)).is_none(),
            "too large to keep, and the old plan of it is gone"
        );
        assert_eq!(plans.lock().len(), 1);
    }
}
