//! One event storage, two APIs: `core/v1` Events are stored; `events.k8s.io/v1` Events are the
//! same objects with renamed fields, converted on the way in and out (as kube-apiserver does).

use serde_json::{Map, Value};

/// (events.k8s.io/v1 field, core/v1 field)
const RENAMES: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
    ("reportingController", "reportingComponent"),
];

fn rename(obj: &Value, api_version: &str, to_core: bool) -> Value {
    let Some(map) = obj.as_object() else {
        return obj.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        let renamed = RENAMES
            .iter()
            .find(|(ev, core)| if to_core { k == ev } else { k == core })
            .map(|(ev, core)| if to_core { *core } else { *ev })
            .unwrap_or(k.as_str());
        out.insert(renamed.to_string(), v.clone());
    }
    out.insert("apiVersion".into(), Value::String(api_version.into()));
    out.insert("kind".into(), Value::String("Event".into()));
    if to_core {
        // Old readers (kubectl describe) look at source.component.
        if let Some(component) = out.get("reportingComponent").cloned()
            && !out.contains_key("source")
        {
            let mut source = Map::new();
            source.insert("component".into(), component);
            out.insert("source".into(), Value::Object(source));
        }
    }
    Value::Object(out)
}

pub fn to_core(obj: &Value) -> Value {
    rename(obj, "v1", true)
}

pub fn from_core(obj: &Value) -> Value {
    rename(obj, "events.k8s.io/v1", false)
}
