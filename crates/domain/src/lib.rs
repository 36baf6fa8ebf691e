//! Roster's domain types. Every value here is parsed once at the edge and is
//! valid from then on ("parse, don't validate"). No I/O lives in this crate.

/// Serde for a value that is text on the wire: written as it displays, read
/// by its `parse` (so a bad value is refused with the parser's reason).
macro_rules! text_value {
    ($type:ty) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(|e| serde::de::Error::custom(e.message))
            }
        }
    };
    // A closed set of names: it displays as its `as_str`.
    ($type:ty, as_str) => {
        text_value!($type);

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

mod color;
mod email;
mod error;
mod field;
mod language;
mod member_reference;
mod name_order;
mod role;
pub mod schema;
mod seat;
mod secret;
mod slug;
mod status;
mod team;
mod text;
mod time;
mod user_name;
mod work;

pub use email::{email_skeleton, looks_alike, Email};
pub use error::InvalidInput;
pub use field::{CustomFieldKind, FieldKey};
pub use language::Language;
pub use member_reference::{member_reference, parse_member_reference};
pub use name_order::{NameSortKeys, SORT_KEY_VERSION};
pub use role::{capability, BuiltinRole, Perm, Permission, PermissionSet, Role};
pub use seat::SeatType;
pub use secret::Secret;
pub use slug::OrgSlug;
pub use status::{MemberStatus, StatusTransition, TransitionError};
pub use team::TeamRole;
pub use text::{forbidden_char, AccentColor, Description, FreeText, SingleLine};
pub use time::{format_rfc3339, now_millis, Timestamp};
pub use user_name::UserName;
pub use work::{ExportStatus, ImportStatus, JobStatus, UnknownStatus};
