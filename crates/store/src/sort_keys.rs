//! Keeping every member's sort key current: keys of another version than
//! `SORT_KEY_VERSION` (rows from before the keys existed, a new ICU4X, an
//! organization whose language changed to or from Dutch) are computed again
//! in small batches, each its own short transaction.

use roster_domain::{Language, NameSortKeys, SORT_KEY_VERSION};

use crate::sql::Sql;
use crate::{Conn, StoreResult};

/// Members whose keys are to compute again, after `after_id` in id order.
#[derive(Debug, Clone)]
pub struct StaleSortKey {
    pub id: i64,
    pub language: Language,
    pub first_name: String,
    pub last_name: String,
}

/// Up to `limit` members with a key of another version. The version is a
/// literal so that the planner can use the partial index of stale keys.
pub async fn stale_sort_keys(conn: &mut Conn, after_id: i64, limit: i64) -> StoreResult<Vec<StaleSortKey>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(&format!(
        "SELECT m.id, o.language, m.first_name, m.last_name FROM members m \
         JOIN organizations o ON o.id = m.org_id \
         WHERE m.sort_key_version <> {SORT_KEY_VERSION} AND m.id > $1 ORDER BY m.id LIMIT $2"
    ))
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, language, first_name, last_name)| StaleSortKey {
            id,
            language: Language::parse(&language).unwrap_or_default(),
            first_name,
            last_name,
        })
        .collect())
}

/// Writes the current keys of `members` (one statement).
pub async fn write_sort_keys(conn: &mut Conn, members: &[StaleSortKey]) -> StoreResult<()> {
    if members.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(&format!(
        "UPDATE members SET sort_key = v.column2, sort_key_version = {SORT_KEY_VERSION} FROM (VALUES "
    ));
    for (i, m) in members.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        let key = NameSortKeys::of(&m.first_name, &m.last_name);
        sql.bind(m.id)
            .push(", ")
            .bind(key.for_language(m.language).to_vec())
            .push(")");
    }
    sql.push(") AS v WHERE members.id = v.column1");
    sql.execute(conn).await?;
    Ok(())
}

/// After an organization's language changed between Dutch and another:
/// the keys of its members whose surname may start with particles (those
/// with a space in it) are computed again.
pub async fn expire_sort_keys_of_org(conn: &mut Conn, org_id: i64) -> StoreResult<u64> {
    Ok(
        sqlx::query("UPDATE members SET sort_key_version = 0 WHERE org_id = $1 AND last_name LIKE '% %'")
            .bind(org_id)
            .execute(conn.raw())
            .await?
            .rows_affected(),
    )
}
