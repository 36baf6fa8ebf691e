//! Role and seat cells as the organization names them — "Owner (primary
//! admin)", a custom role's name, a seat type's label, what Roster's own
//! member export writes — are read as the keys they stand for, so that an
//! export imports back unchanged.

use std::collections::HashMap;

use roster_bulk::{Mapping, Target};

use crate::{ServiceResult, Vocabulary};

#[derive(Debug, Clone, Default)]
pub(super) struct Labels {
    roles: HashMap<String, String>,
    seats: HashMap<String, String>,
    role_column: Option<usize>,
    seat_column: Option<usize>,
}

fn folded(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Labels {
    pub async fn of(conn: &mut roster_store::Conn, org_id: i64, mapping: &Mapping) -> ServiceResult<Self> {
        let words = Vocabulary::of(conn, org_id).await?;
        Ok(Self {
            roles: words.roles().into_iter().map(|c| (folded(&c.label), c.value)).collect(),
            seats: words.seats().into_iter().map(|c| (folded(&c.label), c.value)).collect(),
            role_column: mapping.column_of(&Target::Role),
            seat_column: mapping.column_of(&Target::SeatType),
        })
    }

    /// Replaces a role or seat cell that is a label by its key.
    pub fn apply(&self, cells: &mut [String]) {
        for (column, labels) in [(self.role_column, &self.roles), (self.seat_column, &self.seats)] {
            if let Some(cell) = column.and_then(|c| cells.get_mut(c)) {
                if let Some(key) = labels.get(&folded(cell)) {
                    cell.clone_from(key);
                }
            }
        }
    }
}
