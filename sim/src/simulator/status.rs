//! Writing status the way kube's controllers do: only when something differs, as a JSON merge
//! patch of the status subresource, with conditions whose timestamps move only when the
//! condition does.

use jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::FIELD_MANAGER;

/// Now, as Kubernetes writes a timestamp (whole seconds).
pub fn now() -> String {
    format_time(Timestamp::now())
}

pub fn format_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The JSON merge patch (RFC 7386) that turns `old` into `new`; `None` when they are equal.
pub fn merge_diff(old: &Value, new: &Value) -> Option<Value> {
    if old == new {
        return None;
    }
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = Map::new();
            for (k, nv) in n {
                match o.get(k) {
                    Some(ov) if ov == nv => {}
                    Some(ov) => {
                        if let Some(d) = merge_diff(ov, nv) {
                            patch.insert(k.clone(), d);
                        }
                    }
                    None => {
                        patch.insert(k.clone(), nv.clone());
                    }
                }
            }
            for k in o.keys() {
                if !n.contains_key(k) {
                    patch.insert(k.clone(), Value::Null);
                }
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        _ => Some(new.clone()),
    }
}

/// `Some(n)` unless `n` is zero: kube's `omitempty` counters.
pub fn nonzero(n: i64) -> Option<i64> {
    (n != 0).then_some(n)
}

/// Inserts `value` under `key` unless it is `None` (how `omitempty` fields serialize).
pub fn put<T: serde::Serialize>(obj: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        obj.insert(key.to_owned(), json!(v));
    }
}

/// The condition of `type_` in a serialized status, if any.
pub fn find_condition<'a>(status: &'a Value, type_: &str) -> Option<&'a Value> {
    status
        .get("conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
}

/// A condition as kube's controllers set it: `lastTransitionTime` kept while the status stays
/// the same; with `update_time`, `lastUpdateTime` kept while reason and message stay the same
/// and nothing progressed.
pub struct Condition<'a> {
    pub type_: &'a str,
    pub status: &'a str,
    pub reason: &'a str,
    pub message: &'a str,
}

impl Condition<'_> {
    pub fn render(
        &self,
        old_status: &Value,
        update_time: bool,
        progressed: bool,
        now: &str,
    ) -> Value {
        let old = find_condition(old_status, self.type_);
        let old_str = |field: &str| old.and_then(|c| c.get(field)).and_then(Value::as_str);
        let same_status = old_str("status") == Some(self.status);
        let transition = if same_status {
            old_str("lastTransitionTime").unwrap_or(now)
        } else {
            now
        };
        let mut c = Map::new();
        c.insert("type".into(), json!(self.type_));
        c.insert("status".into(), json!(self.status));
        if update_time {
            let unchanged = same_status
                && old_str("reason") == Some(self.reason)
                && old_str("message") == Some(self.message)
                && !progressed;
            let updated = if unchanged {
                old_str("lastUpdateTime").unwrap_or(now)
            } else {
                now
            };
            c.insert("lastUpdateTime".into(), json!(updated));
        }
        c.insert("lastTransitionTime".into(), json!(transition));
        if !self.reason.is_empty() {
            c.insert("reason".into(), json!(self.reason));
        }
        if !self.message.is_empty() {
            c.insert("message".into(), json!(self.message));
        }
        Value::Object(c)
    }
}

/// Writes `new` as the status of `name` when it differs from `old` (both serialized); true when
/// something was written.
pub async fn write_status<K>(
    api: &Api<K>,
    name: &str,
    old: &Value,
    new: &Value,
) -> Result<bool, kube::Error>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    let old = if old.is_null() { &json!({}) } else { old };
    let Some(diff) = merge_diff(old, new) else {
        return Ok(false);
    };
    api.patch_status(
        name,
        &PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..Default::default()
        },
        &Patch::Merge(json!({ "status": diff })),
    )
    .await?;
    Ok(true)
}

/// Merge-patches the object (spec or metadata).
pub async fn patch<K>(api: &Api<K>, name: &str, patch: Value) -> Result<(), kube::Error>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    api.patch(
        name,
        &PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..Default::default()
        },
        &Patch::Merge(patch),
    )
    .await?;
    Ok(())
}

/// The serialized status of a typed object (`Null` when it has none).
pub fn status_of<T: serde::Serialize>(status: &Option<T>) -> Value {
    status
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok())
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_diff_patches_only_what_changed() {
        struct Case {
            name: &'static str,
            old: Value,
            new: Value,
            want: Option<Value>,
        }
        let cases = [
            Case {
                name: "equal",
                old: json!({"a": 1, "b": {"c": 2}}),
                new: json!({"a": 1, "b": {"c": 2}}),
                want: None,
            },
            Case {
                name: "a nested change",
                old: json!({"a": 1, "b": {"c": 2, "d": 3}}),
                new: json!({"a": 1, "b": {"c": 5, "d": 3}}),
                want: Some(json!({"b": {"c": 5}})),
            },
            Case {
                name: "a removed field becomes null",
                old: json!({"a": 1, "b": 2}),
                new: json!({"a": 1}),
                want: Some(json!({"b": null})),
            },
            Case {
                name: "arrays are replaced whole",
                old: json!({"l": [1, 2]}),
                new: json!({"l": [1]}),
                want: Some(json!({"l": [1]})),
            },
        ];
        for case in cases {
            assert_eq!(merge_diff(&case.old, &case.new), case.want, "{}", case.name);
        }
    }

    #[test]
    fn condition_times_move_only_with_the_condition() {
        let old = json!({"conditions": [{"type": "Available", "status": "True", "reason": "R",
            "message": "m", "lastUpdateTime": "t0", "lastTransitionTime": "t0"}]});
        let same = Condition {
            type_: "Available",
            status: "True",
            reason: "R",
            message: "m",
        };
        let c = same.render(&old, true, false, "t1");
        assert_eq!(c["lastTransitionTime"], "t0");
        assert_eq!(c["lastUpdateTime"], "t0");
        let c = same.render(&old, true, true, "t1");
        assert_eq!(
            c["lastTransitionTime"], "t0",
            "progress is not a transition"
        );
        assert_eq!(c["lastUpdateTime"], "t1");
        let flipped = Condition {
            status: "False",
            ..same
        };
        let c = flipped.render(&old, true, false, "t1");
        assert_eq!(c["lastTransitionTime"], "t1");
    }
}
