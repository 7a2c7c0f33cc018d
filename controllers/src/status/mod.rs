//! Status aggregation: Work status → binding aggregatedStatus and FullyApplied → template `.status`.
