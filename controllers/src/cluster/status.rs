//! The `clusterStatus` controller (Karmada's `pkg/controllers/status/cluster_status_controller.go`):
//! it probes every Push-mode member and writes what it found into the Cluster's status — the
//! `Ready` condition, `kubernetesVersion`, `apiEnablements` with the `CompleteAPIEnablements`
//! condition, `nodeSummary` and `resourceSummary` (the scheduler's input for dynamic weights and
//! replica estimation). Pull-mode clusters report their own status and are skipped.
//!
//! # A sync
//!
//! 1. A client is built from the Cluster and its Secret ([`MemberClients`](crate::members)).
//! 2. `GET /readyz` (`/healthz` if the member has no readyz), bounded by
//!    [`ClusterStatusOptions::probe_timeout`], gives a [`Probe`]; [`HealthState`] turns it into
//!    the `Ready` condition to publish, holding a Ready cluster Ready until failures have lasted
//!    [`ClusterStatusOptions::failure_threshold`].
//! 3. Only when the member answered healthy: `GET /version` (`kubernetesVersion` = gitVersion),
//!    discovery (aggregated discovery, two requests, falling back to per-group lists), and the
//!    node and resource summaries from the member's Nodes and Pods, which watchers keep in memory
//!    (the private `member_cache` module). Watchers just started for a member are given up
//!    to the probe timeout to list everything, so its first status has its capacity; if they
//!    take longer the sync goes without summaries and another is queued the moment they are
//!    filled. A step that fails keeps the previous value and logs why.
//! 4. The status is written through the `clusters/status` subresource, and only when it differs
//!    from the stored one. Conditions change their `lastTransitionTime` only when their status
//!    changes, so an unchanged member causes no write at all.
//!
//! # Scheduling of syncs
//!
//! Every [`ClusterStatusOptions::period`] all clusters are queued; a new Cluster, a spec change
//! and a filled member cache queue one at once. `workers` tasks ([`ClusterStatusOptions::queue`])
//! serve the queue, so members are probed concurrently but never more than that many at a time,
//! and a cluster is never synced twice at once; a slow or dead member holds one worker for at
//! most a few probe timeouts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use flotilla_api::Cluster;
use flotilla_api::cluster::v1alpha1::{
    ApiEnablement, CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS, CLUSTER_CONDITION_READY,
    ClusterStatus, ClusterSyncMode, NodeSummary, ResourceSummary,
};
use flotilla_runtime::{QueueOptions, WorkQueue, spawn_workers};
use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIResourceList, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, client::Body};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{Instrument, debug, info, info_span, warn};

use super::health::{ConditionState, HealthState, Probe, ready_condition, set_condition};
use super::member_cache::{CacheHandle, Connection, MemberCache, Snapshot};
use super::summary;
use super::{Error, is_conflict};
use crate::context::Context;
use crate::members::MemberError;

/// The controller's name, as used in logs and by the controller-manager.
pub const NAME: &str = "clusterStatus";

/// `CompleteAPIEnablements` reasons (Karmada's).
const REASON_APIS_COMPLETE: &str = "Complete";
const REASON_APIS_PARTIAL: &str = "Partial";
const REASON_APIS_EMPTY: &str = "Empty";

/// How the cluster status controller runs.
#[derive(Debug, Clone)]
pub struct ClusterStatusOptions {
    /// How often every member is probed (Karmada's `--cluster-status-update-frequency`).
    pub period: Duration,
    /// How long probes of a Ready member must keep failing before it is published not Ready
    /// (Karmada's `--cluster-failure-threshold`).
    pub failure_threshold: Duration,
    /// The longest wait for one request to a member (readyz, version, discovery).
    pub probe_timeout: Duration,
    /// Members synced concurrently, and the backoff of failed syncs.
    pub queue: QueueOptions,
}

impl Default for ClusterStatusOptions {
    fn default() -> Self {
        ClusterStatusOptions {
            period: Duration::from_secs(10),
            failure_threshold: Duration::from_secs(30),
            probe_timeout: Duration::from_secs(5),
            queue: QueueOptions {
                workers: 20,
                retry_base: Duration::from_millis(200),
                retry_max: Duration::from_secs(30),
            },
        }
    }
}

impl ClusterStatusOptions {
    /// Checks the options.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason: &str| Err(Error::InvalidOptions(reason.to_owned()));
        if let Err(reason) = self.queue.validate() {
            return invalid(&format!("cluster status {reason}"));
        }
        if self.period.is_zero() {
            return invalid("cluster status period must be positive");
        }
        if self.probe_timeout.is_zero() {
            return invalid("probe timeout must be positive");
        }
        Ok(())
    }
}

/// What the controller keeps per member between syncs.
struct Member {
    /// The Cluster's UID: a Cluster re-created under the same name starts afresh.
    uid: String,
    health: HealthState,
    cache: Option<MemberCache>,
}

struct Ctl {
    ctx: Context,
    opts: ClusterStatusOptions,
    clusters: Store<Cluster>,
    queue: Arc<WorkQueue<String>>,
    members: Mutex<HashMap<String, Member>>,
}

impl Ctl {
    fn members(&self) -> MutexGuard<'_, HashMap<String, Member>> {
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs the cluster status controller until `ctx.shutdown` is cancelled.
pub async fn run(ctx: Context, opts: ClusterStatusOptions) -> Result<(), Error> {
    opts.validate()?;
    let (clusters, writer) = reflector::store::<Cluster>();
    let workers = opts.queue.workers;
    let ctl = Arc::new(Ctl {
        queue: opts.queue.queue(),
        ctx,
        opts,
        clusters,
        members: Mutex::new(HashMap::new()),
    });
    info!(controller = NAME, workers, period = ?ctl.opts.period, "starting the cluster status controller");
    let mut background = JoinSet::new();
    background.spawn(watch_clusters(Arc::clone(&ctl), writer));

    let shutdown = ctl.ctx.shutdown.clone();
    let mut pool = JoinSet::new();
    tokio::select! {
        _ = shutdown.cancelled() => {}
        _ = ctl.clusters.wait_until_ready() => {
            background.spawn(tick(Arc::clone(&ctl)));
            spawn_workers(&mut pool, workers, &ctl.queue, &ctl, sync_key, log_failure);
            shutdown.cancelled().await;
        }
    }
    info!(controller = NAME, "stopping the cluster status controller");
    ctl.queue.shut_down();
    background.abort_all();
    // A sync may be waiting on a member that does not answer; stopping it loses nothing (the
    // next run probes again).
    pool.abort_all();
    while pool.join_next().await.is_some() {}
    ctl.members().clear();
    Ok(())
}

async fn watch_clusters(ctl: Arc<Ctl>, writer: Writer<Cluster>) {
    let api: Api<Cluster> = Api::all(ctl.ctx.client.clone());
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .boxed();
    // The generation each cluster was last queued for: status writes (ours) do not change it,
    // so they do not cause another sync.
    let mut generations: HashMap<String, Option<i64>> = HashMap::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Apply(c) | watcher::Event::InitApply(c)) => {
                let name = c.metadata.name.clone().unwrap_or_default();
                if generations.insert(name.clone(), c.metadata.generation)
                    != Some(c.metadata.generation)
                {
                    ctl.queue.add(name);
                }
            }
            Ok(watcher::Event::Delete(c)) => {
                let name = c.metadata.name.clone().unwrap_or_default();
                generations.remove(&name);
                // Stops the member's watchers.
                ctl.members().remove(&name);
            }
            Ok(_) => {}
            Err(err) => warn!(controller = NAME, error = %err, "cluster watch failed"),
        }
    }
}

/// Queues every cluster each period.
async fn tick(ctl: Arc<Ctl>) {
    let mut tick = tokio::time::interval(ctl.opts.period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for cluster in ctl.clusters.state() {
            ctl.queue
                .add(cluster.metadata.name.clone().unwrap_or_default());
        }
    }
}

/// Syncs a cluster taken from the queue, in its own span.
async fn sync_key(ctl: Arc<Ctl>, name: String) -> Result<(), Error> {
    let span = info_span!("sync", controller = NAME, cluster = %name);
    sync(&ctl, &name).instrument(span).await
}

/// Logs a failed sync: conflicts (a stale cache) are routine.
fn log_failure(name: &String, err: &Error, retry_in: Option<Duration>) {
    if err.is_conflict() {
        debug!(cluster = %name, error = %err, ?retry_in, "stale cluster; retrying");
    } else {
        warn!(cluster = %name, error = %err, ?retry_in, "cluster status sync failed");
    }
}

/// What a sync learnt beyond the `Ready` condition; `None` fields keep the stored value.
#[derive(Debug, Default)]
struct Details {
    version: Option<String>,
    api_enablements: Option<(Vec<ApiEnablement>, ConditionState)>,
    node_summary: Option<NodeSummary>,
    resource_summary: Option<ResourceSummary>,
}

async fn sync(ctl: &Arc<Ctl>, name: &str) -> Result<(), Error> {
    let Some(cluster) = ctl.clusters.get(&ObjectRef::new(name)) else {
        ctl.members().remove(name);
        return Ok(());
    };
    if cluster.spec.sync_mode == Some(ClusterSyncMode::Pull) {
        // karmada-agent reports a Pull cluster's status from inside it.
        ctl.members().remove(name);
        return Ok(());
    }
    let timeout = ctl.opts.probe_timeout;
    let (probe, client) = match ctl.ctx.members.client(&cluster).await {
        Ok(client) => (probe_health(&client, timeout).await, Some(client)),
        Err(err) => (
            Probe::NoClient {
                error: member_error_message(&err),
            },
            None,
        ),
    };
    let current = cluster
        .status
        .as_ref()
        .and_then(|s| ready_condition(&s.conditions))
        .map(ConditionState::of);
    let observed = ConditionState::observed(&probe);
    let uid = cluster.metadata.uid.clone().unwrap_or_default();
    let connection = Connection::of(&cluster);
    let (ready, damping, cache) = {
        let mut members = ctl.members();
        let member = members.entry(name.to_owned()).or_insert_with(|| Member {
            uid: uid.clone(),
            health: HealthState::default(),
            cache: None,
        });
        if member.uid != uid {
            *member = Member {
                uid: uid.clone(),
                health: HealthState::default(),
                cache: None,
            };
        }
        let was_damping = member.health.is_damping();
        let ready = member.health.publish(
            current.as_ref(),
            observed,
            Instant::now(),
            ctl.opts.failure_threshold,
        );
        let damping = member.health.is_damping() && !was_damping;
        let mut cache = None;
        match (&probe, &client) {
            (Probe::Healthy, Some(client)) => {
                if !member
                    .cache
                    .as_ref()
                    .is_some_and(|c| c.usable_for(&connection))
                {
                    let queue = Arc::clone(&ctl.queue);
                    let key = name.to_owned();
                    member.cache = Some(MemberCache::start(
                        name,
                        connection,
                        client.clone(),
                        Arc::new(move || queue.add(key.clone())),
                    ));
                }
                cache = member.cache.as_ref().map(MemberCache::handle);
            }
            // Like Karmada stopping a member's informers while it is offline.
            _ => member.cache = None,
        }
        (ready, damping, cache)
    };

    match &probe {
        Probe::Healthy => {}
        Probe::Unreachable { error } if damping => info!(
            cluster = %name,
            error = %error,
            threshold = ?ctl.opts.failure_threshold,
            "member did not answer; it stays Ready unless this lasts the failure threshold"
        ),
        Probe::Unreachable { error } => {
            debug!(cluster = %name, error = %error, "member did not answer")
        }
        Probe::Unhealthy { status } => {
            debug!(cluster = %name, status, "member health endpoint is not ok")
        }
        Probe::NoClient { error } => {
            debug!(cluster = %name, error = %error, "no client for the member")
        }
    }
    if current.as_ref() != Some(&ready) {
        let status = ready.status.as_str();
        let reason = ready.reason.as_str();
        if ready.is_true() {
            info!(cluster = %name, status, reason, "cluster is Ready");
        } else {
            warn!(cluster = %name, status, reason, message = %ready.message, "cluster is not Ready");
        }
    }

    let details = match (&probe, &client) {
        (Probe::Healthy, Some(client)) => Some(collect(name, client, timeout, cache).await),
        _ => None,
    };
    write_status(ctl, &cluster, &ready, details.as_ref()).await
}

/// A member error for a condition message: an API error by its message alone (kube's display
/// of it repeats the whole Status).
fn member_error_message(err: &MemberError) -> String {
    match err {
        MemberError::Secret {
            cluster: _,
            secret,
            source: kube::Error::Api(status),
        } => format!(
            "cannot read the credentials Secret {secret}: {}",
            status.message
        ),
        other => other.to_string(),
    }
}

/// `GET /readyz`, or `/healthz` where there is no readyz.
async fn probe_health(client: &Client, timeout: Duration) -> Probe {
    let outcome = match status_of(client, "/readyz", timeout).await {
        Ok(404) => status_of(client, "/healthz", timeout).await,
        other => other,
    };
    match outcome {
        Ok(200) => Probe::Healthy,
        Ok(status) => Probe::Unhealthy { status },
        Err(error) => Probe::Unreachable { error },
    }
}

async fn status_of(client: &Client, path: &str, timeout: Duration) -> Result<u16, String> {
    let request = http::Request::get(path)
        .body(Body::from(Vec::new()))
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(timeout, client.send(request)).await {
        Ok(Ok(response)) => Ok(response.status().as_u16()),
        Ok(Err(err)) => Err(error_chain(&err)),
        Err(_) => Err(format!("no answer to GET {path} within {timeout:?}")),
    }
}

/// An error with its causes (`client error (Connect): tcp connect error: Connection refused`):
/// kube's own message for a connection failure leaves out the part that says what happened.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

async fn bounded<T>(
    timeout: Duration,
    what: &str,
    request: impl Future<Output = kube::Result<T>>,
) -> Result<T, String> {
    match tokio::time::timeout(timeout, request).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(err)) => Err(format!("{what}: {}", error_chain(&err))),
        Err(_) => Err(format!("{what}: no answer within {timeout:?}")),
    }
}

/// Version, APIs and summaries of a healthy member.
async fn collect(
    cluster: &str,
    client: &Client,
    timeout: Duration,
    cache: Option<CacheHandle>,
) -> Details {
    let snapshot = async {
        match &cache {
            Some(cache) => cache.snapshot(timeout).await,
            None => None,
        }
    };
    let (version, apis, snapshot) = tokio::join!(
        bounded(timeout, "GET /version", client.apiserver_version()),
        discover(client, timeout),
        snapshot
    );
    let version = match version {
        Ok(info) => Some(info.git_version),
        Err(err) => {
            warn!(cluster, error = %err, "failed to read the member's version");
            None
        }
    };
    let (enablements, errors) = apis;
    let condition = if enablements.is_empty() {
        ConditionState::new(
            false,
            REASON_APIS_EMPTY,
            "no API enablements could be collected from the cluster",
        )
    } else if !errors.is_empty() {
        ConditionState::new(
            false,
            REASON_APIS_PARTIAL,
            format!(
                "collected API enablements of {} group versions; others could not be read",
                enablements.len()
            ),
        )
    } else {
        ConditionState::new(
            true,
            REASON_APIS_COMPLETE,
            "collected the complete API enablements from the cluster",
        )
    };
    if !errors.is_empty() {
        warn!(cluster, errors = ?errors, "member discovery was incomplete");
    }
    let (node_summary, resource_summary) = match snapshot {
        Some(Snapshot { nodes, pods }) => (
            Some(summary::node_summary(nodes.iter().map(AsRef::as_ref))),
            Some(summary::resource_summary(
                nodes.iter().map(AsRef::as_ref),
                pods.iter().map(AsRef::as_ref),
            )),
        ),
        None => {
            debug!(cluster, "member caches not filled yet; summaries follow");
            (None, None)
        }
    };
    Details {
        version,
        api_enablements: Some((enablements, condition)),
        node_summary,
        resource_summary,
    }
}

/// The member's APIs and the errors met reading them (empty when complete).
async fn discover(client: &Client, timeout: Duration) -> (Vec<ApiEnablement>, Vec<String>) {
    // Aggregated discovery: everything in two requests. A server without it answers with the
    // plain documents, which decode as empty lists; the core group is never empty, so an empty
    // answer for /api means "not supported".
    let core = bounded(
        timeout,
        "GET /api (aggregated)",
        client.list_core_api_versions_aggregated(),
    )
    .await;
    if let Ok(core) = core
        && !core.items.is_empty()
    {
        let mut errors = Vec::new();
        let apis = match bounded(
            timeout,
            "GET /apis (aggregated)",
            client.list_api_groups_aggregated(),
        )
        .await
        {
            Ok(apis) => Some(apis),
            Err(err) => {
                errors.push(err);
                None
            }
        };
        for group in core
            .items
            .iter()
            .chain(apis.iter().flat_map(|a| a.items.iter()))
        {
            for version in &group.versions {
                if version.freshness.as_deref() == Some("Stale") {
                    let group = group
                        .metadata
                        .as_ref()
                        .and_then(|m| m.name.clone())
                        .unwrap_or_default();
                    errors.push(format!(
                        "{} is stale",
                        summary::group_version(
                            &group,
                            version.version.as_deref().unwrap_or_default()
                        )
                    ));
                }
            }
        }
        let enablements =
            summary::api_enablements_from_aggregated(std::iter::once(&core).chain(apis.as_ref()));
        return (enablements, errors);
    }
    legacy_discover(client, timeout).await
}

/// Discovery one group/version at a time, for members without aggregated discovery.
async fn legacy_discover(client: &Client, timeout: Duration) -> (Vec<ApiEnablement>, Vec<String>) {
    let mut errors = Vec::new();
    let mut group_versions: Vec<(bool, String)> = Vec::new();
    match bounded(timeout, "GET /api", client.list_core_api_versions()).await {
        Ok(core) => group_versions.extend(core.versions.into_iter().map(|v| (true, v))),
        Err(err) => errors.push(err),
    }
    match bounded(timeout, "GET /apis", client.list_api_groups()).await {
        Ok(groups) => group_versions.extend(
            groups
                .groups
                .into_iter()
                .flat_map(|g| g.versions.into_iter().map(|v| (false, v.group_version))),
        ),
        Err(err) => errors.push(err),
    }
    let lists = futures::stream::iter(group_versions)
        .map(|(core, gv)| async move {
            let what = format!("GET resources of {gv}");
            if core {
                bounded(timeout, &what, client.list_core_api_resources(&gv)).await
            } else {
                bounded(timeout, &what, client.list_api_group_resources(&gv)).await
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<Result<APIResourceList, String>>>()
        .await;
    let mut found = Vec::new();
    for list in lists {
        match list {
            Ok(list) => found.push(list),
            Err(err) => errors.push(err),
        }
    }
    (summary::api_enablements_from_lists(found), errors)
}

/// The status with this sync's findings merged in: the `Ready` condition always, the rest
/// where the sync learnt it. Other writers' conditions are kept.
fn merged_status(
    current: Option<&ClusterStatus>,
    ready: &ConditionState,
    details: Option<&Details>,
    now: &Time,
) -> ClusterStatus {
    let mut status = current.cloned().unwrap_or_default();
    set_condition(&mut status.conditions, CLUSTER_CONDITION_READY, ready, now);
    let Some(details) = details else {
        return status;
    };
    if let Some(version) = &details.version {
        status.kubernetes_version = Some(version.clone());
    }
    if let Some((enablements, condition)) = &details.api_enablements {
        // An empty answer is a failed discovery, not a cluster without APIs: keep the last
        // list (the condition says it is not current) rather than make the cluster look like it
        // serves nothing.
        if !enablements.is_empty() {
            status.api_enablements = enablements.clone();
        }
        set_condition(
            &mut status.conditions,
            CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS,
            condition,
            now,
        );
    }
    if let Some(nodes) = &details.node_summary {
        status.node_summary = Some(nodes.clone());
    }
    if let Some(resources) = &details.resource_summary {
        status.resource_summary = Some(resources.clone());
    }
    status
}

/// Writes the merged status through `clusters/status` if it differs from the stored one;
/// redone on a fresh copy after a conflict.
async fn write_status(
    ctl: &Ctl,
    cluster: &Cluster,
    ready: &ConditionState,
    details: Option<&Details>,
) -> Result<(), Error> {
    let name = cluster.metadata.name.as_deref().unwrap_or_default();
    let api: Api<Cluster> = Api::all(ctl.ctx.client.clone());
    let now = Time(Timestamp::now());
    let mut cluster = cluster.clone();
    for attempt in 0..3 {
        let status = merged_status(cluster.status.as_ref(), ready, details, &now);
        if cluster.status.as_ref() == Some(&status) {
            return Ok(());
        }
        cluster.status = Some(status);
        match api
            .replace_status(name, &PostParams::default(), &cluster)
            .await
        {
            Ok(_) => {
                debug!(cluster = %name, "cluster status written");
                return Ok(());
            }
            Err(err) if is_conflict(&err) && attempt < 2 => {
                cluster = api
                    .get(name)
                    .await
                    .map_err(Error::api(format!("read Cluster {name}")))?;
            }
            Err(err) => {
                return Err(Error::api(format!("write the status of Cluster {name}"))(
                    err,
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::health::{REASON_NOT_REACHABLE, REASON_READY};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    fn time(secs: i64) -> Time {
        Time(Timestamp::from_second(secs).unwrap())
    }

    fn healthy() -> ConditionState {
        ConditionState::observed(&Probe::Healthy)
    }

    fn details() -> Details {
        Details {
            version: Some("v1.33.0".into()),
            api_enablements: Some((
                vec![ApiEnablement {
                    group_version: "v1".into(),
                    resources: vec![],
                }],
                ConditionState::new(true, REASON_APIS_COMPLETE, "complete"),
            )),
            node_summary: Some(NodeSummary {
                total_num: Some(1),
                ready_num: Some(1),
            }),
            resource_summary: Some(ResourceSummary {
                allocatable: [("cpu".to_owned(), Quantity("4".into()))].into(),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn an_unchanged_member_merges_to_the_same_status() {
        let first = merged_status(None, &healthy(), Some(&details()), &time(1));
        let again = merged_status(Some(&first), &healthy(), Some(&details()), &time(2));
        assert_eq!(
            first, again,
            "a later sync with the same findings writes nothing"
        );
        assert_eq!(first.kubernetes_version.as_deref(), Some("v1.33.0"));
        assert_eq!(first.conditions.len(), 2);
    }

    #[test]
    fn an_unreachable_member_keeps_its_last_details() {
        let first = merged_status(None, &healthy(), Some(&details()), &time(1));
        let down = ConditionState::observed(&Probe::Unreachable {
            error: "refused".into(),
        });
        let second = merged_status(Some(&first), &down, None, &time(2));
        let ready = ready_condition(&second.conditions).unwrap();
        assert_eq!(ready.reason, REASON_NOT_REACHABLE);
        assert_eq!(ready.last_transition_time, time(2));
        assert_eq!(second.node_summary, first.node_summary);
        assert_eq!(second.resource_summary, first.resource_summary);
        let back = merged_status(Some(&second), &healthy(), Some(&details()), &time(3));
        let ready = ready_condition(&back.conditions).unwrap();
        assert_eq!(ready.reason, REASON_READY);
        assert_eq!(ready.last_transition_time, time(3));
    }

    #[test]
    fn failed_discovery_keeps_the_last_api_list() {
        let first = merged_status(None, &healthy(), Some(&details()), &time(1));
        let failed = Details {
            api_enablements: Some((
                vec![],
                ConditionState::new(false, REASON_APIS_EMPTY, "none"),
            )),
            ..Default::default()
        };
        let second = merged_status(Some(&first), &healthy(), Some(&failed), &time(2));
        assert_eq!(second.api_enablements, first.api_enablements);
        let complete = second
            .conditions
            .iter()
            .find(|c| c.type_ == CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS)
            .unwrap();
        assert_eq!(complete.status, "False");
        assert_eq!(complete.reason, REASON_APIS_EMPTY);
        // What the sync did not learn stays as it was.
        assert_eq!(second.kubernetes_version, first.kubernetes_version);
        assert_eq!(second.node_summary, first.node_summary);
    }

    #[test]
    fn other_conditions_are_kept() {
        let mut current = ClusterStatus::default();
        current
            .conditions
            .push(k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition {
                type_: "Remedied".into(),
                status: "True".into(),
                reason: "x".into(),
                message: String::new(),
                last_transition_time: time(0),
                observed_generation: None,
            });
        let merged = merged_status(Some(&current), &healthy(), None, &time(1));
        assert_eq!(merged.conditions.len(), 2);
        assert_eq!(merged.conditions[0].type_, "Remedied");
    }

    #[test]
    fn error_messages_carry_their_causes() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("client error (Connect)")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused",
        ));
        assert_eq!(
            error_chain(&err),
            "client error (Connect): Connection refused"
        );
    }

    #[test]
    fn options_are_checked() {
        assert!(ClusterStatusOptions::default().validate().is_ok());
        for case in [
            ClusterStatusOptions {
                queue: QueueOptions {
                    workers: 0,
                    ..ClusterStatusOptions::default().queue
                },
                ..Default::default()
            },
            ClusterStatusOptions {
                period: Duration::ZERO,
                ..Default::default()
            },
            ClusterStatusOptions {
                probe_timeout: Duration::ZERO,
                ..Default::default()
            },
        ] {
            assert!(case.validate().is_err(), "{case:?}");
        }
    }
}
