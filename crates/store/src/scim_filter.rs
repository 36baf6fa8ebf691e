//! A compiled SCIM filter as SQL, as far as Roster's columns and indexes
//! decide it. Each condition becomes a SQL condition that every matching
//! row meets (a superset where SQL cannot tell: `1=1`), and says whether
//! it is exactly the filter; when it is not, the service checks each row
//! it reads against the whole filter. Every value is a bound parameter.
//! Conditions never yield NULL, so `NOT` means what it says.

use roster_domain::UserName;
use roster_scim::schema::{ENTERPRISE_USER, ROSTER_USER};
use roster_scim::{CompareOp, Cond, Loc, Operand};

use crate::sql::{like_escape, Sql};

/// Appends `cond` over members `m`; returns whether SQL decides it exactly.
pub(crate) fn user_condition(sql: &mut Sql, org_id: i64, cond: &Cond) -> bool {
    condition(sql, org_id, cond, &user_leaf)
}

/// Appends `cond` over directory teams `t`; returns whether SQL decides it exactly.
pub(crate) fn group_condition(sql: &mut Sql, org_id: i64, cond: &Cond) -> bool {
    condition(sql, org_id, cond, &group_leaf)
}

/// Whether SQL alone decides `cond` for users (no row needs checking).
pub fn user_condition_is_exact(cond: &Cond) -> bool {
    let mut scratch = Sql::new("");
    user_condition(&mut scratch, 0, cond)
}

/// Whether SQL alone decides `cond` for groups.
pub fn group_condition_is_exact(cond: &Cond) -> bool {
    let mut scratch = Sql::new("");
    group_condition(&mut scratch, 0, cond)
}

type Leaf = dyn Fn(&mut Sql, i64, &Cond) -> Option<bool>;

fn condition(sql: &mut Sql, org_id: i64, cond: &Cond, leaf: &Leaf) -> bool {
    match cond {
        Cond::And(list) | Cond::Or(list) => {
            let joiner = if matches!(cond, Cond::And(_)) { " AND " } else { " OR " };
            let mut exact = true;
            sql.push("(");
            for (i, c) in list.iter().enumerate() {
                if i > 0 {
                    sql.push(joiner);
                }
                exact &= condition(sql, org_id, c, leaf);
            }
            sql.push(")");
            exact
        }
        Cond::Not(inner) => {
            // Only an exact condition can be negated: the negation of a
            // superset is not a superset.
            let mut probe = Sql::new("");
            if condition(&mut probe, org_id, inner, leaf) {
                // (A comparison with a NULL column is NULL: COALESCE makes it false.)
                sql.push("NOT COALESCE((");
                condition(sql, org_id, inner, leaf);
                sql.push("), 1=0)");
                true
            } else {
                sql.push("1=1");
                false
            }
        }
        other => match leaf(sql, org_id, other) {
            Some(exact) => exact,
            None => {
                sql.push("1=1");
                false
            }
        },
    }
}

fn text(operand: &Operand) -> Option<&str> {
    match operand {
        Operand::Text(t) => Some(t),
        _ => None,
    }
}

/// A `LIKE` pattern for a substring operator.
fn pattern(op: CompareOp, needle: &str) -> Option<String> {
    let n = like_escape(needle);
    match op {
        CompareOp::Co => Some(format!("%{n}%")),
        CompareOp::Sw => Some(format!("{n}%")),
        CompareOp::Ew => Some(format!("%{n}")),
        _ => None,
    }
}

fn time_op(op: CompareOp) -> Option<&'static str> {
    Some(match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        _ => return None,
    })
}

/// `id` compared: a number behind `prefix` (a group's `g`); text that is
/// no such id matches nothing.
fn id_leaf(sql: &mut Sql, column: &str, prefix: &str, op: CompareOp, operand: &Operand) -> Option<bool> {
    let id = text(operand)?;
    let parsed = id
        .strip_prefix(prefix)
        .and_then(|digits| digits.parse::<i64>().ok().filter(|n| n.to_string() == digits));
    match (op, parsed) {
        (CompareOp::Eq, Some(n)) => sql.push(&format!("{column} = ")).bind(n),
        (CompareOp::Eq, None) => sql.push("1=0"),
        (CompareOp::Ne, Some(n)) => sql.push(&format!("{column} <> ")).bind(n),
        (CompareOp::Ne, None) => sql.push("1=1"),
        _ => return None,
    };
    Some(true)
}

/// A time column compared (`meta.created`, `meta.lastModified`).
fn time_leaf(sql: &mut Sql, column: &str, op: CompareOp, operand: &Operand) -> Option<bool> {
    let Operand::Time(t) = operand else { return None };
    sql.push(&format!("{column} {} ", time_op(op)?)).bind(*t);
    Some(true)
}

/// A case-insensitive key column (`NFC`, lower case) compared.
fn key_leaf(sql: &mut Sql, column: &str, op: CompareOp, operand: &Operand) -> Option<bool> {
    let key = UserName::key_of(text(operand)?);
    match op {
        CompareOp::Eq => sql.push(&format!("{column} = ")).bind(key),
        CompareOp::Ne => sql
            .push(&format!("({column} IS NULL OR {column} <> "))
            .bind(key)
            .push(")"),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => sql
            .push(&format!("{column} LIKE "))
            .bind(pattern(op, &key)?)
            .push(" ESCAPE '\\'"),
        _ => return None,
    };
    Some(true)
}

fn user_leaf(sql: &mut Sql, org_id: i64, cond: &Cond) -> Option<bool> {
    match cond {
        Cond::Present(loc)
            if loc.is_core("userName", None) || loc.is_core("id", None) || loc.is_core("active", None) =>
        {
            sql.push("1=1");
            Some(true)
        }
        Cond::Present(loc) if loc.is_core("externalId", None) => {
            sql.push("m.external_id IS NOT NULL");
            Some(true)
        }
        Cond::Cmp(loc, op, operand) => user_comparison(sql, org_id, loc, *op, operand),
        Cond::Has(loc, inner) if loc.is_core("emails", None) => {
            // `emails[type eq "work" and value eq "…"]`: the address narrows
            // it with an index; the rest is checked row by row.
            let value_eq = match inner.as_ref() {
                Cond::Cmp(l, CompareOp::Eq, v) if l.attr == "value" => Some((v, true)),
                Cond::And(list) => list.iter().find_map(|c| match c {
                    Cond::Cmp(l, CompareOp::Eq, v) if l.attr == "value" && l.holder.is_none() => Some((v, false)),
                    _ => None,
                }),
                _ => None,
            };
            let (value, alone) = value_eq?;
            email_equals(sql, org_id, value)?;
            Some(alone)
        }
        _ => None,
    }
}

fn email_equals(sql: &mut Sql, org_id: i64, operand: &Operand) -> Option<()> {
    let key = UserName::key_of(text(operand)?);
    sql.push("(m.email_normalized = ")
        .bind(key.clone())
        .push(" OR m.id IN (SELECT e.member_id FROM member_emails e WHERE e.org_id = ")
        .bind(org_id)
        .push(" AND e.email_key = ")
        .bind(key)
        .push("))");
    Some(())
}

fn user_comparison(sql: &mut Sql, org_id: i64, loc: &Loc, op: CompareOp, operand: &Operand) -> Option<bool> {
    if loc.is_core("id", None) {
        return id_leaf(sql, "m.id", "", op, operand);
    }
    if loc.is_core("userName", None) {
        // A member without a userName answers to its e-mail.
        let key = UserName::key_of(text(operand)?);
        match op {
            // Written so that each side of the OR has its index.
            CompareOp::Eq => {
                sql.push("(m.scim_user_name_key = ")
                    .bind(key.clone())
                    .push(" OR (m.scim_user_name_key IS NULL AND m.email_normalized = ")
                    .bind(key)
                    .push("))");
            }
            CompareOp::Ne => {
                sql.push("COALESCE(m.scim_user_name_key, m.email_normalized) <> ")
                    .bind(key);
            }
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
                sql.push("COALESCE(m.scim_user_name_key, m.email_normalized) LIKE ")
                    .bind(pattern(op, &key)?)
                    .push(" ESCAPE '\\'");
            }
            _ => return None,
        }
        return Some(true);
    }
    if loc.is_core("externalId", None) {
        let value = text(operand)?;
        match op {
            CompareOp::Eq => sql
                .push("(m.external_id IS NOT NULL AND m.external_id = ")
                .bind(value)
                .push(")"),
            CompareOp::Ne => sql
                .push("(m.external_id IS NULL OR m.external_id <> ")
                .bind(value)
                .push(")"),
            _ => return None,
        };
        return Some(true);
    }
    if loc.is_core("emails", Some("value")) && op == CompareOp::Eq {
        email_equals(sql, org_id, operand)?;
        return Some(true);
    }
    if loc.is_core("active", None) {
        let Operand::Bool(active) = operand else { return None };
        let active = *active == (op == CompareOp::Eq);
        sql.push(if active {
            "m.status <> 'deactivated'"
        } else {
            "m.status = 'deactivated'"
        });
        return Some(true);
    }
    if loc.is_core("meta", Some("created")) {
        return time_leaf(sql, "m.created_at", op, operand);
    }
    if loc.is_core("meta", Some("lastModified")) {
        return time_leaf(sql, "m.updated_at", op, operand);
    }
    if loc.is_extension(ROSTER_USER, "role", None) && op == CompareOp::Eq {
        sql.push("m.role = ").bind(text(operand)?);
        return Some(true);
    }
    if loc.is_extension(ROSTER_USER, "seatType", None) && op == CompareOp::Eq {
        sql.push("(m.seat_type IS NOT NULL AND m.seat_type = ")
            .bind(text(operand)?)
            .push(")");
        return Some(true);
    }
    if loc.is_extension(ENTERPRISE_USER, "department", None) && op == CompareOp::Eq {
        // Case-insensitive in SCIM; SQL narrows by the exact text's
        // presence and the row check decides.
        sql.push("m.department <> ''");
        return Some(false);
    }
    None
}

fn group_leaf(sql: &mut Sql, org_id: i64, cond: &Cond) -> Option<bool> {
    match cond {
        Cond::Present(loc) if loc.is_core("displayName", None) || loc.is_core("id", None) => {
            sql.push("1=1");
            Some(true)
        }
        Cond::Present(loc) if loc.is_core("externalId", None) => {
            sql.push("t.external_key IS NOT NULL");
            Some(true)
        }
        Cond::Present(loc) if loc.is_core("members", None) || loc.is_core("members", Some("value")) => {
            sql.push("t.id IN (SELECT tm.team_id FROM team_members tm WHERE tm.org_id = ")
                .bind(org_id)
                .push(")");
            Some(true)
        }
        Cond::Cmp(loc, op, operand) => {
            if loc.is_core("id", None) {
                return id_leaf(sql, "t.id", "g", *op, operand);
            }
            if loc.is_core("displayName", None) {
                return key_leaf(sql, "t.name_key", *op, operand);
            }
            if loc.is_core("externalId", None) {
                let value = text(operand)?;
                match op {
                    CompareOp::Eq => sql
                        .push("(t.external_key IS NOT NULL AND t.external_key = ")
                        .bind(value)
                        .push(")"),
                    CompareOp::Ne => sql
                        .push("(t.external_key IS NULL OR t.external_key <> ")
                        .bind(value)
                        .push(")"),
                    _ => return None,
                };
                return Some(true);
            }
            if loc.is_core("members", Some("value")) && *op == CompareOp::Eq {
                return member_of(sql, org_id, operand);
            }
            if loc.is_core("meta", Some("created")) {
                return time_leaf(sql, "t.created_at", *op, operand);
            }
            if loc.is_core("meta", Some("lastModified")) {
                return time_leaf(sql, "t.updated_at", *op, operand);
            }
            None
        }
        Cond::Has(loc, inner) if loc.is_core("members", None) => match inner.as_ref() {
            Cond::Cmp(l, CompareOp::Eq, v) if l.attr == "value" => member_of(sql, org_id, v),
            _ => None,
        },
        _ => None,
    }
}

/// Groups that hold the member whose id is the operand.
fn member_of(sql: &mut Sql, org_id: i64, operand: &Operand) -> Option<bool> {
    let id = text(operand)?;
    match id.parse::<i64>().ok().filter(|n| n.to_string() == id) {
        Some(member) => sql
            .push("t.id IN (SELECT tm.team_id FROM team_members tm WHERE tm.org_id = ")
            .bind(org_id)
            .push(" AND tm.member_id = ")
            .bind(member)
            .push(")"),
        None => sql.push("1=0"),
    };
    Some(true)
}
