//! Reading columns out of `Any` rows.

use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64, sqlx::Error> {
    row.try_get::<i64, _>(col)
}

pub(crate) fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>, sqlx::Error> {
    row.try_get::<Option<i64>, _>(col)
}

pub(crate) fn flag(row: &AnyRow, col: &str) -> Result<bool, sqlx::Error> {
    Ok(int(row, col)? != 0)
}

pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String, sqlx::Error> {
    row.try_get::<String, _>(col)
}

/// A column holding a word the domain parses (a status): an unknown word
/// is damage, said at read.
pub(crate) fn parsed<T>(row: &AnyRow, col: &str) -> Result<T, sqlx::Error>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text(row, col)?
        .parse()
        .map_err(|e: T::Err| sqlx::Error::Decode(Box::new(e)))
}

pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>, sqlx::Error> {
    row.try_get::<Option<String>, _>(col)
}

pub(crate) fn json(row: &AnyRow, col: &str) -> Result<serde_json::Value, sqlx::Error> {
    serde_json::from_str(&text(row, col)?).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// A JSON object column: anything else is damage, said at read, so that no
/// caller mistakes it for an empty object.
pub(crate) fn json_object(row: &AnyRow, col: &str) -> Result<serde_json::Value, sqlx::Error> {
    let value = json(row, col)?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(sqlx::Error::Decode(format!("{col} is not a JSON object").into()))
    }
}

pub(crate) fn flag_value(b: bool) -> i64 {
    i64::from(b)
}
