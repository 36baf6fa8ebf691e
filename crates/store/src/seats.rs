use serde::Serialize;

use crate::rows::{int, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct SeatAllocation {
    pub seat_type: String,
    pub label: String,
    pub purchased: i64,
}

pub async fn upsert_seat_allocation(
    conn: &mut Conn,
    org_id: i64,
    seat_type: &str,
    label: &str,
    purchased: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO seat_allocations (org_id, seat_type, label, purchased) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id, seat_type) DO UPDATE SET label = excluded.label, purchased = excluded.purchased",
    )
    .bind(org_id)
    .bind(seat_type)
    .bind(label)
    .bind(purchased)
    .execute(conn.raw())
    .await?;
    Ok(())
}

pub async fn seat_allocations(conn: &mut Conn, org_id: i64) -> StoreResult<Vec<SeatAllocation>> {
    let rows =
        sqlx::query("SELECT seat_type, label, purchased FROM seat_allocations WHERE org_id = $1 ORDER BY seat_type")
            .bind(org_id)
            .fetch_all(conn.raw())
            .await?;
    rows.iter()
        .map(|r| {
            Ok(SeatAllocation {
                seat_type: text(r, "seat_type")?,
                label: text(r, "label")?,
                purchased: int(r, "purchased")?,
            })
        })
        .collect()
}

/// Members holding a seat of `seat_type`: invited, active or reassign-pending.
pub async fn used_seats(conn: &mut Conn, org_id: i64, seat_type: &str) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM members WHERE org_id = $1 AND seat_type = $2 \
         AND status IN ('invited', 'active', 'reassign_pending')",
    )
    .bind(org_id)
    .bind(seat_type)
    .fetch_one(conn.raw())
    .await?)
}

/// Members who are not removed.
pub async fn team_size(conn: &mut Conn, org_id: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE org_id = $1 AND status <> 'removed'")
            .bind(org_id)
            .fetch_one(conn.raw())
            .await?,
    )
}

/// Members per status and per role, for the organization overview.
pub async fn member_counts(conn: &mut Conn, org_id: i64, column: CountBy) -> StoreResult<Vec<(String, i64)>> {
    let col = match column {
        CountBy::Status => "status",
        CountBy::Role => "role",
    };
    let rows = sqlx::query(&format!(
        "SELECT {col} AS k, COUNT(*) AS n FROM members WHERE org_id = $1 GROUP BY {col} ORDER BY {col}"
    ))
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Ok::<_, sqlx::Error>((text(r, "k")?, int(r, "n")?)))
        .collect::<Result<_, _>>()?)
}

#[derive(Debug, Clone, Copy)]
pub enum CountBy {
    Status,
    Role,
}
