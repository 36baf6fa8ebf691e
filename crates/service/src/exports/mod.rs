//! Exports: an admin asks for a table (members, teams, a team's members,
//! invitations, the audit log, content items, statistics) or the whole
//! organization as a workbook; a job on the durable queue writes it, the
//! requester is mailed a link, and the file can be downloaded — with the
//! downloader's rights checked at download — until the organization's
//! export retention ends and it is purged.

mod download;
mod run;
mod sheet;
pub mod statistics;
mod tables;
mod workbook;

use roster_domain::{now_millis, MemberStatus, Role, SeatType, Timestamp};
use roster_store::{insert_export, set_export_job, ExportRecord, NewExport};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::orgs::audit::record;
use crate::{Actor, Can, Export, ReadAudit, ReadMembers, ReadTeams, Service, ServiceError, ServiceResult};

pub use download::ExportReader;
pub use roster_bulk::CsvDialect;
pub use run::register_jobs;

/// The job kind that writes an export.
pub const EXPORT_JOB: &str = "export";

/// What an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExportKind {
    /// Members: all, or those of `filter` (the members list's filters).
    #[default]
    Members,
    /// The team tree with purpose, division admins and counts.
    Teams,
    /// The members of one team (`team`).
    TeamMembers,
    /// Invitations with their state and delivery.
    Invitations,
    /// The audit log of a period (`since`, `until`).
    Audit,
    /// The content items apps registered (of one app: `app`), with owners.
    Content,
    /// The whole organization as one workbook (XLSX only).
    Organization,
    /// Members by status, role and seat type per day (UTC) of a period.
    Statistics,
}

impl ExportKind {
    pub const ALL: [ExportKind; 8] = [
        Self::Members,
        Self::Teams,
        Self::TeamMembers,
        Self::Invitations,
        Self::Audit,
        Self::Content,
        Self::Organization,
        Self::Statistics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Members => "members",
            Self::Teams => "teams",
            Self::TeamMembers => "team-members",
            Self::Invitations => "invitations",
            Self::Audit => "audit",
            Self::Content => "content",
            Self::Organization => "organization",
            Self::Statistics => "statistics",
        }
    }

    pub fn parse(raw: &str) -> ServiceResult<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| roster_domain::InvalidInput::new("kind", "invalid_kind", "is not a kind of export").into())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Members => "Members",
            Self::Teams => "Teams",
            Self::TeamMembers => "Team members",
            Self::Invitations => "Invitations",
            Self::Audit => "Audit log",
            Self::Content => "Content items",
            Self::Organization => "Whole organization",
            Self::Statistics => "Statistics",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    #[default]
    Xlsx,
    Csv,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Xlsx => "xlsx",
            Self::Csv => "csv",
        }
    }

    pub fn parse(raw: &str) -> ServiceResult<Self> {
        match raw {
            "xlsx" => Ok(Self::Xlsx),
            "csv" => Ok(Self::Csv),
            _ => Err(roster_domain::InvalidInput::new("format", "invalid_format", "must be csv or xlsx").into()),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// Which members a members export holds: the members list's filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberFilter {
    /// Words to find in names, personal id and comment (and the e-mail of
    /// members who are not external).
    #[schemars(length(max = 200))]
    pub q: Option<String>,
    pub status: Option<MemberStatus>,
    pub role: Option<Role>,
    pub seat_type: Option<SeatType>,
    /// Members of this team (by id).
    pub team: Option<i64>,
    /// Members whose comment is exactly this.
    #[schemars(length(max = 2000))]
    pub comment: Option<String>,
    pub external: Option<bool>,
}

impl MemberFilter {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// An export as asked for.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    pub kind: ExportKind,
    /// `xlsx` (default) or `csv`.
    pub format: Option<ExportFormat>,
    /// For CSV: `excel` (default: UTF-8 with BOM, commas), `excel-de`,
    /// `excel-nl`, `excel-fr` (semicolons) or `plain` (no BOM, for scripts).
    pub csv_dialect: Option<CsvDialect>,
    /// Members exports: the members list's filters.
    pub filter: Option<MemberFilter>,
    /// Team-members exports: the team's id.
    pub team: Option<i64>,
    /// Audit and statistics: the first day (`YYYY-MM-DD`, UTC).
    #[schemars(extend("format" = "date"))]
    pub since: Option<String>,
    /// Audit and statistics: the last day (`YYYY-MM-DD`, UTC), included.
    #[schemars(extend("format" = "date"))]
    pub until: Option<String>,
    /// Content exports: one app's items (the kind it registered them with).
    #[schemars(length(max = 100))]
    pub app: Option<String>,
}

/// What an export's job needs, as stored with it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ExportParams {
    #[serde(default)]
    pub csv_dialect: CsvDialect,
    #[serde(default)]
    pub filter: MemberFilter,
    pub team: Option<i64>,
    /// Days since the epoch, both included.
    pub first_day: Option<i64>,
    pub last_day: Option<i64>,
    pub app: Option<String>,
}

pub use roster_domain::ExportStatus;

/// An export as the service shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Export")]
pub struct ExportView {
    /// 128 random bits: the export's address, never guessable.
    pub id: String,
    pub kind: ExportKind,
    pub kind_label: String,
    pub format: ExportFormat,
    pub csv_dialect: Option<CsvDialect>,
    pub status: ExportStatus,
    pub status_label: String,
    pub file_name: String,
    /// Rows written so far, and of how many when known.
    pub rows_done: i64,
    pub rows_total: Option<i64>,
    pub size_bytes: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Who asked (`member:12`, `token:3`, `cli`).
    pub requested_by: String,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// Until when the file can be downloaded (then it is purged).
    pub expires_at: Option<Timestamp>,
}

impl ExportView {
    pub(crate) fn new(r: ExportRecord) -> ServiceResult<Self> {
        let kind = ExportKind::parse(&r.kind)?;
        let format = ExportFormat::parse(&r.format)?;
        let status = r.status;
        let params: ExportParams = serde_json::from_value(r.params.clone())
            .map_err(|e| ServiceError::Internal(format!("an export's parameters are unreadable: {e}").into()))?;
        Ok(Self {
            id: r.id,
            kind,
            kind_label: kind.label().to_owned(),
            format,
            csv_dialect: (format == ExportFormat::Csv).then_some(params.csv_dialect),
            status,
            status_label: status.label().to_owned(),
            file_name: r.file_name,
            rows_done: r.rows_done,
            rows_total: r.rows_total,
            size_bytes: r.size_bytes,
            error: r.error,
            requested_by: r.requested_by,
            created_at: Timestamp::from_millis(r.created_at),
            finished_at: r.finished_at.map(Timestamp::from_millis),
            expires_at: r.expires_at.map(Timestamp::from_millis),
        })
    }
}

/// `YYYY-MM-DD` → days since the epoch.
fn parse_day(field: &str, raw: &str) -> ServiceResult<i64> {
    let bad = || roster_domain::InvalidInput::new(field, "invalid_date", "must be a date as YYYY-MM-DD");
    let parts: Vec<&str> = raw.trim().split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad().into());
    };
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    if !(0..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad().into());
    }
    let day = days_from_civil(y, m, d);
    // 2026-02-31 is not a day.
    if roster_bulk::iso_time(day * 86_400_000)[..10] != format!("{y:04}-{m:02}-{d:02}") {
        return Err(bad().into());
    }
    Ok(day)
}

/// (year, month, day) → days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Longest period a statistics export covers.
const MAX_STATISTICS_DAYS: i64 = 3660;

impl Service {
    /// Starts an export: checked, stored and queued in one transaction.
    #[tracing::instrument(skip_all, fields(org = can.actor().org_id))]
    pub async fn create_export(&self, can: Can<'_, Export>, request: ExportRequest) -> ServiceResult<ExportView> {
        let actor = can.actor();
        let kind = request.kind;
        let format = request.format.unwrap_or_default();
        // What the export shows, the exporter must be allowed to read.
        match kind {
            ExportKind::Audit => {
                self.authorize::<ReadAudit>(actor).await?;
            }
            ExportKind::Teams | ExportKind::TeamMembers => {
                self.authorize::<ReadTeams>(actor).await?;
                self.authorize::<ReadMembers>(actor).await?;
            }
            _ => {
                self.authorize::<ReadMembers>(actor).await?;
            }
        }
        if kind == ExportKind::Organization && format == ExportFormat::Csv {
            return Err(ServiceError::conflict(
                "workbook_only",
                Some("format"),
                "the whole organization is one workbook of several sheets: choose xlsx",
            ));
        }
        let today = now_millis() / 86_400_000;
        let first_day = request.since.as_deref().map(|s| parse_day("since", s)).transpose()?;
        let last_day = request.until.as_deref().map(|s| parse_day("until", s)).transpose()?;
        let (first_day, last_day) = match kind {
            ExportKind::Statistics => {
                let last = last_day.unwrap_or(today);
                let first = first_day.unwrap_or(last - 29);
                (Some(first), Some(last))
            }
            _ => (first_day, last_day),
        };
        if let (Some(first), Some(last)) = (first_day, last_day) {
            if first > last {
                return Err(roster_domain::InvalidInput::new("since", "invalid_period", "is after until").into());
            }
            if kind == ExportKind::Statistics && last - first >= MAX_STATISTICS_DAYS {
                return Err(roster_domain::InvalidInput::new(
                    "since",
                    "invalid_period",
                    format!("statistics cover at most {MAX_STATISTICS_DAYS} days"),
                )
                .into());
            }
        }
        let mut tx = self.store().begin().await?;
        if let (ExportKind::TeamMembers, None) = (kind, request.team) {
            return Err(
                roster_domain::InvalidInput::new("team", "required", "is required for a team's members").into(),
            );
        }
        let team_name = match request.team.or(request.filter.as_ref().and_then(|f| f.team)) {
            Some(team) => Some(
                roster_store::team_by_id(&mut tx, actor.org_id, team)
                    .await?
                    .ok_or_else(|| ServiceError::conflict("unknown_team", Some("team"), "no such team"))?
                    .name,
            ),
            None => None,
        };
        let params = ExportParams {
            csv_dialect: request.csv_dialect.unwrap_or_default(),
            filter: request.filter.unwrap_or_default(),
            team: request.team,
            first_day,
            last_day,
            app: request.app.filter(|a| !a.trim().is_empty()),
        };
        let id = crate::new_secret("").get(..32).unwrap_or_default().to_owned();
        let file_name = file_name(actor, kind, format, team_name.as_deref(), now_millis());
        let params_json = serde_json::to_value(&params).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let requested_by = actor.label.clone();
        insert_export(
            &mut tx,
            &NewExport {
                id: &id,
                org_id: actor.org_id,
                kind: kind.as_str(),
                format: format.as_str(),
                params: &params_json,
                file_name: &file_name,
                requested_by: &requested_by,
                requester_member: actor.member_id,
            },
            now_millis(),
        )
        .await?;
        let job = self
            .enqueue_job_with_attempts(
                &mut tx,
                Some(actor.org_id),
                EXPORT_JOB,
                &json!({"export": id}),
                &requested_by,
                2,
            )
            .await?;
        set_export_job(&mut tx, &id, job).await?;
        record(
            &mut tx,
            actor,
            "export.request",
            "export",
            &id,
            json!({"kind": kind.as_str(), "format": format.as_str()}),
        )
        .await?;
        let stored = roster_store::export_by_id(&mut tx, actor.org_id, &id)
            .await?
            .ok_or(ServiceError::NotFound("export"))?;
        tx.commit().await?;
        ExportView::new(stored)
    }

    /// An export of the actor's organization. A division admin sees only
    /// their own exports (an organization-wide file holds more than their
    /// divisions).
    pub async fn export(&self, can: Can<'_, Export>, id: &str) -> ServiceResult<ExportView> {
        let mut conn = self.store().conn().await?;
        let record = visible_export(&mut conn, can.actor(), id).await?;
        let mut view = ExportView::new(record)?;
        self.add_live_progress(&mut view, &mut conn).await?;
        Ok(view)
    }

    /// The same export made again (an expired or failed one): the same
    /// kind, format and filters, with the rights the actor holds now.
    pub async fn export_again(&self, can: Can<'_, Export>, id: &str) -> ServiceResult<ExportView> {
        let mut conn = self.store().conn().await?;
        let record = visible_export(&mut conn, can.actor(), id).await?;
        drop(conn);
        let params: ExportParams = serde_json::from_value(record.params.clone())
            .map_err(|e| ServiceError::Internal(format!("an export's parameters are unreadable: {e}").into()))?;
        let kind = ExportKind::parse(&record.kind)?;
        let day = |d: Option<i64>| d.map(|d| roster_bulk::iso_time(d * 86_400_000)[..10].to_owned());
        let request = ExportRequest {
            kind,
            format: Some(ExportFormat::parse(&record.format)?),
            csv_dialect: Some(params.csv_dialect),
            filter: (!params.filter.is_empty()).then_some(params.filter),
            team: params.team,
            // A statistics export's default period moves with the day it is made.
            since: day(params.first_day).filter(|_| kind != ExportKind::Statistics),
            until: day(params.last_day).filter(|_| kind != ExportKind::Statistics),
            app: params.app,
        };
        self.create_export(can, request).await
    }

    /// A running export's progress lives on its job.
    async fn add_live_progress(&self, view: &mut ExportView, conn: &mut roster_store::Conn) -> ServiceResult<()> {
        if view.status == ExportStatus::Running || view.status == ExportStatus::Queued {
            let record = roster_store::export_for_job(conn, &view.id).await?;
            if let Some(job) = record.and_then(|r| r.job_id) {
                if let Some(job_row) = roster_store::job_by_id(conn, job).await? {
                    let (done, total) = self
                        .live_progress
                        .get(job)
                        .unwrap_or((job_row.progress_done, job_row.progress_total));
                    view.rows_done = done;
                    view.rows_total = total;
                }
            }
        }
        Ok(())
    }

    /// The organization's exports in its job history, newest first.
    pub(crate) async fn exports_in_history(&self, actor: &Actor, since: i64) -> ServiceResult<Vec<ExportView>> {
        let mut conn = self.store().conn().await?;
        let mut views = Vec::new();
        for record in roster_store::list_exports(&mut conn, actor.org_id, since, 500).await? {
            if actor.division_scope().is_some() && record.requested_by != actor.label {
                continue;
            }
            let mut view = ExportView::new(record)?;
            self.add_live_progress(&mut view, &mut conn).await?;
            views.push(view);
        }
        Ok(views)
    }
}

/// The export if the actor may see it; anything else is "not found".
async fn visible_export(conn: &mut roster_store::Conn, actor: &Actor, id: &str) -> ServiceResult<ExportRecord> {
    let record = roster_store::export_by_id(conn, actor.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("export"))?;
    if actor.division_scope().is_some() && record.requested_by != actor.label {
        return Err(ServiceError::NotFound("export"));
    }
    Ok(record)
}

/// `acme-members-2026-11-26.xlsx`: the organization, what, and the day.
fn file_name(actor: &Actor, kind: ExportKind, format: ExportFormat, team: Option<&str>, now: i64) -> String {
    let what = match (kind, team) {
        (ExportKind::TeamMembers, Some(team)) => format!("team-{}", slug_of(team)),
        _ => kind.as_str().to_owned(),
    };
    let day = &roster_bulk::iso_time(now)[..10];
    format!("{}-{what}-{day}.{}", actor.org_slug, format.as_str())
}

/// Letters and digits of a name, joined by dashes, for a file name.
fn slug_of(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').chars().take(40).collect::<String>();
    if out.is_empty() {
        "team".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_and_impossible_ones_are_refused() {
        assert_eq!(parse_day("since", "1970-01-01").unwrap(), 0);
        assert_eq!(parse_day("since", "2024-10-04").unwrap(), 20_000);
        assert!(parse_day("since", "2026-02-31").is_err());
        assert!(parse_day("since", "26-1-1x").is_err());
    }

    #[test]
    fn team_names_become_file_name_slugs() {
        assert_eq!(slug_of("Grüne Füchse / Süd"), "grüne-füchse-süd");
        assert_eq!(slug_of("../.."), "team");
    }
}
