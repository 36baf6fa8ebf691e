//! SCIM 2.0 (RFC 7643, RFC 7644) as protocol values, without I/O: the
//! schemas Roster serves (`schema`), filters and PATCH paths (`filter`),
//! compiled and evaluated against a resource's JSON (`cond`), a client's
//! JSON in canonical form (`canonical`), PATCH operations (`patch`),
//! partial answers (`project`) and pages (`list`). The service keeps the
//! resources; the HTTP layer speaks the protocol with these.

pub mod canonical;
pub mod cond;
mod error;
pub mod filter;
pub mod list;
pub mod patch;
pub mod project;
pub mod resolve;
pub mod schema;

pub use cond::{Cond, Loc, Operand};
pub use error::{ScimError, ScimResult, ScimType};
pub use filter::{AttrPath, CompareOp, Filter, PatchPath};
pub use list::Page;
pub use project::Projection;
pub use resolve::Holder;
