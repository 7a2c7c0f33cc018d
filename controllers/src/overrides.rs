//! Override policies: OverridePolicy and ClusterOverridePolicy applied to a manifest for one cluster, in Karmada's order, with every overrider.
