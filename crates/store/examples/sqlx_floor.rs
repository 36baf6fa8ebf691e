//! What reading the member export's rows costs through sqlx's `Any` driver
//! (Roster's way to the database) with nothing else of Roster in the way,
//! for `bench/exports`: the query's rows streamed and written as CSV
//! (every field quoted, no typing, no formula guard).
//!
//!     cargo run --release -p roster-store --example sqlx_floor -- DATABASE_URL 'SELECT …' OUT.csv

use std::io::Write;

use roster_store::sqlx::{self, Row};
use roster_store::Store;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, query, out] = args.as_slice() else {
        return Err("usage: sqlx_floor DATABASE_URL QUERY OUT.csv".into());
    };
    let store = Store::connect(url).await?;
    let mut conn = store.conn().await?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    let mut rows = sqlx::query(query).fetch(conn.raw());
    use futures_util::TryStreamExt;
    while let Some(row) = rows.try_next().await? {
        for i in 0..row.len() {
            if i > 0 {
                file.write_all(b",")?;
            }
            let text = row
                .try_get::<Option<String>, _>(i)
                .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|n| n.map(|n| n.to_string())))
                .unwrap_or_default()
                .unwrap_or_default();
            write!(file, "\"{}\"", text.replace('"', "\"\""))?;
        }
        file.write_all(b"\n")?;
    }
    file.flush()?;
    Ok(())
}
