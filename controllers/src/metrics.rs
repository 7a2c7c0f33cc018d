//! The controller-manager's Prometheus metrics, exposed in the text format by
//! [`Metrics::encode`] (served on `/metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Labels of a per-cluster metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClusterLabels {
    pub cluster: String,
}

/// Labels of a per-cluster, per-result metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClusterResultLabels {
    pub cluster: String,
    pub result: String,
}

/// Every metric the controllers keep.
pub struct Metrics {
    registry: Registry,
    /// Managed member objects found changed or deleted behind Flotilla's back and put back.
    pub drift_corrections: Family<ClusterLabels, Counter>,
    /// Work manifests applied to members, by result (`success`, `conflict`, `error`).
    pub work_applies: Family<ClusterResultLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("flotilla");
        let drift_corrections = Family::<ClusterLabels, Counter>::default();
        registry.register(
            "drift_corrections",
            "Managed member objects that were changed or deleted in the member and restored",
            drift_corrections.clone(),
        );
        let work_applies = Family::<ClusterResultLabels, Counter>::default();
        registry.register(
            "work_applies",
            "Work manifests applied to member clusters, by result",
            work_applies.clone(),
        );
        Metrics {
            registry,
            drift_corrections,
            work_applies,
        }
    }
}

impl Metrics {
    /// All metrics in the Prometheus text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// How often drift was corrected in `cluster` so far.
    pub fn drift_count(&self, cluster: &str) -> u64 {
        self.drift_corrections
            .get_or_create(&ClusterLabels {
                cluster: cluster.to_owned(),
            })
            .get()
    }
}
