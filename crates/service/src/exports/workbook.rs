//! The whole organization as one workbook: Summary, Members, Team
//! assignments, Teams, Roles and permissions, Custom fields, Seats.

use roster_bulk::Value;
use roster_domain::{MemberStatus, Permission, Role, SeatType};
use roster_store::Conn;

use super::sheet::{Out, Stop};
use super::tables::{self, Context};
use super::MemberFilter;

fn err(e: roster_store::StoreError) -> Stop {
    crate::ServiceError::from(e).into()
}

pub(super) async fn organization(conn: &mut Conn, cx: &Context<'_>, now: i64, out: &mut Out<'_>) -> Result<(), Stop> {
    let org_id = cx.actor.org_id;
    let org = roster_store::org_by_id(conn, org_id)
        .await
        .map_err(err)?
        .ok_or_else(|| Stop::Refused("the organization is gone".into()))?;
    let by_status = roster_store::member_counts_by(conn, org_id, "status")
        .await
        .map_err(err)?;
    let by_role = roster_store::member_counts_by(conn, org_id, "role")
        .await
        .map_err(err)?;
    let by_seat = roster_store::member_counts_by(conn, org_id, "seat_type")
        .await
        .map_err(err)?;
    let teams = roster_store::list_teams(conn, org_id).await.map_err(err)?;
    let fields = roster_store::custom_fields(conn, org_id).await.map_err(err)?;
    let seats = roster_store::seat_allocations(conn, org_id).await.map_err(err)?;
    let members: i64 = by_status.iter().map(|(_, n)| n).sum();
    out.expect(Some(members * 2 + teams.len() as i64));

    out.sheet("Summary", vec!["item".into(), "value".into()]).await?;
    let pairs: Vec<(String, Value)> = [
        ("Organization".to_owned(), Value::text(&org.name)),
        ("Exported at (UTC)".to_owned(), Value::Time(now)),
        ("Members".to_owned(), Value::Int(members)),
    ]
    .into_iter()
    .chain(by_status.iter().map(|(s, n)| {
        let label = MemberStatus::parse(s).map_or_else(|_| s.clone(), |s| s.label().to_owned());
        (format!("Members: {label}"), Value::Int(*n))
    }))
    .chain(by_role.iter().map(|(r, n)| {
        let label = Role::parse(r).map_or_else(|_| r.clone(), |r| cx.words.role_label(&r));
        (format!("Role: {label}"), Value::Int(*n))
    }))
    .chain(by_seat.iter().map(|(s, n)| {
        let label = SeatType::parse(s).map_or_else(|_| "no seat".to_owned(), |s| cx.words.seat_label(s));
        (format!("Seat: {label}"), Value::Int(*n))
    }))
    .chain([
        ("Teams".to_owned(), Value::Int(teams.len() as i64)),
        ("Custom fields".to_owned(), Value::Int(fields.len() as i64)),
    ])
    .collect();
    for (item, value) in pairs {
        out.row(vec![Value::text(item), value]).await?;
    }

    tables::members(conn, cx, &MemberFilter::default(), out).await?;
    tables::assignments(conn, cx, out).await?;
    tables::teams(conn, cx, out).await?;

    let mut headers = vec!["role".to_owned(), "label".to_owned(), "custom".to_owned()];
    headers.extend(Permission::ALL.iter().map(|p| p.as_str().to_owned()));
    out.sheet("Roles and permissions", headers).await?;
    for choice in cx.words.roles() {
        let Ok(role) = Role::parse(&choice.value) else { continue };
        let perms = cx.words.permissions(&role);
        let mut row = vec![
            Value::text(&choice.value),
            Value::text(&choice.label),
            Value::Flag(matches!(role, Role::Custom(_))),
        ];
        row.extend(Permission::ALL.iter().map(|p| Value::Flag(perms.contains(*p))));
        out.row(row).await?;
    }

    out.sheet(
        "Custom fields",
        vec!["key".into(), "label".into(), "kind".into(), "choices".into()],
    )
    .await?;
    for f in &fields {
        out.row(vec![
            Value::text(&f.key),
            Value::text(&f.label),
            Value::text(&f.kind),
            Value::text(f.choices.join("; ")),
        ])
        .await?;
    }

    out.sheet(
        "Seats",
        vec![
            "seat_type".into(),
            "label".into(),
            "purchased".into(),
            "used".into(),
            "available".into(),
        ],
    )
    .await?;
    for s in &seats {
        let used = by_seat.iter().find(|(k, _)| *k == s.seat_type).map_or(0, |(_, n)| *n);
        out.row(vec![
            Value::text(&s.seat_type),
            Value::text(&s.label),
            Value::Int(s.purchased),
            Value::Int(used),
            Value::Int((s.purchased - used).max(0)),
        ])
        .await?;
    }
    Ok(())
}
