//! The binding controller: ResourceBinding / ClusterResourceBinding → one Work per target cluster.
