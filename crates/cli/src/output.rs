//! Printing results: readable tables, or one JSON document with `--json`.

use roster_service::ServiceError;
use serde::Serialize;

pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A plain text table with aligned columns.
pub fn print_table(headers: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(headers.iter().map(|h| h.to_uppercase()).collect());
    for row in rows {
        line(row);
    }
}

pub fn print_error(json: bool, err: &anyhow::Error) {
    let service = err.downcast_ref::<ServiceError>();
    // A service error says everything itself; its source is the same input
    // error again, which `{:#}` would print a second time.
    let message = match service {
        Some(ServiceError::Invalid(e)) => e.message.clone(),
        Some(e) => e.to_string(),
        None => format!("{err:#}"),
    };
    if json {
        let body = serde_json::json!({"error": {
            "code": service.map_or("error", ServiceError::code),
            "message": message,
            "field": service.and_then(ServiceError::field),
        }});
        println!("{body}");
    } else {
        match service.and_then(ServiceError::field) {
            Some(field) => eprintln!("error: {field}: {message}"),
            None => eprintln!("error: {message}"),
        }
    }
}

/// 2 for refused input (nothing changed), 1 for everything else (a busy
/// database included: the same command may work a moment later).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<ServiceError>() {
        Some(ServiceError::Internal(_) | ServiceError::Busy) | None => 1,
        Some(_) => 2,
    }
}
