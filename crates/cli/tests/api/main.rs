//! The integration suite: the real application on a real port, a fresh
//! database per test. `ROSTER_TEST_DATABASE=postgres` runs the same tests on
//! PostgreSQL (`ROSTER_TEST_POSTGRES_URL`, default the local server); `.ci/run`
//! runs the suite once per backend.

// Test helpers outside #[test] functions may unwrap: a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod helpers;

mod base_url;
mod bulk;
mod busy_writer;
mod cli;
mod cli_export;
mod cli_import;
mod cli_invite;
mod console_auth;
mod contract;
mod damage;
mod exports;
mod exports_bulk_read;
mod exports_console;
mod exports_office;
mod exports_round_trip;
mod faults;
mod imports;
mod imports_chunks;
mod imports_fidelity;
mod imports_large;
mod imports_office;
mod imports_rules;
mod imports_workbooks;
mod invitations;
mod invitations_large;
mod jobs;
mod members;
mod name_order;
mod ops;
mod org;
mod permissions;
mod proxies;
mod ranks;
mod refusals_durable;
mod schema;
mod scim_clients;
mod scim_groups;
mod scim_patch;
mod scim_protocol;
mod scim_setup;
mod scim_users;
mod search_catch_up;
mod sso;
mod sso_policies;
mod teams;
mod tenancy;
mod tokens;
mod upgrade;
mod upload_sandbox;
mod way_in;
