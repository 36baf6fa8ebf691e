//! Roster's domain types. Every value here is parsed once at the edge and is
//! valid from then on ("parse, don't validate"). No I/O lives in this crate.

mod email;
mod error;
mod field;
mod role;
mod seat;
mod secret;
mod slug;
mod status;
mod team;
mod text;
mod time;

pub use email::{email_skeleton, looks_alike, Email};
pub use error::InvalidInput;
pub use field::{CustomFieldKind, FieldKey};
pub use role::{BuiltinRole, Permission, PermissionSet, Role};
pub use seat::SeatType;
pub use secret::Secret;
pub use slug::OrgSlug;
pub use status::{MemberStatus, StatusTransition, TransitionError};
pub use team::TeamRole;
pub use text::{forbidden_char, AccentColor, Description, FreeText, SingleLine};
pub use time::{format_rfc3339, now_millis};
