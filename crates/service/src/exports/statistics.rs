//! Statistics over time: members by status, role and seat type per UTC day.
//!
//! Statuses of any day are replayed from the status history. Roles and seat
//! types have no history: the worker counts them once an hour into
//! `member_daily_counts` (the day's last count stays), and today is counted
//! live; a day before the first count has no role or seat figures.

use std::collections::{BTreeMap, HashMap};

use roster_bulk::Value;
use roster_domain::{now_millis, MemberStatus, Role, SeatType};
use roster_store::Conn;

use super::sheet::{Out, Stop};
use crate::{Service, ServiceResult, Vocabulary};

const DAY: i64 = 86_400_000;

/// One day's figures.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct DayFigures {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    /// Members who are not removed, at the day's end.
    pub members: i64,
    /// Status → members (removed left out).
    pub status: BTreeMap<String, i64>,
    /// Role → members, when the day was counted.
    pub role: Option<BTreeMap<String, i64>>,
    /// Seat type (`''`: none) → members, when the day was counted.
    pub seat_type: Option<BTreeMap<String, i64>>,
}

fn status_code(raw: &str) -> u8 {
    MemberStatus::ALL
        .iter()
        .position(|s| s.as_str() == raw)
        .map_or(u8::MAX, |i| i as u8)
}

/// The figures of each day from `first` to `last`.
pub(crate) async fn figures(conn: &mut Conn, org_id: i64, first: i64, last: i64) -> ServiceResult<Vec<DayFigures>> {
    let today = now_millis() / DAY;
    // Statuses: replay the history up to the end of the last day.
    let changes = roster_store::status_changes(conn, org_id, (last + 1) * DAY).await?;
    let mut current: HashMap<i64, u8> = HashMap::new();
    let mut counts = [0i64; MemberStatus::ALL.len()];
    let mut changes = changes.into_iter().peekable();
    let mut days = Vec::new();
    for day in first..=last {
        let end = (day + 1) * DAY;
        while let Some((member, to, _)) = changes.next_if(|(_, _, at)| *at < end) {
            let code = status_code(&to);
            if let Some(old) = current.insert(member, code) {
                if let Some(n) = counts.get_mut(old as usize) {
                    *n -= 1;
                }
            }
            if let Some(n) = counts.get_mut(code as usize) {
                *n += 1;
            }
        }
        let mut status = BTreeMap::new();
        for (i, s) in MemberStatus::ALL.iter().enumerate() {
            if *s != MemberStatus::Removed {
                status.insert(s.as_str().to_owned(), counts[i]);
            }
        }
        days.push(DayFigures {
            day,
            members: status.values().sum(),
            status,
            role: None,
            seat_type: None,
        });
    }
    // Roles and seat types: the counts taken, and today's live ones.
    for (day, dimension, value, count) in roster_store::daily_counts(conn, org_id, first, last).await? {
        if let Some(f) = days.get_mut((day - first) as usize) {
            let map = match dimension.as_str() {
                "role" => f.role.get_or_insert_with(BTreeMap::new),
                "seat_type" => f.seat_type.get_or_insert_with(BTreeMap::new),
                _ => continue,
            };
            map.insert(value, count);
        }
    }
    if (first..=last).contains(&today) {
        if let Some(f) = days.get_mut((today - first) as usize) {
            f.role = Some(
                roster_store::member_counts_by(conn, org_id, "role")
                    .await?
                    .into_iter()
                    .collect(),
            );
            f.seat_type = Some(
                roster_store::member_counts_by(conn, org_id, "seat_type")
                    .await?
                    .into_iter()
                    .collect(),
            );
        }
    }
    Ok(days)
}

/// The statistics sheet: a row per day, a column per status, role and seat.
pub(super) async fn sheet(
    conn: &mut Conn,
    org_id: i64,
    words: &Vocabulary,
    first: i64,
    last: i64,
    out: &mut Out<'_>,
) -> Result<(), Stop> {
    let days = figures(conn, org_id, first, last).await?;
    let statuses: Vec<MemberStatus> = MemberStatus::ALL
        .into_iter()
        .filter(|s| *s != MemberStatus::Removed)
        .collect();
    let mut roles: Vec<String> = days
        .iter()
        .filter_map(|d| d.role.as_ref())
        .flat_map(|m| m.keys().cloned())
        .collect();
    roles.sort();
    roles.dedup();
    let mut seats: Vec<String> = days
        .iter()
        .filter_map(|d| d.seat_type.as_ref())
        .flat_map(|m| m.keys().cloned())
        .collect();
    seats.sort();
    seats.dedup();
    let mut headers = vec!["day".to_owned(), "members".to_owned()];
    headers.extend(statuses.iter().map(|s| format!("status: {}", s.label())));
    headers.extend(roles.iter().map(|r| {
        let label = Role::parse(r).map_or_else(|_| r.clone(), |r| words.role_label(&r));
        format!("role: {label}")
    }));
    headers.extend(seats.iter().map(|s| match SeatType::parse(s) {
        Ok(seat) => format!("seat: {}", words.seat_label(seat)),
        Err(_) => "seat: none".to_owned(),
    }));
    out.expect(Some(days.len() as i64));
    out.sheet("Statistics", headers).await?;
    for d in &days {
        let mut row = vec![Value::Day(d.day), Value::Int(d.members)];
        row.extend(
            statuses
                .iter()
                .map(|s| Value::Int(d.status.get(s.as_str()).copied().unwrap_or(0))),
        );
        let count_of = |map: &Option<BTreeMap<String, i64>>, key: &String| match map {
            Some(m) => Value::Int(m.get(key).copied().unwrap_or(0)),
            None => Value::Empty,
        };
        row.extend(roles.iter().map(|r| count_of(&d.role, r)));
        row.extend(seats.iter().map(|s| count_of(&d.seat_type, s)));
        out.row(row).await?;
    }
    Ok(())
}

impl Service {
    /// Counts every organization's members by role and seat type for today
    /// (the worker, hourly).
    pub async fn record_daily_counts(&self) -> ServiceResult<()> {
        let today = now_millis() / DAY;
        let mut conn = self.store().conn().await?;
        let orgs = roster_store::org_ids(&mut conn).await?;
        drop(conn);
        for org in orgs {
            // Counted in a read snapshot, written in a short write: counting
            // a million members takes a while, and on SQLite a write
            // transaction would hold every other writer for that long.
            let mut read = self.store().begin_read().await?;
            let mut counts: Vec<(&str, String, i64)> = Vec::new();
            for dimension in ["status", "role", "seat_type"] {
                for (value, n) in roster_store::member_counts_by(&mut read, org, dimension).await? {
                    counts.push((dimension, value, n));
                }
            }
            read.rollback().await?;
            let mut tx = self.store().begin().await?;
            roster_store::record_daily_counts(&mut tx, org, today, &counts).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// The statistics of the actor's organization for a period (the
    /// console's chart).
    pub async fn statistics(
        &self,
        can: crate::Can<'_, crate::ReadOrg>,
        first: i64,
        last: i64,
    ) -> ServiceResult<Vec<DayFigures>> {
        let mut conn = self.store().conn().await?;
        figures(&mut conn, can.actor().org_id, first, last).await
    }
}
