//! Member clusters: execution namespaces, the cluster finalizer, health probes and status (Karmada's `cluster` and `clusterStatus` controllers), joining and unjoining.
