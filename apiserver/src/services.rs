//! What kube-apiserver's Service registry does beyond defaulting: allocating cluster IPs from
//! the service range and node ports from 30000–32767, and keeping them across updates that do
//! not mention them.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use serde_json::{Value, json};

use crate::cache::WatchCache;
use crate::error::ApiError;

/// The service range: 10.96.0.0/16 (10.96.0.1 is left for a `kubernetes` Service, as kubeadm does).
const RANGE_BASE: u32 = u32::from_be_bytes([10, 96, 0, 0]);
const RANGE_SIZE: u32 = 1 << 16;
const NODE_PORTS: std::ops::RangeInclusive<i64> = 30000..=32767;

fn used(cache: &WatchCache) -> (HashSet<String>, HashSet<i64>) {
    let (services, _) = cache.list("/registry/core/services/", None);
    let mut ips = HashSet::new();
    let mut ports = HashSet::new();
    for s in services.iter() {
        if let Some(list) = s
            .object
            .pointer("/spec/clusterIPs")
            .and_then(|v| v.as_array())
        {
            ips.extend(list.iter().filter_map(|v| v.as_str().map(String::from)));
        }
        if let Some(ip) = s.object.pointer("/spec/clusterIP").and_then(|v| v.as_str()) {
            ips.insert(ip.to_string());
        }
        if let Some(list) = s.object.pointer("/spec/ports").and_then(|v| v.as_array()) {
            ports.extend(
                list.iter()
                    .filter_map(|p| p.get("nodePort").and_then(|n| n.as_i64())),
            );
        }
    }
    (ips, ports)
}

fn random_u32() -> u32 {
    let b = uuid::Uuid::new_v4().into_bytes();
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Allocate what a new Service needs.
pub fn allocate(cache: &WatchCache, obj: &mut Value) -> Result<(), ApiError> {
    let Some(spec) = obj.get_mut("spec").and_then(|s| s.as_object_mut()) else {
        return Ok(());
    };
    let type_ = spec
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("ClusterIP")
        .to_string();
    if type_ == "ExternalName" {
        return Ok(());
    }
    let (used_ips, used_ports) = used(cache);
    let cluster_ip = spec
        .get("clusterIP")
        .and_then(|c| c.as_str())
        .unwrap_or("")
        .to_string();
    if cluster_ip.is_empty() {
        let start = random_u32() % RANGE_SIZE;
        let ip = (0..RANGE_SIZE)
            .map(|i| (start + i) % RANGE_SIZE)
            .filter(|offset| *offset > 1 && *offset < RANGE_SIZE - 1)
            .map(|offset| Ipv4Addr::from(RANGE_BASE + offset).to_string())
            .find(|ip| !used_ips.contains(ip))
            .ok_or_else(|| ApiError::internal("failed to allocate a service IP: range is full"))?;
        spec.insert("clusterIP".into(), json!(ip));
        spec.insert("clusterIPs".into(), json!([ip]));
    } else if !spec.contains_key("clusterIPs") {
        spec.insert("clusterIPs".into(), json!([cluster_ip]));
    }
    if matches!(type_.as_str(), "NodePort" | "LoadBalancer") {
        let mut taken = used_ports;
        if let Some(ports) = spec.get_mut("ports").and_then(|p| p.as_array_mut()) {
            for port in ports.iter_mut() {
                if port
                    .get("nodePort")
                    .and_then(|n| n.as_i64())
                    .is_some_and(|n| n != 0)
                {
                    continue;
                }
                let span = (NODE_PORTS.end() - NODE_PORTS.start() + 1) as u32;
                let start = random_u32() % span;
                let chosen = (0..span)
                    .map(|i| NODE_PORTS.start() + ((start + i) % span) as i64)
                    .find(|p| !taken.contains(p))
                    .ok_or_else(|| {
                        ApiError::internal("failed to allocate a node port: range is full")
                    })?;
                taken.insert(chosen);
                port["nodePort"] = json!(chosen);
            }
        }
    }
    Ok(())
}

/// An update that leaves out allocated values keeps them (kube's `patchAllocatedValues`).
pub fn keep_allocated(old: &Value, new: &mut Value) {
    let Some(spec) = new.get_mut("spec").and_then(|s| s.as_object_mut()) else {
        return;
    };
    for field in ["clusterIP", "clusterIPs"] {
        let missing = spec.get(field).is_none_or(|v| v.is_null() || v == "");
        if missing && let Some(v) = old.pointer(&format!("/spec/{field}")) {
            spec.insert(field.into(), v.clone());
        }
    }
    let old_ports = old
        .pointer("/spec/ports")
        .and_then(|p| p.as_array())
        .cloned()
        .unwrap_or_default();
    if let Some(ports) = spec.get_mut("ports").and_then(|p| p.as_array_mut()) {
        for port in ports.iter_mut() {
            if port.get("nodePort").is_some_and(|n| !n.is_null()) {
                continue;
            }
            let same = old_ports.iter().find(|o| {
                o.get("port") == port.get("port")
                    && o.get("protocol").unwrap_or(&json!("TCP"))
                        == port.get("protocol").unwrap_or(&json!("TCP"))
            });
            if let Some(node_port) = same.and_then(|o| o.get("nodePort")) {
                port["nodePort"] = node_port.clone();
            }
        }
    }
}
