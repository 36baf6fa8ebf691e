//! The ways in: passwords and console sessions, API tokens, password
//! resets, sign-up, and the links in invitations.

pub(crate) mod auth;
pub(crate) mod invitation_links;
pub(crate) mod password_reset;
pub(crate) mod sessions;
pub(crate) mod signup;
pub mod sso;
pub(crate) mod tokens;
