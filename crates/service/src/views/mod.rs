//! What the service hands its doors (the API, the console, the command
//! line): its own types, never the store's rows. Statuses, roles and seat
//! types are typed values with a label for people; times are `Timestamp`s;
//! and a view of something the viewer may act on says what they may do
//! (`may`), so that no door or template decides by a role or status name.

mod invitations;
mod members;
mod misc;
mod vocabulary;

pub use invitations::{InvitationPage, InvitationView, MessageView};
pub use members::{
    DirectoryLink, MemberActions, MemberDetail, MemberPage, MemberTeamView, MemberView, StatusChangeView,
    DIRECTORY_FIELDS,
};
pub use misc::{
    AuditEventView, ContentItemView, CustomFieldView, CustomRoleView, FieldKind, MembershipView, OrgView,
    SavedMappingView, TeamMemberView, TeamView, TokenView,
};
pub use vocabulary::{Choice, Vocabulary};
