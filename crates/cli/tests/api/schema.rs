//! The two databases keep one schema: a fresh database of each kind,
//! migrated, has the same tables, columns (kind and nullability) and indexes
//! (columns, uniqueness), but for the differences listed here, each with
//! its reason.

use std::collections::{BTreeMap, BTreeSet};

use roster_store::{sqlx, Store};
use sqlx::Row;

use crate::helpers::TestDb;

/// Differences the two schemas are meant to have.
const SQLITE_ONLY_TABLES: &[&str] = &[
    // The trigram full-text index of member search (PostgreSQL: a pg_trgm
    // GIN index on members.search_text) and FTS5's own tables.
    "members_search",
    "members_search_config",
    "members_search_data",
    "members_search_docsize",
    "members_search_idx",
];
/// (table, columns) of indexes only PostgreSQL has.
const POSTGRES_ONLY_INDEXES: &[(&str, &str)] = &[
    // The GIN trigram index of member search; SQLite has FTS5 tables instead.
    ("members", "search_text"),
    // The e-mail sort order: on SQLite the unique index on (org_id,
    // email_normalized) ends with the rowid and serves it (migration 5).
    ("members", "org_id,email_normalized,id"),
];

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// name → (kind, nullable)
    columns: BTreeMap<String, (String, bool)>,
    /// (columns in order, unique)
    indexes: BTreeSet<(String, bool)>,
}

type Schema = BTreeMap<String, Table>;

fn kind(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int8" | "int4" => "integer".into(),
        "text" | "character varying" => "text".into(),
        "blob" | "bytea" => "bytes".into(),
        other => other.to_owned(),
    }
}

async fn sqlite_schema(store: &Store) -> Schema {
    let mut conn = store.conn().await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(conn.raw())
    .await
    .unwrap();
    let mut schema = Schema::new();
    for name in tables {
        let mut table = Table::default();
        let columns = sqlx::query(&format!(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{name}')"
        ))
        .fetch_all(conn.raw())
        .await
        .unwrap();
        let mut primary_key = Vec::new();
        for c in &columns {
            let column: String = c.get("name");
            let not_null: i64 = c.get("notnull");
            let pk: i64 = c.get("pk");
            if pk > 0 {
                primary_key.push((pk, column.clone()));
            }
            table
                .columns
                .insert(column, (kind(&c.get::<String, _>("type")), not_null == 0 && pk == 0));
        }
        primary_key.sort();
        if !primary_key.is_empty() {
            let columns: Vec<String> = primary_key.into_iter().map(|(_, c)| c).collect();
            table.indexes.insert((columns.join(","), true));
        }
        let indexes = sqlx::query(&format!(
            "SELECT name, \"unique\", origin FROM pragma_index_list('{name}')"
        ))
        .fetch_all(conn.raw())
        .await
        .unwrap();
        for index in &indexes {
            if index.get::<String, _>("origin") == "pk" {
                continue;
            }
            let index_name: String = index.get("name");
            let mut columns: Vec<(i64, String)> =
                sqlx::query(&format!("SELECT seqno, name FROM pragma_index_info('{index_name}')"))
                    .fetch_all(conn.raw())
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| (r.get("seqno"), r.get("name")))
                    .collect();
            columns.sort();
            let columns: Vec<String> = columns.into_iter().map(|(_, c)| c).collect();
            let unique: i64 = index.get("unique");
            table.indexes.insert((columns.join(","), unique == 1));
        }
        schema.insert(name, table);
    }
    schema
}

async fn postgres_schema(store: &Store) -> Schema {
    let mut conn = store.conn().await.unwrap();
    let columns = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS k, is_nullable::text AS n \
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name",
    )
    .fetch_all(conn.raw())
    .await
    .unwrap();
    let mut schema = Schema::new();
    for c in &columns {
        let table = schema.entry(c.get::<String, _>("t")).or_default();
        let nullable = c.get::<String, _>("n") == "YES";
        table
            .columns
            .insert(c.get("c"), (kind(&c.get::<String, _>("k")), nullable));
    }
    let indexes = sqlx::query(
        "SELECT t.relname::text AS t, ix.indisunique AS u, \
         array_to_string(ARRAY(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n) \
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n), ',') AS cols \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace ns ON ns.oid = t.relnamespace \
         WHERE ns.nspname = 'public'",
    )
    .fetch_all(conn.raw())
    .await
    .unwrap();
    for index in &indexes {
        let table = schema.entry(index.get::<String, _>("t")).or_default();
        table.indexes.insert((index.get("cols"), index.get::<bool, _>("u")));
    }
    schema
}

#[tokio::test]
async fn a_fresh_database_of_each_kind_has_the_same_schema_but_for_the_listed_differences() {
    let (sqlite_db, postgres_db) = (TestDb::sqlite().await, TestDb::postgres().await);
    let mut sqlite = sqlite_schema(&sqlite_db.store().await).await;
    let mut postgres = postgres_schema(&postgres_db.store().await).await;
    for table in SQLITE_ONLY_TABLES {
        assert!(sqlite.remove(*table).is_some(), "{table} is listed but not there");
    }
    for (table, columns) in POSTGRES_ONLY_INDEXES {
        let removed = postgres
            .get_mut(*table)
            .is_some_and(|t| t.indexes.remove(&(columns.to_string(), false)));
        assert!(removed, "the index on {table}({columns}) is listed but not there");
    }
    let names = |s: &Schema| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&sqlite), names(&postgres), "the same tables");
    for (name, table) in &sqlite {
        let other = &postgres[name];
        assert_eq!(
            table.columns, other.columns,
            "the columns of {name} (SQLite left, PostgreSQL right)"
        );
        assert_eq!(
            table.indexes, other.indexes,
            "the indexes of {name} (SQLite left, PostgreSQL right)"
        );
    }
}
