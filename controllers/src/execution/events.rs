//! Kubernetes events the execution controller records in the federation (core/v1 Events, which
//! `kubectl describe` lists under the object they regard).

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::Client;
use kube::api::{Api, PostParams};

/// The component named as the source of the events.
pub const COMPONENT: &str = "flotilla-execution-controller";

/// Records events through the federation's API.
#[derive(Clone)]
pub struct Recorder {
    client: Client,
}

impl Recorder {
    pub fn new(client: Client) -> Self {
        Recorder { client }
    }

    /// Records a Warning event about `regarding` (in its namespace, or `default` for a
    /// cluster-scoped object, as kubectl looks for them).
    pub async fn warning(
        &self,
        regarding: &ObjectReference,
        reason: &str,
        message: &str,
    ) -> Result<(), kube::Error> {
        let namespace = regarding
            .namespace
            .clone()
            .filter(|ns| !ns.is_empty())
            .unwrap_or_else(|| "default".to_owned());
        let now = k8s_openapi::jiff::Timestamp::now();
        let event = Event {
            metadata: ObjectMeta {
                // Unique per occurrence, like client-go's recorder: `<object>.<nanoseconds hex>`.
                name: Some(format!(
                    "{}.{:x}",
                    regarding.name.as_deref().unwrap_or("object"),
                    now.as_nanosecond()
                )),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            involved_object: regarding.clone(),
            reason: Some(reason.to_owned()),
            message: Some(message.to_owned()),
            type_: Some("Warning".to_owned()),
            source: Some(EventSource {
                component: Some(COMPONENT.to_owned()),
                host: None,
            }),
            reporting_component: Some(COMPONENT.to_owned()),
            reporting_instance: Some(COMPONENT.to_owned()),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            count: Some(1),
            ..Default::default()
        };
        Api::<Event>::namespaced(self.client.clone(), &namespace)
            .create(&PostParams::default(), &event)
            .await
            .map(|_| ())
    }
}
