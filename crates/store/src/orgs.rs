use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{flag, flag_value, int, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct OrgRecord {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub accent_color: String,
    pub logo_url: String,
    pub invitation_lifetime_days: i64,
    pub export_retention_days: i64,
    pub job_history_days: i64,
    pub import_row_limit: i64,
    pub managed_by_identity_provider: bool,
    pub signup_enabled: bool,
    /// The language of its mail and pages: en, de, nl or fr.
    pub language: String,
    /// The e-mail domains its sign-up page accepts, comma separated (empty: any).
    pub signup_domains: String,
    #[serde(serialize_with = "crate::serialize_time")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::serialize_time")]
    pub updated_at: i64,
}

const COLUMNS: &str = "id, slug, name, description, accent_color, logo_url, invitation_lifetime_days, \
    export_retention_days, job_history_days, import_row_limit, managed_by_idp, signup_enabled, language, signup_domains, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<OrgRecord, sqlx::Error> {
    Ok(OrgRecord {
        id: int(r, "id")?,
        slug: text(r, "slug")?,
        name: text(r, "name")?,
        description: text(r, "description")?,
        accent_color: text(r, "accent_color")?,
        logo_url: text(r, "logo_url")?,
        invitation_lifetime_days: int(r, "invitation_lifetime_days")?,
        export_retention_days: int(r, "export_retention_days")?,
        job_history_days: int(r, "job_history_days")?,
        import_row_limit: int(r, "import_row_limit")?,
        managed_by_identity_provider: flag(r, "managed_by_idp")?,
        signup_enabled: flag(r, "signup_enabled")?,
        language: text(r, "language")?,
        signup_domains: text(r, "signup_domains")?,
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
    })
}

pub async fn insert_org(conn: &mut Conn, slug: &str, name: &str, now: i64) -> StoreResult<OrgRecord> {
    let row = sqlx::query(&format!(
        "INSERT INTO organizations (slug, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING {COLUMNS}"
    ))
    .bind(slug)
    .bind(name)
    .bind(now)
    .fetch_one(conn.raw())
    .await?;
    Ok(from_row(&row)?)
}

pub async fn org_by_slug(conn: &mut Conn, slug: &str) -> StoreResult<Option<OrgRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM organizations WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn org_by_id(conn: &mut Conn, id: i64) -> StoreResult<Option<OrgRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM organizations WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn list_orgs(conn: &mut Conn) -> StoreResult<Vec<OrgRecord>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM organizations ORDER BY slug"))
        .fetch_all(conn.raw())
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn count_orgs(conn: &mut Conn) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
        .fetch_one(conn.raw())
        .await?)
}

/// Writes every setting of `org` (the service loads, changes and saves).
pub async fn update_org(conn: &mut Conn, org: &OrgRecord, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE organizations SET slug = $2, name = $3, description = $4, accent_color = $5, logo_url = $6, \
         invitation_lifetime_days = $7, export_retention_days = $8, job_history_days = $9, import_row_limit = $10, \
         managed_by_idp = $11, signup_enabled = $12, language = $13, signup_domains = $14, updated_at = $15 WHERE id = $1",
    )
    .bind(org.id)
    .bind(&org.slug)
    .bind(&org.name)
    .bind(&org.description)
    .bind(&org.accent_color)
    .bind(&org.logo_url)
    .bind(org.invitation_lifetime_days)
    .bind(org.export_retention_days)
    .bind(org.job_history_days)
    .bind(org.import_row_limit)
    .bind(flag_value(org.managed_by_identity_provider))
    .bind(flag_value(org.signup_enabled))
    .bind(&org.language)
    .bind(&org.signup_domains)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(())
}
