//! Karmada's kinds served as built-ins: the admission Karmada's webhook performs (defaulting,
//! validation, permanent ids), run on every create and update of those kinds.

use flotilla_api::labels;
use flotilla_api::validation::{self as v, FieldViolation};
use flotilla_api::{
    Cluster, ClusterOverridePolicy, ClusterPropagationPolicy, ClusterResourceBinding,
    ClusterTaintPolicy, OverridePolicy, PropagationPolicy, ResourceBinding, Work,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::registry::ResourceInfo;

pub const GROUPS: &[&str] = &["policy.karmada.io", "work.karmada.io", "cluster.karmada.io"];

pub fn is_karmada(info: &ResourceInfo) -> bool {
    GROUPS.contains(&info.group.as_str())
}

fn decode<T: DeserializeOwned>(info: &ResourceInfo, obj: &Value) -> Result<T, ApiError> {
    serde_json::from_value(obj.clone()).map_err(|e| {
        ApiError::invalid(
            info,
            crate::object::name(obj),
            format!("cannot decode {}: {e}", info.kind),
        )
    })
}

fn encode<T: Serialize>(typed: &T, obj: &mut Value) -> Result<(), ApiError> {
    let mut out = serde_json::to_value(typed).map_err(|e| ApiError::internal(e.to_string()))?;
    // The typed form knows nothing of server-owned metadata it did not model; keep ours.
    if let (Some(meta), Some(out_meta)) = (obj.get("metadata").cloned(), out.get_mut("metadata")) {
        *out_meta = meta;
    }
    *obj = out;
    Ok(())
}

fn reject(
    info: &ResourceInfo,
    obj: &Value,
    violations: Vec<FieldViolation>,
) -> Result<(), ApiError> {
    if violations.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = violations.iter().map(|f| f.to_string()).collect();
    let message = if lines.len() == 1 {
        lines[0].clone()
    } else {
        format!("[{}]", lines.join(", "))
    };
    let name = crate::object::name(obj);
    let causes: Vec<Value> = violations
        .iter()
        .map(|f| json!({"reason": f.kind.reason(), "message": format!("{}: {}", f.kind.as_str(), f.message), "field": f.field}))
        .collect();
    Err(ApiError::new(
        422,
        "Invalid",
        format!("{} \"{name}\" is invalid: {message}", info.qualified_kind()),
    )
    .with_details(json!({"name": name, "group": info.group, "kind": info.kind, "causes": causes})))
}

fn ensure_permanent_id(obj: &mut Value, label: &str) {
    let meta = crate::object::meta_mut(obj);
    let labels = meta.entry("labels").or_insert_with(|| json!({}));
    if let Some(map) = labels.as_object_mut()
        && !map.contains_key(label)
    {
        map.insert(label.to_string(), json!(crate::object::new_uid()));
    }
}

/// Rewrite accepted alternative spellings to the canonical field names before anything else
/// looks at the object: `staticClusterWeight` (as one widely read article spells it) is
/// Karmada's `staticWeightList`.
pub fn canonicalize(info: &ResourceInfo, obj: &mut Value) {
    if !matches!(
        info.kind.as_str(),
        "PropagationPolicy" | "ClusterPropagationPolicy"
    ) {
        return;
    }
    let mut placements: Vec<&mut Value> = Vec::new();
    if let Some(p) = obj.pointer_mut("/spec/placement") {
        placements.push(p);
    }
    for placement in placements {
        if let Some(wp) = placement
            .pointer_mut("/replicaScheduling/weightPreference")
            .and_then(|w| w.as_object_mut())
            && let Some(list) = wp.remove("staticClusterWeight")
        {
            wp.entry("staticWeightList").or_insert(list);
        }
    }
}

/// Default and validate a Karmada object about to be stored (`old` on update).
pub fn admit(info: &ResourceInfo, old: Option<&Value>, obj: &mut Value) -> Result<(), ApiError> {
    let creating = old.is_none();
    match info.kind.as_str() {
        "PropagationPolicy" => {
            let mut p: PropagationPolicy = decode(info, obj)?;
            v::default_propagation_policy(&mut p);
            let mut violations = v::validate_propagation_policy(&p);
            if let Some(old) = old {
                let previous: PropagationPolicy = decode(info, old)?;
                violations.extend(v::validate_propagation_policy_update(&p, &previous));
            }
            reject(info, obj, violations)?;
            encode(&p, obj)?;
            if creating {
                ensure_permanent_id(obj, labels::PROPAGATION_POLICY_PERMANENT_ID);
            }
        }
        "ClusterPropagationPolicy" => {
            let mut p: ClusterPropagationPolicy = decode(info, obj)?;
            v::default_cluster_propagation_policy(&mut p);
            let mut violations = v::validate_cluster_propagation_policy(&p);
            if let Some(old) = old {
                let previous: ClusterPropagationPolicy = decode(info, old)?;
                violations.extend(v::validate_cluster_propagation_policy_update(&p, &previous));
            }
            reject(info, obj, violations)?;
            encode(&p, obj)?;
            if creating {
                ensure_permanent_id(obj, labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID);
            }
        }
        "OverridePolicy" => {
            let mut p: OverridePolicy = decode(info, obj)?;
            v::default_override_policy(&mut p);
            reject(info, obj, v::validate_override_policy(&p))?;
            encode(&p, obj)?;
        }
        "ClusterOverridePolicy" => {
            let mut p: ClusterOverridePolicy = decode(info, obj)?;
            v::default_cluster_override_policy(&mut p);
            reject(info, obj, v::validate_cluster_override_policy(&p))?;
            encode(&p, obj)?;
        }
        "ClusterTaintPolicy" => {
            let p: ClusterTaintPolicy = decode(info, obj)?;
            // Karmada's webhook refuses NoExecute taint policies unless told otherwise;
            // Flotilla's failover is on by default, so it allows them.
            reject(info, obj, v::validate_cluster_taint_policy(&p, true))?;
        }
        "ResourceBinding" => {
            let mut b: ResourceBinding = decode(info, obj)?;
            v::default_binding_spec(&mut b.spec);
            encode(&b, obj)?;
            if creating {
                ensure_permanent_id(obj, labels::RESOURCE_BINDING_PERMANENT_ID);
            }
        }
        "ClusterResourceBinding" => {
            let mut b: ClusterResourceBinding = decode(info, obj)?;
            v::default_binding_spec(&mut b.spec);
            encode(&b, obj)?;
            if creating {
                ensure_permanent_id(obj, labels::CLUSTER_RESOURCE_BINDING_PERMANENT_ID);
            }
        }
        "Work" => {
            let _: Work = decode(info, obj)?;
            if creating {
                ensure_permanent_id(obj, labels::WORK_PERMANENT_ID);
            }
        }
        "Cluster" => {
            let c: Cluster = decode(info, obj)?;
            reject(info, obj, v::validate_cluster(&c))?;
        }
        _ => {}
    }
    Ok(())
}
