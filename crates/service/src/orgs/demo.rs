//! `roster serve --demo`: a realistic organization to look around in.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use roster_domain::{Permission, StatusTransition, TeamRole};
use serde_json::json;

use crate::{
    Actor, FieldKind, MemberInput, NewCustomField, NewCustomRole, NewOrg, RemoveMember, Service, ServiceResult,
    TeamInput, TeamMemberInput,
};

pub struct DemoSummary {
    pub slug: String,
    pub owner_email: String,
    pub members: usize,
    /// (role, e-mail) of demo members who can sign in with the demo password.
    pub logins: Vec<(String, String)>,
}

const FIRST: &[&str] = &[
    "Jürgen",
    "Anna",
    "Björn",
    "Zoë",
    "Sören",
    "Jörg",
    "Mareike",
    "Günther",
    "Lieselotte",
    "Käthe",
    "Daan",
    "Sanne",
    "Thijs",
    "Fleur",
    "Bram",
    "Mirjam",
    "Joëlle",
    "Sem",
    "Noémie",
    "François",
    "Hélène",
    "Gaël",
    "Léa",
    "Benoît",
    "Cécile",
    "Jérôme",
    "Oliver",
    "Charlotte",
    "Harry",
    "Amelia",
    "George",
    "Isla",
    "Siobhán",
    "Eóin",
    "Ines",
    "Raphaël",
];
const LAST: &[&str] = &[
    "Müller",
    "Schröder",
    "Weiß",
    "Groß",
    "Köhler",
    "Bäcker",
    "Öztürk",
    "Hoffmann",
    "Krämer",
    "Jäger",
    "de Vries",
    "van den Berg",
    "Jansen",
    "Bakker",
    "Visser",
    "van Dijk",
    "Smit",
    "Meijer",
    "Lefèvre",
    "Dubois",
    "Moreau",
    "Girard",
    "Bérénger",
    "Fournier",
    "Lefébure",
    "Mercier",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "O'Connor",
    "Ní Bhriain",
];
const LOCATIONS: &[&str] = &[
    "Berlin",
    "München",
    "Köln",
    "Amsterdam",
    "Utrecht",
    "Paris",
    "Lyon",
    "London",
    "Zürich",
];

fn ascii_local(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'ä' | 'Ä' => Some("ae".to_string()),
            'ö' | 'Ö' => Some("oe".to_string()),
            'ü' | 'Ü' => Some("ue".to_string()),
            'ß' => Some("ss".to_string()),
            'é' | 'è' | 'ê' | 'ë' | 'É' => Some("e".to_string()),
            'á' | 'à' => Some("a".to_string()),
            'ç' => Some("c".to_string()),
            'ó' | 'ô' => Some("o".to_string()),
            'î' | 'ï' => Some("i".to_string()),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase().to_string()),
            _ => None,
        })
        .collect()
}

impl Service {
    /// Creates the demo organization `demo` unless it exists. Returns None
    /// when it was there already.
    pub async fn seed_demo(&self, owner_password: &str) -> ServiceResult<Option<DemoSummary>> {
        match self.system_actor("demo").await {
            Ok(_) => return Ok(None),
            Err(crate::ServiceError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let owner_email = "owner@demo.roster.example".to_string();
        self.create_org(
            NewOrg {
                name: "Demo GmbH".into(),
                slug: "demo".into(),
                owner_email: owner_email.clone(),
                owner_first_name: "Dörte".into(),
                owner_last_name: "Eigentümer".into(),
                owner_password: owner_password.into(),
            },
            "demo",
        )
        .await?;
        let actor = self.system_actor("demo").await?;
        let mut rng = StdRng::seed_from_u64(2026);
        self.set_seats(self.authorize(&actor).await?, "power", 140, Some("Power".into()))
            .await?;
        self.set_seats(self.authorize(&actor).await?, "casual", 120, Some("Casual".into()))
            .await?;
        self.update_settings(
            self.authorize(&actor).await?,
            crate::OrgSettingsPatch {
                description: Some(
                    "Eine Beispielorganisation mit Teams in Deutschland, den Niederlanden und Frankreich.".into(),
                ),
                ..Default::default()
            },
        )
        .await?;
        for (key, label, kind, choices) in [
            ("start_date", "Eintrittsdatum", FieldKind::Date, vec![]),
            ("cost_center", "Kostenstelle", FieldKind::Number, vec![]),
            (
                "office",
                "Standort",
                FieldKind::Choice,
                LOCATIONS.iter().map(|s| s.to_string()).collect(),
            ),
            ("first_aider", "Ersthelfer", FieldKind::YesNo, vec![]),
        ] {
            let field = NewCustomField {
                key: key.into(),
                label: label.into(),
                kind,
                choices,
            };
            self.create_custom_field(self.authorize(&actor).await?, field).await?;
        }
        self.create_custom_role(
            self.authorize(&actor).await?,
            NewCustomRole {
                key: "auditor".into(),
                name: "Auditor".into(),
                permissions: vec![Permission::ReadOrg, Permission::ReadMembers, Permission::ReadAudit],
            },
        )
        .await?;

        let team = |name: &str, parent: Option<i64>, key: &str, division: bool| TeamInput {
            name: Some(name.into()),
            purpose: Some(format!("{name} — Demo")),
            parent_id: Some(parent),
            external_key: Some(key.into()),
            is_division: Some(division),
        };
        let sales = self
            .create_team(self.authorize(&actor).await?, team("Vertrieb", None, "T-100", true))
            .await?;
        let dach = self
            .create_team(
                self.authorize(&actor).await?,
                team("Vertrieb DACH", Some(sales.id), "T-110", false),
            )
            .await?;
        let benelux = self
            .create_team(
                self.authorize(&actor).await?,
                team("Verkoop Benelux", Some(sales.id), "T-120", false),
            )
            .await?;
        let eng = self
            .create_team(self.authorize(&actor).await?, team("Entwicklung", None, "T-200", false))
            .await?;
        let platform = self
            .create_team(
                self.authorize(&actor).await?,
                team("Plateforme", Some(eng.id), "T-210", false),
            )
            .await?;
        let teams = [dach.id, benelux.id, eng.id, platform.id, sales.id];

        let mut members = Vec::new();
        for i in 0..200usize {
            let first = FIRST[rng.gen_range(0..FIRST.len())];
            let last = LAST[rng.gen_range(0..LAST.len())];
            let email = format!("{}.{}{}@demo.roster.example", ascii_local(first), ascii_local(last), i);
            let role = match i {
                0..=2 => "admin",
                3..=4 => "division_admin",
                5..=24 => "collaborator",
                25..=27 => "custom:auditor",
                _ => "reader",
            };
            let input = MemberInput {
                first_name: Some(first.into()),
                last_name: Some(last.into()),
                email: Some(email),
                personal_id: (i % 3 == 0).then(|| format!("{:05}", 4711 + i)),
                comment: Some(["Neu 2026", "Werkstudent", "", "Teilzeit"][i % 4].into()),
                location: Some(LOCATIONS[rng.gen_range(0..LOCATIONS.len())].into()),
                role: Some(role.into()),
                seat_type: Some(if i % 5 == 0 { "casual" } else { "power" }.into()),
                external: Some(i % 37 == 0),
                custom_fields: Some(
                    json!({
                        "start_date": format!("20{:02}-{:02}-{:02}", 15 + i % 11, 1 + i % 12, 1 + i % 28),
                        "cost_center": (4000 + i % 7 * 10).to_string(),
                        "office": LOCATIONS[i % LOCATIONS.len()],
                        "first_aider": i % 9 == 0,
                    })
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                ),
                ..Default::default()
            };
            let member = self.create_member(self.authorize(&actor).await?, input.into()).await?;
            let team_id = teams[i % teams.len()];
            let lead = i % 23 == 0;
            let add = TeamMemberInput {
                member_id: member.id,
                team_role: Some(if lead { TeamRole::Lead } else { TeamRole::Member }),
                core_member: Some(i % 4 == 0),
            };
            self.add_team_member(self.authorize(&actor).await?, team_id, add)
                .await?;
            members.push(member.id);
        }
        for admin in &members[3..=4] {
            self.add_division_admin(
                self.authorize(&actor).await?,
                self.authorize(&actor).await?,
                sales.id,
                *admin,
            )
            .await?;
        }
        self.apply_demo_statuses(&actor, &members).await?;
        let logins = self
            .demo_logins(
                &actor,
                &[members[0], members[3], members[10], members[30]],
                owner_password,
            )
            .await?;
        Ok(Some(DemoSummary {
            slug: "demo".into(),
            owner_email,
            members: members.len() + 1,
            logins,
        }))
    }

    /// Gives a few active demo members (one per role) an account with the
    /// demo password, as accepting an invitation would.
    async fn demo_logins(&self, actor: &Actor, ids: &[i64], password: &str) -> ServiceResult<Vec<(String, String)>> {
        let hash = self.passwords().hash(password.to_owned()).await?;
        let mut tx = self.store().begin().await?;
        let mut logins = Vec::new();
        for id in ids {
            let m = roster_store::member_by_id(&mut tx, actor.org_id, *id)
                .await?
                .ok_or(crate::ServiceError::NotFound("member"))?;
            let now = roster_domain::now_millis();
            let account =
                roster_store::ensure_account(&mut tx, &m.email, &m.email_normalized, &m.first_name, &m.last_name, now)
                    .await?;
            roster_store::set_password_hash(&mut tx, account, &hash).await?;
            self.connect_account(&mut tx, actor.org_id, m.id, account).await?;
            logins.push((m.role.clone(), m.email.clone()));
        }
        tx.commit().await?;
        Ok(logins)
    }

    /// Spreads the members over every status, each reached by real transitions.
    async fn apply_demo_statuses(&self, actor: &Actor, members: &[i64]) -> ServiceResult<()> {
        use StatusTransition::*;
        let mut tx = self.store().begin().await?;
        for (i, id) in members.iter().enumerate() {
            let path: &[StatusTransition] = match i % 10 {
                0..=4 => &[Invite, Accept],
                5 => &[Invite],
                6 => &[Invite, Expire],
                7 => &[Invite, Accept, StartReassign],
                _ => &[],
            };
            for step in path {
                self.transition_member(&mut tx, actor, *id, *step).await?;
            }
        }
        tx.commit().await?;
        for id in members.iter().skip(190) {
            self.remove_member(self.authorize(actor).await?, *id, RemoveMember::default())
                .await?;
        }
        Ok(())
    }
}
