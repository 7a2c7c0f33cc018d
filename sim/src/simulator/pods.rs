//! What the workload controllers share about pods: reading a pod's state (active, ready,
//! available), building a pod from a template with its controller reference, creating it on
//! the node the scheduler picks, deleting it, and the template hash kube names revisions with.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, PostParams, Preconditions};
use kube::{Resource, ResourceExt};
use tracing::debug;

use super::{FIELD_MANAGER, Sim};
use crate::Key;

/// The controller reference of an object, if any.
pub fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .as_ref()?
        .iter()
        .find(|r| r.controller == Some(true))
}

/// A controller reference to `owner`, as kube's controllers set it on what they create.
pub fn owner_ref<K: Resource<DynamicType = ()>>(owner: &K) -> OwnerReference {
    OwnerReference {
        api_version: K::api_version(&()).into_owned(),
        kind: K::kind(&()).into_owned(),
        name: owner.name_any(),
        uid: owner.uid().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

pub fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

pub fn is_terminal(pod: &Pod) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

pub fn is_deleting(meta: &ObjectMeta) -> bool {
    meta.deletion_timestamp.is_some()
}

/// Counted by its controller: neither finished nor being deleted.
pub fn is_active(pod: &Pod) -> bool {
    !is_terminal(pod) && !is_deleting(&pod.metadata)
}

/// When the pod became Ready, if it is.
pub fn ready_since(pod: &Pod) -> Option<Timestamp> {
    let c = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready" && c.status == "True")?;
    Some(
        c.last_transition_time
            .as_ref()
            .map(|t| t.0)
            .unwrap_or(Timestamp::UNIX_EPOCH),
    )
}

pub fn is_ready(pod: &Pod) -> bool {
    ready_since(pod).is_some()
}

pub fn is_running_and_ready(pod: &Pod) -> bool {
    phase(pod) == "Running" && is_ready(pod)
}

/// Whether the pod is available (Ready for `min_ready_seconds`); for a Ready pod that is not
/// yet, how long until it is.
pub fn availability(pod: &Pod, min_ready_seconds: i32, now: Timestamp) -> (bool, Option<Duration>) {
    let Some(since) = ready_since(pod) else {
        return (false, None);
    };
    if min_ready_seconds <= 0 {
        return (true, None);
    }
    let at = since.saturating_add(jiff::SignedDuration::from_secs(i64::from(
        min_ready_seconds,
    )));
    let Ok(at) = at else {
        return (true, None);
    };
    if at <= now {
        (true, None)
    } else {
        let left = now.duration_until(at).unsigned_abs();
        (false, Some(left + Duration::from_millis(100)))
    }
}

/// Order for scaling down, the pods to delete first coming first (kube's `ActivePods` ranking):
/// unscheduled, then pending, then not ready, then ready for less time, then newer.
pub fn sort_for_deletion(pods: &mut [Arc<Pod>]) {
    pods.sort_by_key(|p| {
        let scheduled = p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some();
        let phase_rank = match phase(p) {
            "Pending" => 0,
            "Unknown" => 1,
            _ => 2,
        };
        let ready = ready_since(p);
        (
            scheduled,
            phase_rank,
            ready.is_some(),
            Reverse(ready),
            Reverse(p.metadata.creation_timestamp.as_ref().map(|t| t.0)),
        )
    });
}

/// How a new pod is named.
pub enum Naming {
    /// `generateName`: the prefix plus a random suffix chosen by the API server.
    Generate(String),
    Fixed(String),
}

/// A pod from `template`, controlled by `owner`.
pub fn from_template(
    template: &PodTemplateSpec,
    namespace: &str,
    owner: OwnerReference,
    naming: Naming,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
) -> Pod {
    let tmeta = template.metadata.clone().unwrap_or_default();
    let mut all_labels = tmeta.labels.unwrap_or_default();
    all_labels.extend(labels);
    let mut all_annotations = tmeta.annotations.unwrap_or_default();
    all_annotations.extend(annotations);
    let (name, generate_name) = match naming {
        Naming::Generate(prefix) => (None, Some(prefix)),
        Naming::Fixed(name) => (Some(name), None),
    };
    Pod {
        metadata: ObjectMeta {
            name,
            generate_name,
            namespace: Some(namespace.to_owned()),
            labels: (!all_labels.is_empty()).then_some(all_labels),
            annotations: (!all_annotations.is_empty()).then_some(all_annotations),
            finalizers: tmeta.finalizers,
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        spec: template.spec.clone(),
        status: None,
    }
}

/// Creates `pod` for the controller with uid `owner`, bound to the node the scheduler chooses
/// (left Pending when none fits; the scheduler marks it). `tag` is remembered with the
/// expectation (what the pod is for). `Ok(None)` when it already exists.
pub async fn create(
    sim: &Sim,
    mut pod: Pod,
    owner: &str,
    tag: &str,
) -> Result<Option<Pod>, kube::Error> {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let token = match pod.spec.as_mut() {
        Some(spec) => {
            let placed = sim.state().ledger.place(spec, Some(owner));
            placed.map(|(node, token)| {
                spec.node_name = Some(node);
                token
            })
        }
        None => None,
    };
    let api: Api<Pod> = Api::namespaced(sim.client.clone(), &namespace);
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..Default::default()
    };
    match api.create(&params, &pod).await {
        Ok(created) => {
            let key = Key::new(&namespace, &created.name_any());
            let mut state = sim.state();
            if let Some(token) = token {
                state.ledger.confirm(token, &key);
            }
            state.expectations.expect_create(owner, &key.name, tag);
            debug!(pod = %key, node = ?created.spec.as_ref().and_then(|s| s.node_name.as_deref()), "created pod");
            Ok(Some(created))
        }
        Err(err) => {
            if let Some(token) = token {
                sim.state().ledger.forget(token);
            }
            if is_status(&err, 409) {
                return Ok(None);
            }
            Err(err)
        }
    }
}

/// Deletes `pod` (this very pod: a new one with the same name is left alone) on behalf of the
/// controller with uid `owner`.
pub async fn delete(sim: &Sim, pod: &Pod, owner: Option<&str>) -> Result<(), kube::Error> {
    let key = Key::of(pod);
    let api: Api<Pod> = Api::namespaced(sim.client.clone(), &key.namespace);
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: pod.uid(),
            resource_version: None,
        }),
        ..Default::default()
    };
    if let Some(owner) = owner {
        sim.state().expectations.expect_delete(owner, &key.name);
    }
    match api.delete(&key.name, &params).await {
        Ok(_) => {
            debug!(pod = %key, "deleted pod");
            Ok(())
        }
        Err(err) if is_status(&err, 404) || is_status(&err, 409) => {
            if let Some(owner) = owner {
                sim.state().expectations.observed(owner, &key.name, false);
            }
            Ok(())
        }
        Err(err) => {
            if let Some(owner) = owner {
                sim.state().expectations.observed(owner, &key.name, false);
            }
            Err(err)
        }
    }
}

/// Whether the API answered with HTTP status `code`.
pub fn is_status(err: &kube::Error, code: u16) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == code)
}

/// kube's pod-template-hash: a 32-bit FNV-1a hash of the template (and the collision count,
/// when there was a collision; absent and zero hash alike), its decimal digits spelled in the
/// alphabet of generated names.
pub fn template_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut bytes = serde_json::to_vec(template).unwrap_or_default();
    if let Some(n) = collision_count.filter(|n| *n != 0) {
        bytes.extend_from_slice(&n.to_le_bytes());
    }
    let mut hash: u32 = 0x811c_9dc5;
    for b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    safe_encode(&hash.to_string())
}

/// kube's `rand.SafeEncodeString`: no vowels, no look-alike characters.
fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes()
        .map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, PodSpec};

    fn template(image: &str) -> PodTemplateSpec {
        PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some([("app".to_owned(), "web".to_owned())].into()),
                ..Default::default()
            }),
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "web".into(),
                    image: Some(image.into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        }
    }

    #[test]
    fn template_hashes_are_stable_and_tell_templates_apart() {
        let a = template_hash(&template("nginx:1"), None);
        assert_eq!(a, template_hash(&template("nginx:1"), None));
        assert_ne!(a, template_hash(&template("nginx:2"), None));
        assert_ne!(a, template_hash(&template("nginx:1"), Some(1)));
        assert_eq!(a, template_hash(&template("nginx:1"), Some(0)));
        assert!(
            a.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)),
            "{a}"
        );
    }
}
