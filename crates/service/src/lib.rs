//! Roster's service layer: every business rule, in one place. The JSON API,
//! SCIM, the console and the command line are front doors that parse input,
//! call a function here (one transaction each) and present the result.
//!
//! Permission checks hand back a capability ([`Can`]): a function that needs
//! "manage members" takes a `Can<ManageMembers>`, which exists only when the
//! check passed.

mod actor;
mod cursor;
mod error;
pub mod exports;
pub mod imports;
mod instance;
mod invitations;
pub mod jobs;
pub mod mail;
mod members;
mod orgs;
pub mod outbound;
pub mod scim;
mod teams;
mod views;
mod ways_in;

use roster_store::Store;

pub use actor::*;
pub use error::{ServiceError, ServiceResult};
pub use imports::spooled::Spooled;
pub use imports::uploads::SandboxConfig;
pub use instance::RecordedBaseUrl;
pub use invitations::status::DeliveryProgress;
pub use invitations::{InvitationOutcome, InvitationRequest, InvitationSkip, Invitees, SendWhen, MAX_INVITATIONS};
pub use jobs::activity::{ActivityFilter, ActivityKind, ActivityStatus, ActivityView};
pub use members::bulk::{BulkChange, BulkOutcome, BulkRefusal, BulkRequest, BULK_MAX_MEMBERS};
pub use members::fields::NewCustomField;
pub use members::input::{MemberInput, NewMember};
pub use members::reassign::ReassignSeat;
pub use members::roles::NewCustomRole;
pub use members::{MemberListQuery, RemoveMember};
pub use orgs::audit::{AuditFilter, AuditPage};
pub use orgs::content::NewContentItem;
pub use orgs::demo::DemoSummary;
pub use orgs::{NewOrg, OrgOverview, OrgSettingsPatch, SeatSummary};
/// Values of the domain that the service's views and inputs carry.
pub use roster_domain::{Language, MemberStatus, Permission, Role, SeatType, TeamRole, Timestamp};
pub use teams::{GroupRoleGrant, TeamDetail, TeamInput, TeamMemberInput, TeamMembersPage};
pub use views::*;
pub use ways_in::auth::{hash_password, new_secret, sha256_hex, PasswordHasher};
pub use ways_in::invitation_links::{AcceptError, InvitationLink, SsoWayIn, MIN_PASSWORD_CHARS};
pub use ways_in::sessions::{ConsoleSession, SignedIn};
pub use ways_in::signup::{SignupPage, SIGNUP_SEAT};
pub use ways_in::sso;
pub use ways_in::tokens::{NewToken, TokenCreated};

/// Why the service could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the database: {0}")]
    Connect(#[source] roster_store::StoreError),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[source] roster_store::StoreError),
}

/// The service: cheap to clone, shared by every request and worker.
#[derive(Clone)]
pub struct Service {
    store: Store,
    passwords: PasswordHasher,
    /// Progress of the jobs running in this process, by job id.
    live_progress: jobs::LiveProgress,
    /// Import plans kept between preview pages (`imports::snapshots`).
    plan_snapshots: imports::PlanSnapshots,
    /// Where uploads are read (`uploads`).
    uploads: imports::uploads::UploadSandbox,
    /// Writes no request waits for (`deferred`).
    deferred: jobs::deferred::DeferredWrites,
    /// How mail leaves (`mail`).
    mail: std::sync::Arc<mail::MailConfig>,
    /// Wakes the mail senders after a commit that queued messages.
    mail_wake: std::sync::Arc<tokio::sync::Notify>,
    /// Where exports are written before they are stored (`exports`).
    export_dir: Option<std::path::PathBuf>,
    /// Where SCIM's user list pages ended (`scim::pages`).
    scim_pages: scim::PageMemory,
    /// Organizations' SCIM User schemas, kept briefly (`scim`).
    scim_schemas: scim::SchemaCache,
    /// How Roster calls other servers (`outbound`).
    outbound: outbound::Outbound,
}

impl Service {
    pub fn new(store: Store) -> Self {
        Self {
            deferred: jobs::deferred::DeferredWrites::start(store.clone()),
            store,
            passwords: PasswordHasher::new(4, std::time::Duration::from_secs(5)),
            live_progress: jobs::LiveProgress::default(),
            plan_snapshots: imports::PlanSnapshots::default(),
            uploads: imports::uploads::UploadSandbox::new(SandboxConfig::default()),
            mail: std::sync::Arc::new(mail::MailConfig::default()),
            mail_wake: std::sync::Arc::new(tokio::sync::Notify::new()),
            export_dir: None,
            scim_pages: scim::PageMemory::default(),
            scim_schemas: scim::SchemaCache::default(),
            outbound: outbound::Outbound::default(),
        }
    }

    /// The same service, calling other servers under these rules.
    pub fn with_outbound(mut self, config: outbound::OutboundConfig) -> Self {
        self.outbound = outbound::Outbound::new(config);
        self
    }

    /// How Roster calls other servers (an identity provider).
    pub fn outbound(&self) -> &outbound::Outbound {
        &self.outbound
    }

    /// The same service, writing exports' files in `dir` before they are
    /// stored (default: the system's temporary directory).
    pub fn with_export_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.export_dir = Some(dir);
        self
    }

    pub(crate) fn export_dir(&self) -> std::path::PathBuf {
        self.export_dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    /// The same service, reading uploads under these limits.
    pub fn with_upload_sandbox(mut self, config: SandboxConfig) -> Self {
        self.uploads = imports::uploads::UploadSandbox::new(config);
        self
    }

    /// A temporary file in the upload spool directory, for an upload on its
    /// way in (the front doors stream a request body into it).
    pub fn spool_file(&self) -> ServiceResult<tempfile::NamedTempFile> {
        self.uploads.spool_file()
    }

    /// Connects to `sqlite://…` or `postgres://…`: the service the binary
    /// runs (bring its schema up to date with [`Service::migrate`]).
    pub async fn connect(database_url: &str) -> Result<Self, OpenError> {
        Ok(Self::new(
            Store::connect(database_url).await.map_err(OpenError::Connect)?,
        ))
    }

    /// Applies the migrations that have not run; returns how many ran.
    pub async fn migrate(&self) -> Result<usize, OpenError> {
        self.store.migrate().await.map_err(OpenError::Migrate)
    }

    /// The same service with another bound on concurrent password hashing.
    pub fn with_password_hasher(mut self, passwords: PasswordHasher) -> Self {
        self.passwords = passwords;
        self
    }

    /// Waits until the rows written in the background so far (refusals'
    /// audit rows, tokens' last use) are in the database: before the
    /// process stops, and before a test reads them.
    pub async fn flush_deferred_writes(&self) {
        self.deferred.flush().await;
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn passwords(&self) -> &PasswordHasher {
        &self.passwords
    }
}
