pub(crate) mod audit;
pub(crate) mod content;
pub(crate) mod demo;

use roster_domain::{
    now_millis, AccentColor, Description, Email, Language, MemberStatus, OrgSlug, Role, SeatType, SingleLine,
};
use roster_store::{
    count_orgs, ensure_account, insert_member, insert_org, insert_setup_token, member_counts, org_by_id, record_status,
    seat_allocations, set_password_hash, team_size, update_org, upsert_seat_allocation, used_seats, Conn, CountBy,
    MemberFields,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

use crate::orgs::audit::record;
use crate::OrgView;
use crate::{sha256_hex, Actor, Can, ManageOrg, ManageSeats, ReadOrg, Service, ServiceError, ServiceResult};

/// A new organization and its primary admin (the owner).
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub name: String,
    pub slug: String,
    pub owner_email: String,
    pub owner_first_name: String,
    pub owner_last_name: String,
    pub owner_password: String,
}

/// Settings to change; absent ones stay.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgSettingsPatch {
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 100))]
    pub name: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::SLUG))]
    pub slug: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::DESCRIPTION), length(max = 250))]
    pub description: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::COLOR))]
    pub accent_color: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::LOGO_URL), length(max = 2000))]
    pub logo_url: Option<String>,
    #[schemars(range(min = 1, max = 365))]
    pub invitation_lifetime_days: Option<i64>,
    #[schemars(range(min = 1, max = 90))]
    pub export_retention_days: Option<i64>,
    #[schemars(range(min = 1, max = 365))]
    pub job_history_days: Option<i64>,
    #[schemars(range(min = 1, max = 10_000_000))]
    pub import_row_limit: Option<i64>,
    pub managed_by_identity_provider: Option<bool>,
    pub signup_enabled: Option<bool>,
    /// en, de, nl or fr.
    pub language: Option<roster_domain::Language>,
    /// The e-mail domains the sign-up page accepts (empty: any).
    #[schemars(length(max = 50))]
    pub signup_domains: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SeatSummary {
    pub seat_type: SeatType,
    pub label: String,
    pub purchased: i64,
    pub used: i64,
    pub available: i64,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OrgOverview {
    pub organization: OrgView,
    pub team_size: i64,
    pub seats: Vec<SeatSummary>,
    /// Members per status (`active`: 12, …).
    pub members_by_status: BTreeMap<String, i64>,
    /// Members per role (`admin`: 2, `custom:auditor`: 1, …).
    pub members_by_role: BTreeMap<String, i64>,
}

const DEFAULT_SEATS: i64 = 25;

fn range(field: &str, value: i64, min: i64, max: i64) -> ServiceResult<i64> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(roster_domain::InvalidInput::new(field, "out_of_range", format!("must be between {min} and {max}")).into())
    }
}

impl Service {
    /// Creates an organization with its owner, who can sign in at once.
    #[tracing::instrument(skip_all, fields(slug = %new.slug))]
    pub async fn create_org(&self, new: NewOrg, created_by: &str) -> ServiceResult<OrgView> {
        let slug = OrgSlug::parse(&new.slug)?;
        let name = SingleLine::parse_required("name", &new.name, 100)?;
        let email = Email::parse(&new.owner_email).map_err(|e| e.for_field("owner_email"))?;
        let first = SingleLine::parse("owner_first_name", &new.owner_first_name, 100)?;
        let last = SingleLine::parse("owner_last_name", &new.owner_last_name, 100)?;
        if new.owner_password.chars().count() < 12 {
            return Err(roster_domain::InvalidInput::new(
                "owner_password",
                "too_short",
                "must be at least 12 characters",
            )
            .into());
        }
        let hash = self.passwords().hash(new.owner_password.clone()).await?;
        let now = now_millis();
        let mut tx = self.store().begin().await?;
        let org = insert_org(&mut tx, slug.as_str(), name.as_str(), now).await?;
        for seat in SeatType::ALL {
            let label = match seat {
                SeatType::Power => "Power",
                SeatType::Casual => "Casual",
            };
            upsert_seat_allocation(&mut tx, org.id, seat.as_str(), label, DEFAULT_SEATS).await?;
        }
        let account = ensure_account(
            &mut tx,
            email.as_str(),
            email.normalized(),
            first.as_str(),
            last.as_str(),
            now,
        )
        .await?;
        set_password_hash(&mut tx, account, &hash).await?;
        let fields = MemberFields {
            first_name: if first.as_str().is_empty() {
                "Owner".into()
            } else {
                first.into_string()
            },
            last_name: last.into_string(),
            email: email.as_str().to_owned(),
            email_normalized: email.normalized().to_owned(),
            personal_id: email.as_str().to_owned(),
            comment: String::new(),
            phone: String::new(),
            location: String::new(),
            skills: String::new(),
            department: String::new(),
            role: Role::OWNER.to_string(),
            seat_type: Some(SeatType::Power.as_str().to_owned()),
            external: false,
            custom_fields: json!({}),
        };
        let status = MemberStatus::Active.as_str();
        let member = insert_member(&mut tx, org.id, &fields, status, now).await?;
        record_status(&mut tx, org.id, member, None, status, created_by, now).await?;
        self.connect_account(&mut tx, org.id, member, account).await?;
        let mut actor = Actor::system(org.id, &org.slug);
        actor.label = created_by.to_owned();
        record(
            &mut tx,
            &actor,
            "org.create",
            "organization",
            org.id,
            json!({"slug": org.slug, "owner": fields.email}),
        )
        .await?;
        tx.commit().await?;
        Ok(org.into())
    }

    /// Every organization, for the operator's command line (like
    /// [`Service::system_actor`], no door for members reaches it).
    pub async fn all_orgs(&self) -> ServiceResult<Vec<OrgView>> {
        let mut conn = self.store().conn().await?;
        Ok(roster_store::list_orgs(&mut conn)
            .await?
            .into_iter()
            .map(OrgView::from)
            .collect())
    }

    pub async fn org(&self, can: Can<'_, ReadOrg>) -> ServiceResult<OrgView> {
        let mut conn = self.store().conn().await?;
        org_by_id(&mut conn, can.actor().org_id)
            .await?
            .map(OrgView::from)
            .ok_or(ServiceError::NotFound("organization"))
    }

    pub async fn overview(&self, can: Can<'_, ReadOrg>) -> ServiceResult<OrgOverview> {
        let org_id = can.actor().org_id;
        let organization = self.org(can).await?;
        let mut conn = self.store().conn().await?;
        let counts = |pairs: Vec<(String, i64)>| pairs.into_iter().collect();
        Ok(OrgOverview {
            team_size: team_size(&mut conn, org_id).await?,
            seats: self.seat_summary(&mut conn, org_id).await?,
            members_by_status: counts(member_counts(&mut conn, org_id, CountBy::Status).await?),
            members_by_role: counts(member_counts(&mut conn, org_id, CountBy::Role).await?),
            organization,
        })
    }

    #[tracing::instrument(skip_all, fields(org = can.actor().org_id))]
    pub async fn update_settings(&self, can: Can<'_, ManageOrg>, patch: OrgSettingsPatch) -> ServiceResult<OrgView> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let mut org = org_by_id(&mut tx, actor.org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        if let Some(v) = &patch.name {
            org.name = SingleLine::parse_required("name", v, 100)?.into_string();
        }
        if let Some(v) = &patch.slug {
            org.slug = OrgSlug::parse(v)?.as_str().to_owned();
        }
        if let Some(v) = &patch.description {
            org.description = Description::parse(v)?.into_string();
        }
        if let Some(v) = &patch.accent_color {
            org.accent_color = AccentColor::parse(v)?.into_string();
        }
        if let Some(v) = &patch.logo_url {
            let v = SingleLine::parse("logo_url", v, 2000)?.into_string();
            if !(v.is_empty() || v.starts_with("https://") || v.starts_with('/')) {
                return Err(
                    roster_domain::InvalidInput::new("logo_url", "invalid_url", "must be an https:// URL").into(),
                );
            }
            org.logo_url = v;
        }
        if let Some(v) = patch.invitation_lifetime_days {
            org.invitation_lifetime_days = range("invitation_lifetime_days", v, 1, 365)?;
        }
        if let Some(v) = patch.export_retention_days {
            org.export_retention_days = range("export_retention_days", v, 1, 90)?;
        }
        if let Some(v) = patch.job_history_days {
            org.job_history_days = range("job_history_days", v, 1, 365)?;
        }
        if let Some(v) = patch.import_row_limit {
            org.import_row_limit = range("import_row_limit", v, 1, 10_000_000)?;
        }
        if let Some(v) = patch.managed_by_identity_provider {
            org.managed_by_identity_provider = v;
        }
        if let Some(v) = patch.signup_enabled {
            org.signup_enabled = v;
        }
        let old_language = org.language.clone();
        if let Some(v) = patch.language {
            org.language = v.as_str().to_owned();
        }
        if let Some(v) = &patch.signup_domains {
            org.signup_domains = crate::ways_in::signup::parse_domains(v)?;
        }
        update_org(&mut tx, &org, now_millis()).await?;
        let language = |raw: &str| Language::parse(raw).unwrap_or_default();
        if roster_domain::NameSortKeys::order_changes(language(&old_language), language(&org.language)) {
            // The worker computes their keys again in the background.
            roster_store::expire_sort_keys_of_org(&mut tx, org.id).await?;
        }
        let details = json!(format!("{patch:?}"));
        record(
            &mut tx,
            actor,
            "org.update",
            "organization",
            org.id,
            json!({"patch": details}),
        )
        .await?;
        tx.commit().await?;
        Ok(org.into())
    }

    pub(crate) async fn seat_summary(&self, conn: &mut Conn, org_id: i64) -> ServiceResult<Vec<SeatSummary>> {
        let mut out = Vec::new();
        for alloc in seat_allocations(conn, org_id).await? {
            let used = used_seats(conn, org_id, &alloc.seat_type).await?;
            out.push(SeatSummary {
                available: alloc.purchased - used,
                seat_type: SeatType::parse(&alloc.seat_type)?,
                label: alloc.label,
                purchased: alloc.purchased,
                used,
            });
        }
        Ok(out)
    }

    pub async fn seats(&self, can: Can<'_, ReadOrg>) -> ServiceResult<Vec<SeatSummary>> {
        let mut conn = self.store().conn().await?;
        self.seat_summary(&mut conn, can.actor().org_id).await
    }

    /// Sets the purchased seats of a type (and optionally its label). Fewer
    /// than are in use is refused, with the number in use.
    pub async fn set_seats(
        &self,
        can: Can<'_, ManageSeats>,
        seat_type: &str,
        purchased: i64,
        label: Option<String>,
    ) -> ServiceResult<Vec<SeatSummary>> {
        let actor = can.actor();
        let seat = SeatType::parse(seat_type)?;
        let purchased = range("purchased", purchased, 0, 100_000_000)?;
        let mut tx = self.store().begin().await?;
        let current = seat_allocations(&mut tx, actor.org_id).await?;
        let current_label = current
            .iter()
            .find(|a| a.seat_type == seat.as_str())
            .map(|a| a.label.clone());
        let label = match label {
            Some(l) => SingleLine::parse_required("label", &l, 40)?.into_string(),
            None => current_label.unwrap_or_else(|| seat.as_str().to_owned()),
        };
        let used = used_seats(&mut tx, actor.org_id, seat.as_str()).await?;
        if purchased < used {
            return Err(ServiceError::conflict(
                "seats_in_use",
                Some("purchased"),
                format!(
                    "{used} {} seats are in use; free {} of them first",
                    seat.as_str(),
                    used - purchased
                ),
            ));
        }
        upsert_seat_allocation(&mut tx, actor.org_id, seat.as_str(), &label, purchased).await?;
        record(
            &mut tx,
            actor,
            "seats.update",
            "seat_type",
            seat.as_str(),
            json!({"purchased": purchased, "label": label}),
        )
        .await?;
        let summary = self.seat_summary(&mut tx, actor.org_id).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Refuses, before anything changes, when `extra` more members of
    /// `seat_type` would exceed the purchased seats; says by how many.
    pub(crate) async fn ensure_seats(
        &self,
        conn: &mut Conn,
        org_id: i64,
        seat_type: &str,
        extra: i64,
    ) -> ServiceResult<()> {
        let purchased = seat_allocations(conn, org_id)
            .await?
            .into_iter()
            .find(|a| a.seat_type == seat_type)
            .map_or(0, |a| a.purchased);
        let available = purchased - used_seats(conn, org_id, seat_type).await?;
        if extra > available {
            return Err(ServiceError::SeatShortfall {
                seat_type: seat_type.to_owned(),
                needed: extra,
                available: available.max(0),
                shortfall: extra - available.max(0),
            });
        }
        Ok(())
    }

    /// On an empty database: a one-time secret for the setup page. None when
    /// an organization exists already.
    pub async fn setup_token_if_empty(&self) -> ServiceResult<Option<String>> {
        let mut tx = self.store().begin().await?;
        if count_orgs(&mut tx).await? > 0 {
            return Ok(None);
        }
        let token = crate::new_secret("rss_");
        insert_setup_token(&mut tx, &sha256_hex(&token), now_millis()).await?;
        tx.commit().await?;
        Ok(Some(token))
    }

    pub async fn org_count(&self) -> ServiceResult<i64> {
        let mut conn = self.store().conn().await?;
        Ok(count_orgs(&mut conn).await?)
    }
}
