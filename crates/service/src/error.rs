use roster_domain::{InvalidInput, TransitionError};
use roster_store::StoreError;
use thiserror::Error;

/// What went wrong, in terms a caller can act on. Each variant has a stable
/// machine code; the HTTP layer maps variants to status codes in one place.
#[derive(Debug, Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(#[from] InvalidInput),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A page cursor this list never gave (or gave for another order): the
    /// page it names does not exist.
    #[error("is not a cursor this list returned")]
    UnknownCursor,
    #[error("{message}")]
    Conflict {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    /// The actor's role lacks a permission the action needs.
    #[error("{0}")]
    MissingPermission(String),
    /// A rule of roles refuses the action (granting above one's own role, …).
    #[error("{0}")]
    Forbidden(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("not enough {seat_type} seats: {needed} needed, {available} available ({shortfall} short)")]
    SeatShortfall {
        seat_type: String,
        needed: i64,
        available: i64,
        shortfall: i64,
    },
    #[error("{0}")]
    Transition(#[from] TransitionError),
    #[error("too many attempts; try again later")]
    RateLimited,
    /// The database's one writer is busy (a large import on SQLite) for
    /// longer than a write waits; nothing changed, and trying again works.
    #[error("Roster is busy writing a large change, such as an import; nothing was changed, try again in a moment")]
    Busy,
    /// Too much of one kind of work at once (uploads being read); nothing
    /// changed, and trying again in a moment works.
    #[error("{0}")]
    Overloaded(String),
    /// It existed and is gone for good (an export past its retention).
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    /// A SCIM request broke a rule of the protocol (RFC 7644 §3.12); only
    /// the SCIM door sees these.
    #[error("{0}")]
    Scim(roster_scim::ScimError),
    /// The organization signs its members in only through its identity
    /// provider: a password (or a session opened with one) does not.
    #[error("this organization ({slug}) signs you in with {provider} only: use \"Sign in with {provider}\"")]
    SsoRequired { slug: String, provider: String },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(e) => e.code,
            Self::NotFound(_) => "not_found",
            Self::UnknownCursor => "invalid_cursor",
            Self::Conflict { code, .. } => code,
            Self::MissingPermission(_) => "missing_permission",
            Self::Forbidden(_) => "forbidden",
            Self::Unauthenticated => "unauthenticated",
            Self::SeatShortfall { .. } => "seats_exhausted",
            Self::Transition(_) => "invalid_transition",
            Self::RateLimited => "rate_limited",
            Self::Busy => "busy",
            Self::Overloaded(_) => "overloaded",
            Self::Gone { code, .. } => code,
            Self::Scim(_) => "invalid_scim_request",
            Self::SsoRequired { .. } => "sso_required",
            Self::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(e) => Some(&e.field),
            Self::Conflict { field, .. } => field.as_deref(),
            Self::SeatShortfall { .. } => Some("seat_type"),
            Self::UnknownCursor => Some("cursor"),
            _ => None,
        }
    }

    pub fn conflict(code: &'static str, field: Option<&str>, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict { field } => Self::Conflict {
                code: "already_exists",
                message: format!("{field} is already taken"),
                field: Some(field),
            },
            StoreError::Busy => Self::Busy,
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<roster_scim::ScimError> for ServiceError {
    fn from(err: roster_scim::ScimError) -> Self {
        Self::Scim(err)
    }
}

impl From<roster_store::sqlx::Error> for ServiceError {
    fn from(err: roster_store::sqlx::Error) -> Self {
        StoreError::from(err).into()
    }
}
