//! Organizations' SCIM User schemas, kept briefly: every SCIM request needs
//! its organization's (its custom fields are attributes, its roles
//! canonical values), and a lookup at a million members is a few
//! milliseconds in all. A change of custom fields or roles forgets it at
//! once in this process; another instance sees the change within
//! [`SCHEMA_KEPT`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::UserSchema;

/// How long an organization's User schema is kept.
const SCHEMA_KEPT: Duration = Duration::from_secs(5);

type Kept = HashMap<i64, (Instant, Arc<UserSchema>)>;

#[derive(Clone, Default)]
pub(crate) struct SchemaCache {
    inner: Arc<Mutex<Kept>>,
}

impl SchemaCache {
    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get(&self, org_id: i64) -> Option<Arc<UserSchema>> {
        self.kept()
            .get(&org_id)
            .filter(|(at, _)| at.elapsed() < SCHEMA_KEPT)
            .map(|(_, schema)| schema.clone())
    }

    pub(crate) fn put(&self, org_id: i64, schema: Arc<UserSchema>) {
        let mut kept = self.kept();
        if kept.len() > 10_000 {
            kept.retain(|_, (at, _)| at.elapsed() < SCHEMA_KEPT);
        }
        kept.insert(org_id, (Instant::now(), schema));
    }

    /// Forgets an organization's schema (its custom fields or roles changed).
    pub(crate) fn forget(&self, org_id: i64) {
        self.kept().remove(&org_id);
    }
}
