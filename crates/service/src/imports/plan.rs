//! Planning an import: every row checked against the file and the organization.

use super::source::{Duplicates, ParsedRow, RowStream, Rows, Source};
use super::*;
use crate::members::roles::Reach;

/// A planned row, with what applying it needs.
pub(super) struct Planned {
    pub(super) preview: RowPreview,
    pub(super) member: Option<ImportedMember>,
    /// The skeleton of the member's e-mail, for look-alike checks.
    skeleton: Option<String>,
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
    // A row without an address (a member of another company, exported
    // without it) keeps the stored one.
    if !m.email.is_empty() || base.is_none() {
        f.email = m.email.clone();
        f.email_normalized = m.email_normalized.clone();
    }
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
        // (Stored custom fields are an object: the store checks at read.)
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

/// Plans rows chunk by chunk: each row checked against the file (via the
/// first pass's duplicates) and the organization.
pub(super) struct Planner<'a> {
    service: &'a Service,
    actor: &'a Actor,
    options: ImportOptions,
    mapping: Mapping,
    defs: Vec<FieldDef>,
    /// Role and seat labels the file may use for keys.
    labels: super::labels::Labels,
    duplicates: Duplicates,
    /// Verdicts per role, team id and division: a file names the same few many times.
    roles: HashMap<String, Result<(), String>>,
    /// Verdicts of the rule of ranks per existing member's role and reach.
    ranks: HashMap<String, Result<(), String>>,
    /// The organization's members come from its identity provider: rows
    /// that would add one are refused.
    managed_by_idp: bool,
    /// Per team id of the file: the team, or why not (unknown, a directory group).
    teams: HashMap<String, Result<i64, String>>,
    divisions: HashMap<String, Result<i64, String>>,
}

impl<'a> Planner<'a> {
    /// Reads the organization's custom fields and makes the file's first
    /// pass; returns the planner, the file and its number of rows.
    pub(super) async fn new(
        service: &'a Service,
        conn: &mut Conn,
        actor: &'a Actor,
        import: &ImportRecord,
        options: ImportOptions,
    ) -> ServiceResult<(Planner<'a>, Source, usize)> {
        let org = org_by_id(conn, actor.org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        let source = Source::load(
            service,
            import,
            usize::try_from(org.import_row_limit).unwrap_or(usize::MAX),
        )
        .await?;
        let mapping: Mapping =
            serde_json::from_value(import.mapping.clone()).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let defs: Vec<FieldDef> = custom_fields(conn, actor.org_id)
            .await?
            .into_iter()
            .map(|f| {
                // A stored field that does not read is damage, said loudly, not a column ignored.
                let kind = CustomFieldKind::parse(&f.kind, &f.choices).map_err(|e| {
                    ServiceError::Internal(format!("the custom field {:?} is unreadable: {e}", f.key).into())
                })?;
                Ok(FieldDef { key: f.key, kind })
            })
            .collect::<ServiceResult<_>>()?;
        let labels = super::labels::Labels::of(conn, actor.org_id, &mapping).await?;
        let (duplicates, rows) = source.duplicates(&mapping).await?;
        let planner = Planner {
            service,
            actor,
            options,
            mapping,
            defs,
            labels,
            duplicates,
            roles: HashMap::new(),
            ranks: HashMap::new(),
            managed_by_idp: org.managed_by_identity_provider,
            teams: HashMap::new(),
            divisions: HashMap::new(),
        };
        Ok((planner, source, rows))
    }

    /// The file's rows, validated on the parser thread.
    pub(super) fn stream(&self, source: &Source) -> RowStream {
        source.stream(self.mapping.clone(), self.defs.clone(), self.labels.clone())
    }

    pub(super) fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// The file's header of the column mapped to `target`, or "" when none
    /// is (the error then names the field).
    fn header_of(&self, target: Target) -> String {
        self.mapping
            .columns
            .iter()
            .find(|c| c.target == target)
            .map(|c| c.header.clone())
            .unwrap_or_default()
    }

    /// Checks a chunk of rows against the file and the organization as it
    /// is on `conn` (with the chunks before it applied, when applying).
    pub(super) async fn plan_chunk(&mut self, conn: &mut Conn, rows: Rows) -> ServiceResult<Vec<Planned>> {
        let mut planned: Vec<Planned> = Vec::with_capacity(rows.len());
        for ParsedRow { line, member, skeleton } in rows {
            let mut p = Planned {
                preview: RowPreview {
                    line,
                    action: RowAction::Error,
                    member_id: None,
                    email: String::new(),
                    split_name: None,
                    errors: Vec::new(),
                },
                member: None,
                skeleton,
                existing: None,
                team_id: None,
                division_id: None,
            };
            match member {
                Err(errors) => p.preview.errors = errors,
                Ok(m) => {
                    p.preview.email = m.email.clone();
                    p.preview.split_name = m.name_split.then(|| SplitName {
                        first_name: m.first_name.clone(),
                        last_name: m.last_name.clone(),
                    });
                    p.preview.errors = self.check_row(conn, &m, &mut p).await?;
                    p.member = Some(m);
                }
            }
            planned.push(p);
        }
        self.check_against_members(conn, &mut planned).await?;
        Ok(planned)
    }

    /// What the file and the organization's teams and roles say of one row.
    async fn check_row(
        &mut self,
        conn: &mut Conn,
        m: &ImportedMember,
        p: &mut Planned,
    ) -> ServiceResult<Vec<RowError>> {
        let line = m.line;
        let mut errors = Vec::new();
        for other in self.duplicates.emails.others(&m.email_normalized, line) {
            errors.push(row_error(
                line,
                &self.header_of(Target::Email),
                "email",
                "duplicate_in_file",
                format!("the same e-mail as line {other}"),
            ));
        }
        if let Some(others) = self.duplicates.look_alikes.get(&line) {
            let lines: Vec<String> = others.iter().take(3).map(u64::to_string).collect();
            errors.push(row_error(
                line,
                &self.header_of(Target::Email),
                "email",
                "looks_alike",
                format!(
                    "looks the same as the e-mail on line {} but is a different address",
                    lines.join(", ")
                ),
            ));
        }
        if let Some(pid) = &m.personal_id {
            for other in self.duplicates.personal_ids.others(pid, line) {
                errors.push(row_error(
                    line,
                    &self.header_of(Target::PersonalId),
                    "personal_id",
                    "duplicate_in_file",
                    format!("the same personal id as line {other}"),
                ));
            }
        }
        if let Some(others) = self.duplicates.email_pids.get(&line) {
            let lines: Vec<String> = others.iter().take(3).map(u64::to_string).collect();
            let lines = lines.join(", ");
            let (column, message) = match &m.personal_id {
                Some(_) => (
                    Target::PersonalId,
                    format!("the same as the e-mail on line {lines}, which becomes that member's personal id"),
                ),
                None => (
                    Target::Email,
                    format!(
                        "without a personal id the e-mail becomes one, and line {lines} gives it as its personal id"
                    ),
                ),
            };
            errors.push(row_error(
                line,
                &self.header_of(column),
                "personal_id",
                "duplicate_in_file",
                message,
            ));
        }
        if let Some(role) = &m.role {
            let key = role.to_string();
            if !self.roles.contains_key(&key) {
                let verdict = if role.is_owner() {
                    Err("an import never grants the owner role".to_owned())
                } else {
                    match self.service.check_grant(conn, self.actor, role).await {
                        Ok(()) => Ok(()),
                        Err(e) => Err(e.to_string()),
                    }
                };
                self.roles.insert(key.clone(), verdict);
            }
            if let Some(Err(why)) = self.roles.get(&key).cloned() {
                // A member who holds the role already is granted nothing
                // (an export of the organization, imported back).
                let holds_it = roster_store::member_by_email(conn, self.actor.org_id, &m.email_normalized)
                    .await?
                    .is_some_and(|existing| existing.role == key);
                if !holds_it {
                    errors.push(row_error(
                        line,
                        &self.header_of(Target::Role),
                        "role",
                        "role_not_allowed",
                        why,
                    ));
                }
            }
        }
        if let Some(key) = &m.team_key {
            if !self.teams.contains_key(key) {
                let team = match roster_store::importable_team_by_key(conn, self.actor.org_id, key).await? {
                    Some(Ok(id)) => Ok(id),
                    Some(Err(())) => Err(format!(
                        "the team {key:?} is a group of the identity provider: its members come from there"
                    )),
                    None => Err(format!("no team has the id {key:?}")),
                };
                self.teams.insert(key.clone(), team);
            }
            match self.teams.get(key).cloned() {
                Some(Ok(team)) => p.team_id = Some(team),
                Some(Err(why)) => errors.push(row_error(
                    line,
                    &self.header_of(Target::TeamId),
                    "team_id",
                    "unknown_team",
                    why,
                )),
                None => {}
            }
        }
        if let Some(key) = &m.admin_of {
            match self
                .service
                .division_for_import(conn, self.actor, key, &mut self.divisions)
                .await?
            {
                Ok(division) => p.division_id = Some(division),
                Err(why) => errors.push(row_error(
                    line,
                    &self.header_of(Target::AdminOfDivision),
                    "admin_of_division",
                    "invalid_division",
                    why,
                )),
            }
        }
        Ok(errors)
    }

    /// Existing members by e-mail and owners of personal ids, looked up for
    /// the whole chunk at once; then each row's action.
    /// The members of another company that rows without an address name by
    /// their personal id (their exports carry no address).
    async fn externals_by_personal_id(
        &self,
        conn: &mut Conn,
        planned: &[Planned],
    ) -> ServiceResult<HashMap<String, MemberRecord>> {
        let pids: Vec<String> = planned
            .iter()
            .filter_map(|p| p.member.as_ref())
            .filter(|m| m.email_normalized.is_empty())
            .filter_map(|m| m.personal_id.clone())
            .collect();
        if pids.is_empty() {
            return Ok(HashMap::new());
        }
        // A personal id as given, or the reference an export shows in its
        // place when the personal id is the member's (private) address.
        let mut found: Vec<(String, i64)> = roster_store::bulk::members_by_personal_ids(conn, self.actor.org_id, &pids)
            .await?
            .into_iter()
            .collect();
        found.extend(
            pids.iter()
                .filter_map(|pid| roster_domain::parse_member_reference(pid).map(|id| (pid.clone(), id))),
        );
        let mut out = HashMap::new();
        for (pid, id) in found {
            if let Some(member) = roster_store::member_by_id(conn, self.actor.org_id, id).await? {
                if member.external {
                    out.insert(pid, member);
                }
            }
        }
        Ok(out)
    }

    async fn check_against_members(&mut self, conn: &mut Conn, planned: &mut [Planned]) -> ServiceResult<()> {
        let org_id = self.actor.org_id;
        let emails: Vec<String> = planned
            .iter()
            .filter_map(|p| p.member.as_ref().map(|m| m.email_normalized.clone()))
            .collect();
        let mut existing_by_email = roster_store::bulk::members_by_emails(conn, org_id, &emails).await?;
        let external_by_pid = self.externals_by_personal_id(conn, planned).await?;
        let mut fields_of: Vec<Option<MemberFields>> = Vec::with_capacity(planned.len());
        for p in planned.iter_mut() {
            let Some(m) = &p.member else {
                fields_of.push(None);
                continue;
            };
            p.existing = if m.email_normalized.is_empty() {
                m.personal_id.as_ref().and_then(|pid| external_by_pid.get(pid).cloned())
            } else {
                existing_by_email.remove(&m.email_normalized)
            };
            if m.email_normalized.is_empty() && p.existing.is_none() {
                let error = row_error(
                    p.preview.line,
                    &self.header_of(Target::Email),
                    "email",
                    "required",
                    "is required (a member of another company, exported without one, is found by their personal id)"
                        .into(),
                );
                p.preview.errors.push(error);
            }
            fields_of.push(Some(merged_fields(p.existing.as_ref(), m)));
        }
        // A member keeping their personal id holds it already (it is unique),
        // so only new members and changed ids need their owner looked up.
        let pids: Vec<String> = planned
            .iter()
            .zip(&fields_of)
            .filter_map(|(p, f)| f.as_ref().map(|f| (p, f)))
            .filter(|(p, f)| p.existing.as_ref().is_none_or(|e| e.personal_id != f.personal_id))
            .map(|(_, f)| f.personal_id.clone())
            .collect();
        let pid_owner = roster_store::bulk::members_by_personal_ids(conn, org_id, &pids).await?;
        // Look-alikes are looked up for new members only: a row found by its
        // e-mail keeps that address, which was checked when it was given.
        // The file's e-mail is the member's after the row (merged_fields), so
        // the skeleton the parser thread computed from it is the one to use.
        let wanted: Vec<String> = planned
            .iter()
            .filter(|p| p.member.is_some() && p.existing.is_none())
            .filter_map(|p| p.skeleton.clone())
            .collect();
        let look_alikes = roster_store::bulk::members_by_skeletons(conn, org_id, &wanted).await?;
        let personal_id_column = self.header_of(Target::PersonalId);
        for (p, fields) in planned.iter_mut().zip(fields_of) {
            let (Some(fields), Some(skeleton), Some(_)) = (fields, &p.skeleton, &p.member) else {
                continue;
            };
            let similar = look_alikes
                .get(skeleton)
                .filter(|_| p.existing.is_none())
                .into_iter()
                .flatten();
            if let Some((_, other)) = similar
                .into_iter()
                .find(|(_, o)| roster_domain::looks_alike(&fields.email_normalized, o))
            {
                let error = row_error(
                    p.preview.line,
                    &self.header_of(Target::Email),
                    "email",
                    "looks_alike",
                    format!("looks the same as the e-mail of another member ({other}) but is a different address"),
                );
                p.preview.errors.push(error);
            }
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
            // As in the API: names are required, and a member stored
            // without one keeps it (the row leaves it as it is).
            for (field, target, value) in [
                ("first_name", Target::FirstName, &fields.first_name),
                ("last_name", Target::LastName, &fields.last_name),
            ] {
                let stored = p.existing.as_ref().map(|e| match target {
                    Target::FirstName => e.first_name.as_str(),
                    _ => e.last_name.as_str(),
                });
                if value.is_empty() && stored.is_none_or(|s| !s.is_empty()) {
                    let one_word = p.member.as_ref().and_then(|m| m.one_word_name.clone());
                    let error = match one_word {
                        // One word in a full-name column: said as such.
                        Some(why) => row_error(
                            p.preview.line,
                            &self.header_of(Target::FullName),
                            "name",
                            "unsplittable_name",
                            why,
                        ),
                        None => row_error(
                            p.preview.line,
                            &self.header_of(target),
                            field,
                            "required",
                            "is required".into(),
                        ),
                    };
                    p.preview.errors.push(error);
                }
            }
            if !p.preview.errors.is_empty() {
                continue;
            }
            p.preview.action = match &p.existing {
                None => RowAction::Create,
                // A member of another company keeps their shared profile: the
                // row adds a membership only (HOSTILE 10) — restoring a
                // removed one, placing them in the row's team.
                Some(e) if e.external && e.status == MemberStatus::Removed.as_str() => RowAction::Update,
                Some(e) if e.external => RowAction::Unchanged,
                Some(e) if e.status == MemberStatus::Removed.as_str() => RowAction::Update,
                Some(_) if self.options.existing == Existing::Skip => RowAction::Unchanged,
                Some(e) if same(&e.fields(), &fields) => RowAction::Unchanged,
                Some(_) => RowAction::Update,
            };
            p.preview.member_id = p.existing.as_ref().map(|e| e.id);
            if p.preview.action == RowAction::Create && self.managed_by_idp {
                let error = row_error(
                    p.preview.line,
                    &self.header_of(Target::Email),
                    "email",
                    "managed_by_identity_provider",
                    "members of this organization come from its identity provider; an import only updates the \
                     members it has"
                        .into(),
                );
                p.preview.errors.push(error);
            }
            if let (Some(e), RowAction::Update) = (&p.existing, p.preview.action) {
                let reach = if e.role != fields.role || e.seat_type != fields.seat_type {
                    Reach::RoleOrSeat
                } else {
                    Reach::Profile
                };
                let own = reach == Reach::Profile && self.actor.member_id == Some(e.id);
                let key = format!("{}\0{reach:?}", e.role);
                let verdict = match own {
                    true => Ok(()),
                    false => {
                        self.service
                            .rank_verdict(conn, self.actor, &e.role, reach, &key, &mut self.ranks)
                            .await?
                    }
                };
                if let Err(why) = verdict {
                    let column = match reach {
                        Reach::RoleOrSeat => self.header_of(Target::Role),
                        _ => self.header_of(Target::Email),
                    };
                    p.preview
                        .errors
                        .push(row_error(p.preview.line, &column, "role", "rank", why));
                }
            }
        }
        for p in planned.iter_mut().filter(|p| !p.preview.errors.is_empty()) {
            p.preview.action = RowAction::Error;
            p.member = None;
        }
        Ok(())
    }
}

impl Planned {
    /// The seat type this row moves a seat-holding member to, if any
    /// (new members are `added` and hold none).
    pub(super) fn seat_taken(&self) -> Option<&'static str> {
        if self.preview.action != RowAction::Update {
            return None;
        }
        let (Some(m), Some(e)) = (&self.member, &self.existing) else {
            return None;
        };
        let uses = MemberStatus::parse(&e.status).map(|s| s.uses_seat()).unwrap_or(false);
        match m.seat_type {
            Some(seat) if uses && e.seat_type.as_deref() != Some(seat.as_str()) => Some(seat.as_str()),
            _ => None,
        }
    }

    /// Adds the seats these rows would take to `seats`.
    pub(super) fn tally_seats(planned: &[Planned], seats: &mut HashMap<&'static str, i64>) {
        for seat in planned.iter().filter_map(Planned::seat_taken) {
            *seats.entry(seat).or_default() += 1;
        }
    }
}

impl Service {
    /// Seats that applying would take beyond what the organization has.
    pub(super) async fn seat_shortfall(
        &self,
        conn: &mut Conn,
        org_id: i64,
        needed: &HashMap<&'static str, i64>,
    ) -> ServiceResult<Vec<SeatNeed>> {
        let mut out = Vec::new();
        for summary in self.seat_summary(conn, org_id).await? {
            if let Some(n) = needed.get(summary.seat_type.as_str()) {
                if *n > summary.available {
                    out.push(SeatNeed {
                        seat_type: summary.seat_type,
                        label: summary.label,
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
