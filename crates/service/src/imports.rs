//! Bulk import of members: upload → detect → map → validate → preview →
//! apply (a job) → report → undo. The file work is `roster_bulk`; the rules
//! that need the organization (existing members, teams, roles, seats) live here.

use std::collections::HashMap;

use roster_bulk::{
    auto_map, detect, read_table, validate_row, Detected, FieldDef, ImportedMember, Mapping, RowError, Table,
};
pub use roster_bulk::{ColumnMapping, Target, TextEncoding};
use roster_domain::{now_millis, CustomFieldKind, MemberStatus, Role};
use roster_store::{
    custom_fields, import_by_id, import_file, import_rows, insert_import, insert_import_row, list_imports,
    member_by_id, org_by_id, set_import_mapping, set_import_state, team_by_key, Conn, ImportRecord, ImportRowRecord,
    MemberFields, MemberRecord,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::record;
use crate::jobs::{JobContext, JobFuture, Worker};
use crate::{Actor, Can, Import, Service, ServiceError, ServiceResult};

pub const IMPORT_JOB: &str = "import.apply";

/// What to do with members who exist already, and whether one bad row stops all.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Existing {
    #[default]
    Update,
    Skip,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    #[serde(default)]
    pub existing: Existing,
    #[serde(default)]
    pub all_or_nothing: bool,
}

/// The report's file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    Xlsx,
}

/// One row of a preview: what applying would do, or why it cannot.
#[derive(Debug, Clone, Serialize)]
pub struct RowPreview {
    pub line: u64,
    /// create, update, unchanged or error.
    pub action: &'static str,
    pub member_id: Option<i64>,
    pub email: String,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub rows: usize,
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub error: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeatNeed {
    pub seat_type: String,
    pub needed: i64,
    pub available: i64,
    pub shortfall: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub import_id: i64,
    pub detected: Detected,
    pub mapping: Mapping,
    pub unmapped: Vec<String>,
    pub totals: Totals,
    pub seat_shortfall: Vec<SeatNeed>,
    pub rows: Vec<RowPreview>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UndoReport {
    pub import_id: i64,
    pub removed: usize,
    pub restored: usize,
    pub kept: Vec<KeptRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeptRow {
    pub line: i64,
    pub member_id: Option<i64>,
    pub reason: String,
}

/// A planned row, with what applying it needs.
struct Planned {
    preview: RowPreview,
    member: Option<ImportedMember>,
    existing: Option<MemberRecord>,
    team_id: Option<i64>,
    /// A division the member is to administer.
    division_id: Option<i64>,
}

fn file_error(e: roster_bulk::ImportError) -> ServiceError {
    roster_domain::InvalidInput::new("file", "file_refused", e.to_string()).into()
}

fn row_error(line: u64, column: &str, field: &str, code: &str, message: String) -> RowError {
    RowError {
        line,
        column: column.to_owned(),
        field: field.to_owned(),
        code: code.to_owned(),
        message,
    }
}

/// Applies the file's values over an existing member's (absent cells keep theirs).
fn merged_fields(base: Option<&MemberRecord>, m: &ImportedMember) -> MemberFields {
    let mut f = base
        .map(MemberRecord::fields)
        .unwrap_or_else(|| MemberFields::blank(&Role::READER.to_string()));
    f.first_name = m.first_name.clone();
    f.last_name = m.last_name.clone();
    f.email = m.email.clone();
    f.email_normalized = m.email_normalized.clone();
    match &m.personal_id {
        Some(p) => f.personal_id = p.clone(),
        None if f.personal_id.is_empty() => f.personal_id = m.email.clone(),
        None => {}
    }
    for (target, value) in [
        (&mut f.comment, &m.comment),
        (&mut f.phone, &m.phone),
        (&mut f.location, &m.location),
        (&mut f.skills, &m.skills),
        (&mut f.department, &m.department),
    ] {
        if let Some(v) = value {
            *target = v.clone();
        }
    }
    if let Some(role) = &m.role {
        f.role = role.to_string();
    }
    if let Some(seat) = m.seat_type {
        f.seat_type = Some(seat.as_str().to_owned());
    }
    if let Some(external) = m.external {
        f.external = external;
    }
    if !m.custom.is_empty() {
        let mut custom = f.custom_fields.as_object().cloned().unwrap_or_default();
        for (k, v) in &m.custom {
            custom.insert(k.clone(), json!(v));
        }
        f.custom_fields = serde_json::Value::Object(custom);
    }
    f
}

impl Service {
    /// The division a `Division (Admin)` cell names, if the importer may name
    /// division admins (that needs roles.manage, as in the API). Verdicts are
    /// cached per key: a file names the same few divisions many times.
    async fn division_for_import(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        key: &str,
        cache: &mut HashMap<String, Result<i64, String>>,
    ) -> ServiceResult<Result<i64, String>> {
        if let Some(v) = cache.get(key) {
            return Ok(v.clone());
        }
        let verdict = if !actor.permissions.contains(roster_domain::Permission::ManageRoles) {
            Err("naming division admins needs the permission roles.manage".to_owned())
        } else {
            match team_by_key(conn, actor.org_id, key).await? {
                None => Err(format!("no team has the id {key:?}")),
                Some(id) => match roster_store::team_by_id(conn, actor.org_id, id).await? {
                    Some(t) if t.is_division => Ok(id),
                    _ => Err(format!("the team {key:?} is not a division")),
                },
            }
        };
        cache.insert(key.to_owned(), verdict.clone());
        Ok(verdict)
    }
}

/// An import whose mapping and options may still change: uploaded, not applied.
async fn editable_import(conn: &mut Conn, org_id: i64, id: i64) -> ServiceResult<ImportRecord> {
    let import = import_by_id(conn, org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("import"))?;
    if import.status != "uploaded" {
        return Err(ServiceError::conflict(
            "import_not_editable",
            None,
            format!("the import is {} already", import.status),
        ));
    }
    Ok(import)
}

fn same(a: &MemberFields, b: &MemberFields) -> bool {
    a == b
}

impl Service {
    /// Stores an uploaded file after checking what it is; maps its columns
    /// by header. A file that is no importable table is refused whole.
    #[tracing::instrument(skip_all, fields(org = can.actor().org_id))]
    pub async fn create_import(
        &self,
        can: Can<'_, Import>,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> ServiceResult<ImportRecord> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let org = org_by_id(&mut conn, actor.org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        let mut detected = detect(&bytes).map_err(file_error)?;
        let table = read_table(&bytes, &detected, org.import_row_limit as usize).map_err(file_error)?;
        detected.sheet = table.sheet.clone();
        let keys: Vec<String> = custom_fields(&mut conn, actor.org_id)
            .await?
            .into_iter()
            .map(|f| f.key)
            .collect();
        drop(conn);
        let mapping = auto_map(&table.headers, &keys);
        // The name is shown, never used as a path.
        let file_name = roster_domain::SingleLine::parse("file_name", file_name, 200)
            .map(|n| n.into_string())
            .unwrap_or_default();
        let mut tx = self.store().begin().await?;
        let id = insert_import(
            &mut tx,
            actor.org_id,
            &file_name,
            &json!(detected),
            &json!(mapping),
            &bytes,
            &actor.label,
            now_millis(),
        )
        .await?;
        record(
            &mut tx,
            actor,
            "import.upload",
            "import",
            id,
            json!({"file_name": file_name, "rows": table.rows.len()}),
        )
        .await?;
        let import = import_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        tx.commit().await?;
        Ok(import)
    }

    pub async fn import(&self, can: Can<'_, Import>, id: i64) -> ServiceResult<ImportRecord> {
        let mut conn = self.store().conn().await?;
        import_by_id(&mut conn, can.actor().org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))
    }

    pub async fn imports(&self, can: Can<'_, Import>) -> ServiceResult<Vec<ImportRecord>> {
        let mut conn = self.store().conn().await?;
        Ok(list_imports(&mut conn, can.actor().org_id, 100).await?)
    }

    /// Replaces the mapping (the admin's choices, "skip" included).
    pub async fn set_import_mapping(
        &self,
        can: Can<'_, Import>,
        id: i64,
        columns: Vec<ColumnMapping>,
    ) -> ServiceResult<ImportRecord> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let import = editable_import(&mut tx, actor.org_id, id).await?;
        let current: Mapping =
            serde_json::from_value(import.mapping).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        if columns.len() != current.columns.len()
            || columns.iter().zip(&current.columns).any(|(a, b)| a.column != b.column)
        {
            return Err(roster_domain::InvalidInput::new(
                "columns",
                "invalid_mapping",
                format!("give one entry per column, {} in all, in order", current.columns.len()),
            )
            .into());
        }
        let mapping = Mapping { columns };
        set_import_mapping(&mut tx, actor.org_id, id, &json!(mapping)).await?;
        let import = import_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        tx.commit().await?;
        Ok(import)
    }

    /// What applying would do, row by row. Changes nothing.
    pub async fn preview_import(
        &self,
        can: Can<'_, Import>,
        id: i64,
        options: ImportOptions,
    ) -> ServiceResult<Preview> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let import = import_by_id(&mut conn, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        let (detected, _table, mapping, planned) = self.plan(&mut conn, actor, &import, options).await?;
        let seat_shortfall = self.seat_needs(&mut conn, actor.org_id, &planned).await?;
        Ok(summarize(id, detected, mapping, planned, seat_shortfall))
    }

    /// Checks every row against the file and the organization.
    async fn plan(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        import: &ImportRecord,
        options: ImportOptions,
    ) -> ServiceResult<(Detected, Table, Mapping, Vec<Planned>)> {
        let bytes = import_file(conn, import.id).await?;
        let org = org_by_id(conn, actor.org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        let detected = detect(&bytes).map_err(file_error)?;
        let table = read_table(&bytes, &detected, org.import_row_limit as usize).map_err(file_error)?;
        let mapping: Mapping =
            serde_json::from_value(import.mapping.clone()).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let defs: Vec<FieldDef> = custom_fields(conn, actor.org_id)
            .await?
            .into_iter()
            .filter_map(|f| {
                CustomFieldKind::parse(&f.kind, &f.choices)
                    .ok()
                    .map(|kind| FieldDef { key: f.key, kind })
            })
            .collect();
        let mut planned: Vec<Planned> = Vec::with_capacity(table.rows.len());
        let mut first_line_of: HashMap<String, usize> = HashMap::new();
        let mut role_ok: HashMap<String, Result<(), String>> = HashMap::new();
        let mut teams: HashMap<String, Option<i64>> = HashMap::new();
        let header_of = |target: roster_bulk::Target| {
            mapping
                .columns
                .iter()
                .find(|c| c.target == target)
                .map(|c| c.header.clone())
                .unwrap_or_default()
        };
        let (email_column, role_column, team_column) = (
            header_of(Target::Email),
            header_of(Target::Role),
            header_of(Target::TeamId),
        );
        let admin_column = header_of(Target::AdminOfDivision);
        let mut divisions: HashMap<String, Result<i64, String>> = HashMap::new();
        for (line, cells) in &table.rows {
            let mut p = Planned {
                preview: RowPreview {
                    line: *line,
                    action: "error",
                    member_id: None,
                    email: String::new(),
                    errors: Vec::new(),
                },
                member: None,
                existing: None,
                team_id: None,
                division_id: None,
            };
            match validate_row(&mapping, *line, cells, &defs) {
                Err(errors) => p.preview.errors = errors,
                Ok(m) => {
                    p.preview.email = m.email.clone();
                    let mut errors = Vec::new();
                    if let Some(&first) = first_line_of.get(&m.email_normalized) {
                        let first_line = planned[first].preview.line;
                        errors.push(row_error(
                            *line,
                            &email_column,
                            "email",
                            "duplicate_in_file",
                            format!("the same e-mail as line {first_line}"),
                        ));
                        let earlier = &mut planned[first].preview;
                        earlier.errors.push(row_error(
                            first_line,
                            &email_column,
                            "email",
                            "duplicate_in_file",
                            format!("the same e-mail as line {line}"),
                        ));
                        earlier.action = "error";
                    } else {
                        first_line_of.insert(m.email_normalized.clone(), planned.len());
                    }
                    if let Some(role) = &m.role {
                        let key = role.to_string();
                        if !role_ok.contains_key(&key) {
                            let verdict = if role.is_owner() {
                                Err("an import never grants the owner role".to_owned())
                            } else {
                                match self.check_grant(conn, actor, role).await {
                                    Ok(()) => Ok(()),
                                    Err(e) => Err(e.to_string()),
                                }
                            };
                            role_ok.insert(key.clone(), verdict);
                        }
                        if let Some(Err(why)) = role_ok.get(&key) {
                            errors.push(row_error(*line, &role_column, "role", "role_not_allowed", why.clone()));
                        }
                    }
                    if let Some(key) = &m.team_key {
                        if !teams.contains_key(key) {
                            teams.insert(key.clone(), team_by_key(conn, actor.org_id, key).await?);
                        }
                        match teams.get(key).copied().flatten() {
                            Some(team) => p.team_id = Some(team),
                            None => errors.push(row_error(
                                *line,
                                &team_column,
                                "team_id",
                                "unknown_team",
                                format!("no team has the id {key:?}"),
                            )),
                        }
                    }
                    if let Some(key) = &m.admin_of {
                        match self.division_for_import(conn, actor, key, &mut divisions).await? {
                            Ok(division) => p.division_id = Some(division),
                            Err(why) => errors.push(row_error(
                                *line,
                                &admin_column,
                                "admin_of_division",
                                "invalid_division",
                                why,
                            )),
                        }
                    }
                    // Existing members and personal ids are looked up for all rows at once, below.
                    p.preview.errors = errors;
                    p.member = Some(m);
                }
            }
            planned.push(p);
        }
        let emails: Vec<String> = planned
            .iter()
            .filter_map(|p| p.member.as_ref().map(|m| m.email_normalized.clone()))
            .collect();
        let existing_by_email = roster_store::bulk::members_by_emails(conn, actor.org_id, &emails).await?;
        let mut fields_of: Vec<Option<MemberFields>> = Vec::with_capacity(planned.len());
        for p in &mut planned {
            let Some(m) = &p.member else {
                fields_of.push(None);
                continue;
            };
            p.existing = existing_by_email.get(&m.email_normalized).cloned();
            fields_of.push(Some(merged_fields(p.existing.as_ref(), m)));
        }
        let pids: Vec<String> = fields_of.iter().flatten().map(|f| f.personal_id.clone()).collect();
        let pid_owner = roster_store::bulk::members_by_personal_ids(conn, actor.org_id, &pids).await?;
        let personal_id_column = header_of(Target::PersonalId);
        for (p, fields) in planned.iter_mut().zip(fields_of) {
            let (Some(fields), Some(_)) = (fields, &p.member) else {
                continue;
            };
            if let Some(owner) = pid_owner.get(&fields.personal_id) {
                if p.existing.as_ref().map(|e| e.id) != Some(*owner) {
                    let error = row_error(
                        p.preview.line,
                        &personal_id_column,
                        "personal_id",
                        "already_exists",
                        "another member has this personal id".into(),
                    );
                    p.preview.errors.push(error);
                }
            }
            if !p.preview.errors.is_empty() {
                continue;
            }
            p.preview.action = match &p.existing {
                None => "create",
                Some(e) if e.status == MemberStatus::Removed.as_str() => "update",
                Some(e) if e.external => "unchanged",
                Some(_) if options.existing == Existing::Skip => "unchanged",
                Some(e) if same(&e.fields(), &fields) => "unchanged",
                Some(_) => "update",
            };
            p.preview.member_id = p.existing.as_ref().map(|e| e.id);
        }
        for p in planned.iter_mut().filter(|p| !p.preview.errors.is_empty()) {
            p.preview.action = "error";
            p.member = None;
        }
        Ok((detected, table, mapping, planned))
    }

    /// Seats that applying would take: members who already hold a seat and
    /// move to another seat type (new members are `added` and hold none).
    async fn seat_needs(&self, conn: &mut Conn, org_id: i64, planned: &[Planned]) -> ServiceResult<Vec<SeatNeed>> {
        let mut needed: HashMap<String, i64> = HashMap::new();
        for p in planned.iter().filter(|p| p.preview.action == "update") {
            let (Some(m), Some(e)) = (&p.member, &p.existing) else {
                continue;
            };
            let uses = MemberStatus::parse(&e.status).map(|s| s.uses_seat()).unwrap_or(false);
            if let (true, Some(seat)) = (uses, m.seat_type) {
                if e.seat_type.as_deref() != Some(seat.as_str()) {
                    *needed.entry(seat.as_str().to_owned()).or_default() += 1;
                }
            }
        }
        let mut out = Vec::new();
        for summary in self.seat_summary(conn, org_id).await? {
            if let Some(n) = needed.get(&summary.seat_type) {
                if *n > summary.available {
                    out.push(SeatNeed {
                        seat_type: summary.seat_type,
                        needed: *n,
                        available: summary.available.max(0),
                        shortfall: n - summary.available.max(0),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Starts applying the import as a job; returns at once.
    pub async fn apply_import(
        &self,
        can: Can<'_, Import>,
        id: i64,
        options: ImportOptions,
    ) -> ServiceResult<ImportRecord> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        editable_import(&mut tx, actor.org_id, id).await?;
        let payload = json!({"import_id": id, "actor": actor.label, "member_id": actor.member_id, "role": actor.role.to_string()});
        let job = self
            .enqueue_job(&mut tx, Some(actor.org_id), IMPORT_JOB, &payload, &actor.label)
            .await?;
        set_import_state(
            &mut tx,
            id,
            "applying",
            Some(&json!(options)),
            None,
            Some(job),
            now_millis(),
        )
        .await?;
        record(
            &mut tx,
            actor,
            "import.apply",
            "import",
            id,
            json!({"job_id": job, "options": options}),
        )
        .await?;
        let import = import_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        tx.commit().await?;
        Ok(import)
    }

    /// The job: plans again (the organization may have changed since the
    /// preview) and applies every good row in one transaction, so a crash
    /// leaves none of the import or all of it.
    async fn run_import_job(&self, ctx: &JobContext) -> Result<String, String> {
        let payload: serde_json::Value = serde_json::from_str(&ctx.job.payload).map_err(|e| e.to_string())?;
        let id = payload["import_id"].as_i64().ok_or("no import_id")?;
        let org_id = ctx.job.org_id.ok_or("no organization")?;
        let mut conn = self.store().conn().await.map_err(|e| e.to_string())?;
        let org = org_by_id(&mut conn, org_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("organization gone")?;
        drop(conn);
        // The importer acts with the rights they have now, not when they asked.
        let mut actor = Actor::system(org.id, &org.slug);
        actor.label = payload["actor"].as_str().unwrap_or("import").to_owned();
        if let Some(member) = payload["member_id"].as_i64() {
            let mut conn = self.store().conn().await.map_err(|e| e.to_string())?;
            let m = member_by_id(&mut conn, org_id, member)
                .await
                .map_err(|e| e.to_string())?;
            let role = m
                .filter(|m| m.status != "removed")
                .and_then(|m| Role::parse(&m.role).ok());
            let Some(role) = role else {
                return self.fail_import(id, "the importer is no longer a member").await;
            };
            actor.permissions = self
                .permissions_of(&mut conn, org_id, &role)
                .await
                .map_err(|e| e.to_string())?;
            actor.role = role;
            actor.member_id = Some(member);
        } else if let Some(role) = payload["role"].as_str().and_then(|r| Role::parse(r).ok()) {
            let mut conn = self.store().conn().await.map_err(|e| e.to_string())?;
            actor.permissions = self
                .permissions_of(&mut conn, org_id, &role)
                .await
                .map_err(|e| e.to_string())?;
            actor.role = role;
        }
        if !actor.permissions.contains(roster_domain::Permission::Import) {
            return self.fail_import(id, "the importer may no longer import").await;
        }
        match self.apply_in_tx(ctx, &actor, id).await {
            Ok(summary) => Ok(summary.to_string()),
            Err(ServiceError::Invalid(e)) => self.fail_import(id, &e.message).await,
            Err(ServiceError::SeatShortfall { .. }) => self.fail_import(id, "not enough seats").await,
            Err(e) => Err(e.to_string()),
        }
    }

    async fn fail_import(&self, id: i64, why: &str) -> Result<String, String> {
        let result = async {
            let mut tx = self.store().begin().await?;
            set_import_state(
                &mut tx,
                id,
                "failed",
                None,
                Some(&json!({"error": why})),
                None,
                now_millis(),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(())
        }
        .await;
        result.map_err(|e| e.to_string())?;
        Ok(json!({"failed": why}).to_string())
    }

    async fn apply_in_tx(&self, ctx: &JobContext, actor: &Actor, id: i64) -> ServiceResult<serde_json::Value> {
        let mut tx = self.store().begin().await?;
        let import = import_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        let options: ImportOptions = serde_json::from_value(import.options.clone()).unwrap_or_default();
        let (_detected, _table, _mapping, planned) = self.plan(&mut tx, actor, &import, options).await?;
        let shortfall = self.seat_needs(&mut tx, actor.org_id, &planned).await?;
        if let Some(s) = shortfall.first() {
            return Err(ServiceError::SeatShortfall {
                seat_type: s.seat_type.clone(),
                needed: s.needed,
                available: s.available,
                shortfall: s.shortfall,
            });
        }
        let errors = planned.iter().filter(|p| p.preview.action == "error").count();
        let mut totals = Totals {
            rows: planned.len(),
            ..Default::default()
        };
        if options.all_or_nothing && errors > 0 {
            drop(tx);
            let mut tx = self.store().begin().await?;
            let summary = json!({"rows": planned.len(), "error": errors, "created": 0, "updated": 0, "unchanged": 0, "all_or_nothing": true});
            for p in &planned {
                let reason = p
                    .preview
                    .errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                let action = if p.preview.action == "error" {
                    "error"
                } else {
                    "skipped"
                };
                let row = ImportRowRecord {
                    line: p.preview.line as i64,
                    action: action.into(),
                    member_id: None,
                    reason,
                    before: None,
                };
                insert_import_row(&mut tx, id, &row).await?;
            }
            set_import_state(&mut tx, id, "failed", None, Some(&summary), None, now_millis()).await?;
            tx.commit().await?;
            return Ok(summary);
        }
        let now = now_millis();
        // New members go in a statement per chunk of rows; their ids come back by e-mail.
        let creates: Vec<MemberFields> = planned
            .iter()
            .filter(|p| p.preview.action == "create")
            .filter_map(|p| p.member.as_ref().map(|m| merged_fields(None, m)))
            .collect();
        let created_ids = roster_store::bulk::insert_members(
            &mut tx,
            actor.org_id,
            &creates,
            MemberStatus::Added.as_str(),
            &actor.label,
            now,
        )
        .await?;
        let mut rows = Vec::with_capacity(planned.len());
        let mut team_pairs = Vec::new();
        for p in &planned {
            // The report says what happened: created, updated, unchanged or error.
            let done = match p.preview.action {
                "create" => "created",
                "update" => "updated",
                other => other,
            };
            let mut row = ImportRowRecord {
                line: p.preview.line as i64,
                action: done.into(),
                member_id: p.preview.member_id,
                reason: String::new(),
                before: None,
            };
            match (p.preview.action, &p.member) {
                ("create", Some(m)) => {
                    row.member_id = created_ids.get(&m.email_normalized).copied();
                    totals.create += 1;
                }
                ("update", Some(m)) => {
                    let Some(existing) = &p.existing else { continue };
                    let fields = merged_fields(Some(existing), m);
                    row.before =
                        Some(json!({"fields": fields_json(&existing.fields()), "status": existing.status}).to_string());
                    roster_store::update_member(&mut tx, actor.org_id, existing.id, &fields, now).await?;
                    if existing.status == MemberStatus::Removed.as_str() {
                        let to = MemberStatus::Removed.apply(roster_domain::StatusTransition::Restore)?;
                        roster_store::set_member_status(
                            &mut tx,
                            actor.org_id,
                            existing.id,
                            Some(&existing.status),
                            to.as_str(),
                            &actor.label,
                            now,
                        )
                        .await?;
                    }
                    totals.update += 1;
                }
                ("unchanged", _) => totals.unchanged += 1,
                _ => {
                    row.reason = p
                        .preview
                        .errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; ");
                    totals.error += 1;
                }
            }
            if let (Some(team), Some(member), false) = (p.team_id, row.member_id, row.action == "error") {
                team_pairs.push((team, member));
            }
            if let (Some(division), Some(member), false) = (p.division_id, row.member_id, row.action == "error") {
                roster_store::add_division_admin(&mut tx, actor.org_id, division, member).await?;
            }
            rows.push(row);
        }
        roster_store::bulk::add_team_members(&mut tx, actor.org_id, &team_pairs).await?;
        roster_store::bulk::insert_import_rows(&mut tx, id, &rows).await?;
        let summary = json!({"rows": totals.rows, "created": totals.create, "updated": totals.update, "unchanged": totals.unchanged, "error": totals.error});
        set_import_state(&mut tx, id, "applied", None, Some(&summary), None, now_millis()).await?;
        record(&mut tx, actor, "import.applied", "import", id, summary.clone()).await?;
        ctx.fence(&mut tx)
            .await
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        tx.commit().await?;
        Ok(summary)
    }

    /// The per-row report: the uploaded columns plus status and reason, as
    /// CSV or as an Excel workbook.
    pub async fn import_report(&self, can: Can<'_, Import>, id: i64, format: ReportFormat) -> ServiceResult<Vec<u8>> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let import = import_by_id(&mut conn, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        let applied = import_rows(&mut conn, id).await?;
        let (table, outcomes): (Table, HashMap<u64, (String, String)>) = if applied.is_empty() {
            // Not applied yet: the report is the preview.
            let (_, table, _, planned) = self.plan(&mut conn, actor, &import, ImportOptions::default()).await?;
            let outcomes = planned
                .iter()
                .map(|p| {
                    let reason = p
                        .preview
                        .errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; ");
                    (p.preview.line, (p.preview.action.to_owned(), reason))
                })
                .collect();
            (table, outcomes)
        } else {
            let bytes = import_file(&mut conn, id).await?;
            let mut detected = detect(&bytes).map_err(file_error)?;
            detected.sheet = import.detected["sheet"].as_str().map(str::to_owned);
            let table = read_table(&bytes, &detected, usize::MAX).map_err(file_error)?;
            (
                table,
                applied
                    .into_iter()
                    .map(|r| (r.line as u64, (r.action, r.reason)))
                    .collect(),
            )
        };
        let outcome = |line: u64| {
            outcomes
                .get(&line)
                .cloned()
                .unwrap_or_else(|| ("unknown".into(), String::new()))
        };
        match format {
            ReportFormat::Csv => {
                let mut out = Vec::new();
                roster_bulk::write_report_csv(&mut out, &table, outcome)
                    .map_err(|e| ServiceError::Internal(Box::new(e)))?;
                Ok(out)
            }
            ReportFormat::Xlsx => {
                roster_bulk::write_report_xlsx(&table, outcome).map_err(|e| ServiceError::Internal(Box::new(e)))
            }
        }
    }

    /// Undoes an applied import: removes the members it created and restores
    /// the values it changed — except where a member was edited since or has
    /// an account (accepted an invitation); those are kept and named.
    pub async fn undo_import(&self, can: Can<'_, Import>, id: i64) -> ServiceResult<UndoReport> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let import = import_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        if import.status != "applied" {
            return Err(ServiceError::conflict(
                "import_not_applied",
                None,
                format!("only an applied import can be undone; this one is {}", import.status),
            ));
        }
        let applied_at = import.applied_at.unwrap_or(0);
        let mut report = UndoReport {
            import_id: id,
            removed: 0,
            restored: 0,
            kept: Vec::new(),
        };
        for row in import_rows(&mut tx, id).await? {
            let Some(member_id) = row.member_id else { continue };
            if row.action != "created" && row.action != "updated" {
                continue;
            }
            let Some(member) = member_by_id(&mut tx, actor.org_id, member_id).await? else {
                continue;
            };
            let keep = |why: &str| KeptRow {
                line: row.line,
                member_id: Some(member_id),
                reason: why.to_owned(),
            };
            if member.account_id.is_some() {
                report.kept.push(keep("has accepted an invitation since"));
                continue;
            }
            if member.updated_at > applied_at {
                report.kept.push(keep("was edited after the import"));
                continue;
            }
            if row.action == "created" {
                roster_store::delete_member(&mut tx, actor.org_id, member_id).await?;
                report.removed += 1;
            } else if let Some(before) = row
                .before
                .as_deref()
                .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            {
                let fields = fields_from_json(&before["fields"])
                    .ok_or_else(|| ServiceError::Internal("stored fields unreadable".into()))?;
                roster_store::update_member(&mut tx, actor.org_id, member_id, &fields, now_millis()).await?;
                if let Some(status) = before["status"].as_str().filter(|s| *s != member.status) {
                    roster_store::set_member_status(
                        &mut tx,
                        actor.org_id,
                        member_id,
                        Some(&member.status),
                        status,
                        &actor.label,
                        now_millis(),
                    )
                    .await?;
                }
                report.restored += 1;
            }
        }
        set_import_state(&mut tx, id, "undone", None, None, None, now_millis()).await?;
        record(
            &mut tx,
            actor,
            "import.undo",
            "import",
            id,
            json!({"removed": report.removed, "restored": report.restored, "kept": report.kept.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }
}

fn fields_json(f: &MemberFields) -> serde_json::Value {
    json!({
        "first_name": f.first_name, "last_name": f.last_name, "email": f.email, "email_normalized": f.email_normalized,
        "personal_id": f.personal_id, "comment": f.comment, "phone": f.phone, "location": f.location, "skills": f.skills,
        "department": f.department, "role": f.role, "seat_type": f.seat_type, "external": f.external, "custom_fields": f.custom_fields,
    })
}

fn fields_from_json(v: &serde_json::Value) -> Option<MemberFields> {
    let s = |k: &str| v[k].as_str().map(str::to_owned);
    Some(MemberFields {
        first_name: s("first_name")?,
        last_name: s("last_name")?,
        email: s("email")?,
        email_normalized: s("email_normalized")?,
        personal_id: s("personal_id")?,
        comment: s("comment")?,
        phone: s("phone")?,
        location: s("location")?,
        skills: s("skills")?,
        department: s("department")?,
        role: s("role")?,
        seat_type: s("seat_type"),
        external: v["external"].as_bool()?,
        custom_fields: v["custom_fields"].clone(),
    })
}

fn summarize(
    import_id: i64,
    detected: Detected,
    mapping: Mapping,
    planned: Vec<Planned>,
    seat_shortfall: Vec<SeatNeed>,
) -> Preview {
    let mut totals = Totals {
        rows: planned.len(),
        ..Default::default()
    };
    for p in &planned {
        match p.preview.action {
            "create" => totals.create += 1,
            "update" => totals.update += 1,
            "unchanged" => totals.unchanged += 1,
            _ => totals.error += 1,
        }
    }
    Preview {
        import_id,
        detected,
        unmapped: mapping.unmapped().into_iter().map(str::to_owned).collect(),
        mapping,
        totals,
        seat_shortfall,
        rows: planned.into_iter().map(|p| p.preview).collect(),
    }
}

/// Registers the import job with a worker.
pub fn register_jobs(worker: &mut Worker, service: Service) {
    worker.register(
        IMPORT_JOB,
        std::sync::Arc::new(move |ctx: JobContext| -> JobFuture {
            let service = service.clone();
            Box::pin(async move { service.run_import_job(&ctx).await })
        }),
    );
}

/// A header and the target a saved mapping gives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedTarget {
    pub header: String,
    pub target: Target,
}

impl Service {
    /// Saves the import's current mapping under a name, by header, so that
    /// the next file with the same headers maps the same way.
    pub async fn save_import_mapping(
        &self,
        can: Can<'_, Import>,
        id: i64,
        name: &str,
    ) -> ServiceResult<Vec<SavedTarget>> {
        let actor = can.actor();
        let name = roster_domain::SingleLine::parse_required("name", name, 100)?.into_string();
        let mut tx = self.store().begin().await?;
        let import = import_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        let mapping: Mapping =
            serde_json::from_value(import.mapping).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let targets: Vec<SavedTarget> = mapping
            .columns
            .into_iter()
            .map(|c| SavedTarget {
                header: c.header,
                target: c.target,
            })
            .collect();
        roster_store::upsert_saved_mapping(
            &mut tx,
            actor.org_id,
            &name,
            &json!(targets),
            &actor.label,
            now_millis(),
        )
        .await?;
        record(
            &mut tx,
            actor,
            "import.mapping_saved",
            "import_mapping",
            &name,
            json!({"import_id": id}),
        )
        .await?;
        tx.commit().await?;
        Ok(targets)
    }

    pub async fn saved_import_mappings(
        &self,
        can: Can<'_, Import>,
    ) -> ServiceResult<Vec<roster_store::SavedMappingRecord>> {
        let mut conn = self.store().conn().await?;
        Ok(roster_store::saved_mappings(&mut conn, can.actor().org_id).await?)
    }

    /// Applies a saved mapping to an import: columns whose header the saved
    /// mapping knows (ignoring case) get its target; the others keep theirs.
    pub async fn use_saved_mapping(&self, can: Can<'_, Import>, id: i64, name: &str) -> ServiceResult<ImportRecord> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let saved = roster_store::saved_mappings(&mut conn, actor.org_id)
            .await?
            .into_iter()
            .find(|m| m.name == name)
            .ok_or(ServiceError::NotFound("saved mapping"))?;
        let targets: Vec<SavedTarget> =
            serde_json::from_value(saved.targets).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let import = import_by_id(&mut conn, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        drop(conn);
        let mut mapping: Mapping =
            serde_json::from_value(import.mapping).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        for column in &mut mapping.columns {
            if let Some(t) = targets
                .iter()
                .find(|t| t.header.to_lowercase() == column.header.to_lowercase())
            {
                column.target = t.target.clone();
            }
        }
        self.set_import_mapping(can, id, mapping.columns).await
    }
}
