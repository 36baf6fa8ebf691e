//! Building a query whose shape depends on the caller's filters, with every
//! value bound as a parameter (never spliced into the text).

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::Any;

use crate::{Backend, Conn, StoreResult};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    NullInt,
    NullText,
}

/// The text is kept without placeholders, with the byte offset of each; they
/// are written per database when the query runs. SQLite gets anonymous `?`:
/// with numbered `$N` it looks up every parameter's name in a list, which
/// made a 5,000-parameter bulk insert quadratic (74% of an import's time).
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    placeholders: Vec<usize>,
    args: Vec<Arg>,
    /// Plan with the actual values each time instead of reusing a prepared plan.
    fresh_plan: bool,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            placeholders: Vec::new(),
            args: Vec::new(),
            fresh_plan: false,
        }
    }

    /// Plans the statement with its values on every run (not prepared and
    /// cached): for lookups whose best plan changes as a bulk write grows
    /// the table — PostgreSQL would otherwise keep a generic plan made when
    /// the organization had a handful of members.
    pub fn fresh_plan(&mut self) -> &mut Self {
        self.fresh_plan = true;
        self
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `arg`.
    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Self {
        self.args.push(arg.into());
        self.placeholders.push(self.text.len());
        self
    }

    /// The statement's text for the connection's database.
    fn render(&self, conn: &Conn) -> String {
        let sqlite = conn.backend() == Backend::Sqlite;
        let mut out = String::with_capacity(self.text.len() + 4 * self.placeholders.len());
        let mut from = 0;
        for (i, &at) in self.placeholders.iter().enumerate() {
            out.push_str(&self.text[from..at]);
            if sqlite {
                out.push('?');
            } else {
                out.push('$');
                out.push_str(&(i + 1).to_string());
            }
            from = at;
        }
        out.push_str(&self.text[from..]);
        out
    }

    fn query<'q>(&'q self, text: &'q str) -> Query<'q, Any, AnyArguments<'q>> {
        let mut query = sqlx::query(text).persistent(!self.fresh_plan);
        for arg in &self.args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.as_str()),
                Arg::Bytes(v) => query.bind(v.as_slice()),
                Arg::NullInt => query.bind(None::<i64>),
                Arg::NullText => query.bind(None::<String>),
            };
        }
        query
    }

    pub async fn fetch_all(&self, conn: &mut Conn) -> StoreResult<Vec<AnyRow>> {
        let text = self.render(conn);
        Ok(self.query(&text).fetch_all(conn.raw()).await?)
    }

    pub async fn execute(&self, conn: &mut Conn) -> StoreResult<u64> {
        let text = self.render(conn);
        Ok(self.query(&text).execute(conn.raw()).await?.rows_affected())
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        v.map_or(Arg::NullText, Arg::Text)
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Arg::NullInt, Arg::Int)
    }
}

/// Bytes from hexadecimal digits of either case (SQLite's `hex` writes upper
/// case, PostgreSQL's `encode` lower case).
pub(crate) fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Lower-case hexadecimal digits of `bytes` (a cursor's text).
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
