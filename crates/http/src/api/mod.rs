//! The JSON API under `/api/v1`. Every endpoint is one row of [`ENDPOINTS`]:
//! the router and the OpenAPI document are both built from that table, so
//! they cannot disagree.

mod admin;
pub mod exports;
mod extract;
mod imports;
mod invitations;
mod members;
mod org;
mod teams;

use axum::routing::MethodRouter;
use axum::Router;
use schemars::{JsonSchema, Schema, SchemaGenerator};

pub use extract::{ApiJson, ApiQuery, Authed, Ids};
pub use imports::download;

use crate::AppState;

/// One endpoint: how it is routed and how it is documented. The schemas are
/// the JSON Schemas of the Rust types the handler takes and returns.
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// The permission the service checks (documentation; the check is in the service).
    pub permission: &'static str,
    /// The query's type, if it takes one: each of its fields is a parameter.
    pub query: Option<Schematic>,
    pub request: Body,
    /// Success status and body.
    pub response: (u16, Body),
    /// Other successful answers (a preview still being planned: 202).
    pub also: &'static [(u16, Body)],
    /// The method router of the whole path (all rows of a path give the same).
    pub handler: fn() -> MethodRouter<AppState>,
}

/// A type's name and its JSON Schema, taken without calling anything (the
/// table is a constant).
#[derive(Clone, Copy)]
pub struct Schematic {
    pub name: fn() -> std::borrow::Cow<'static, str>,
    /// A `$ref` to the type's schema in `#/components/schemas`.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
    /// The type's schema itself (a query's fields are parameters).
    pub inline: fn(&mut SchemaGenerator) -> Schema,
}

/// A request's or response's body.
#[derive(Clone, Copy)]
pub enum Body {
    Empty,
    Json(Schematic),
    /// A file as the body itself, in one of these media types.
    File {
        name: &'static str,
        media_types: &'static [&'static str],
    },
}

/// The body of type `T`, as JSON.
pub const fn json<T: JsonSchema>() -> Body {
    Body::Json(schematic::<T>())
}

pub const fn schematic<T: JsonSchema>() -> Schematic {
    Schematic {
        name: T::schema_name,
        schema: reference::<T>,
        inline: T::json_schema,
    }
}

/// `T`'s schema as a `$ref` to `#/components/schemas/T` (written there by the generator).
fn reference<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// A list of `T`s as `{"items": [...]}`: every list the API answers.
#[derive(Debug, serde::Serialize, JsonSchema)]
#[schemars(rename = "{T}List")]
pub struct Items<T> {
    pub items: Vec<T>,
}

pub const ENDPOINTS: &[&[Endpoint]] = &[
    org::ENDPOINTS,
    members::ENDPOINTS,
    teams::ENDPOINTS,
    imports::ENDPOINTS,
    invitations::ENDPOINTS,
    exports::ENDPOINTS,
    admin::ENDPOINTS,
];

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    let mut seen = std::collections::HashSet::new();
    // Rows of one path share its method router; route each path once.
    for endpoint in ENDPOINTS.iter().flat_map(|group| group.iter()) {
        if seen.insert(endpoint.path) {
            router = router.route(endpoint.path, (endpoint.handler)());
            // The document's path of the organization itself is `/` below
            // its server (`/api/v1/orgs/{slug}`): that URL answers too.
            if endpoint.path == crate::openapi::ORG_PREFIX {
                router = router.route(&format!("{}/", endpoint.path), (endpoint.handler)());
            }
        }
    }
    router
}
