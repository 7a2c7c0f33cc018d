//! `meta.k8s.io/v1` Table rendering for `kubectl get`: kube's columns for built-in kinds (from
//! `flotilla_machinery::printers`), a CRD's `additionalPrinterColumns`, and Name/Age otherwise.

use serde_json::{Value, json};

use crate::handlers::partial_metadata;
use crate::registry::{PrinterColumn, ResourceInfo};

fn column(name: &str, type_: &str, format: &str, description: &str, priority: i64) -> Value {
    json!({"name": name, "type": type_, "format": format, "description": description, "priority": priority})
}

pub fn table(info: &ResourceInfo, objects: &[Value], include_object: &str) -> Value {
    let now = jiff::Timestamp::now();
    let (columns, rows): (Vec<Value>, Vec<Vec<Value>>) = if let Some(cols) =
        flotilla_machinery::printers::columns(&info.group, &info.kind)
    {
        (
            cols.iter()
                .map(|c| column(c.name, c.type_, c.format, c.description, c.priority as i64))
                .collect(),
            objects
                .iter()
                .map(|o| flotilla_machinery::printers::row(&info.group, &info.kind, o, now))
                .collect(),
        )
    } else if !info.printer_columns.is_empty() {
        custom_columns(&info.printer_columns, objects, now)
    } else {
        (
            vec![
                column(
                    "Name",
                    "string",
                    "name",
                    "Name must be unique within a namespace.",
                    0,
                ),
                column(
                    "Age",
                    "date",
                    "",
                    "CreationTimestamp is a timestamp representing the server time when this object was created.",
                    0,
                ),
            ],
            objects
                .iter()
                .map(|o| vec![json!(crate::object::name(o)), json!(age_of(o, now))])
                .collect(),
        )
    };
    let rows: Vec<Value> = rows
        .into_iter()
        .zip(objects)
        .map(|(cells, obj)| {
            let object = match include_object {
                "None" => Value::Null,
                "Object" => obj.clone(),
                _ => partial_metadata(obj),
            };
            json!({"cells": cells, "object": object})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns,
        "rows": rows,
    })
}

fn age_of(obj: &Value, now: jiff::Timestamp) -> String {
    let created = crate::object::meta_str(obj, "creationTimestamp").unwrap_or("");
    flotilla_machinery::printers::age(created, now)
}

fn custom_columns(
    cols: &[PrinterColumn],
    objects: &[Value],
    now: jiff::Timestamp,
) -> (Vec<Value>, Vec<Vec<Value>>) {
    let mut defs = vec![column(
        "Name",
        "string",
        "name",
        "Name must be unique within a namespace.",
        0,
    )];
    defs.extend(
        cols.iter()
            .map(|c| column(&c.name, &c.type_, &c.format, &c.description, c.priority)),
    );
    let rows = objects
        .iter()
        .map(|obj| {
            let mut cells = vec![json!(crate::object::name(obj))];
            for c in cols {
                let v = json_path(obj, &c.json_path);
                cells.push(match (c.type_.as_str(), v) {
                    (_, None) => Value::Null,
                    ("date", Some(Value::String(s))) => {
                        json!(flotilla_machinery::printers::age(&s, now))
                    }
                    (_, Some(v)) => v,
                });
            }
            cells
        })
        .collect();
    (defs, rows)
}

/// The subset of JSONPath that printer columns use: `.a.b`, `.a[0].b`, `.a[*].b` and
/// `.a[?(@.type=="Ready")].status`.
pub fn json_path(obj: &Value, path: &str) -> Option<Value> {
    let path = path
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim_start_matches('$');
    let mut current = vec![obj.clone()];
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let field = &r[..end];
            current = current
                .iter()
                .filter_map(|v| v.get(field).cloned())
                .collect();
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let sel = &r[..end];
            rest = &r[end + 1..];
            let mut next = Vec::new();
            for v in &current {
                let Some(items) = v.as_array() else { continue };
                if sel == "*" {
                    next.extend(items.iter().cloned());
                } else if let Ok(i) = sel.parse::<usize>() {
                    next.extend(items.get(i).cloned());
                } else if let Some(cond) =
                    sel.strip_prefix("?(@.").and_then(|c| c.strip_suffix(')'))
                {
                    let (k, want) = cond.split_once("==")?;
                    let want = want.trim().trim_matches(|c| c == '"' || c == '\'');
                    next.extend(
                        items
                            .iter()
                            .filter(|it| it.get(k.trim()).and_then(|x| x.as_str()) == Some(want))
                            .cloned(),
                    );
                }
            }
            current = next;
        } else {
            return None;
        }
    }
    match current.len() {
        0 => None,
        1 => current.into_iter().next(),
        _ => Some(json!(
            current
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    o => o.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        )),
    }
}
