//! Planning an import: every row checked against the file and the organization.

use super::*;

/// A planned row, with what applying it needs.
pub(super) struct Planned {
    pub(super) preview: RowPreview,
    pub(super) member: Option<ImportedMember>,
    pub(super) existing: Option<MemberRecord>,
    pub(super) team_id: Option<i64>,
    /// A division the member is to administer.
    pub(super) division_id: Option<i64>,
}

/// Applies the file's values over an existing member's (absent cells keep theirs).
pub(super) fn merged_fields(base: Option<&MemberRecord>, m: &ImportedMember) -> MemberFields {
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

fn same(a: &MemberFields, b: &MemberFields) -> bool {
    a == b
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

impl Service {
    /// Checks every row against the file and the organization.
    pub(super) async fn plan(
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
    pub(super) async fn seat_needs(
        &self,
        conn: &mut Conn,
        org_id: i64,
        planned: &[Planned],
    ) -> ServiceResult<Vec<SeatNeed>> {
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
}
