//! Resource templates as the binding controller reads them: one reflector cache per template
//! kind, started the first time a binding refers to the kind (discovery maps the binding's
//! apiVersion and kind to the resource), so rendering a Work never costs a GET.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use futures::StreamExt;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::discovery::Scope;
use kube::runtime::reflector::{ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;
use tracing::{debug, info, warn};

/// Identifies a template: apiVersion, kind, namespace (empty when cluster-scoped), name.
pub(crate) type TemplateKey = (String, String, String, String);

/// What the template caches report to the controller.
#[derive(Debug, Clone)]
pub(crate) enum TemplateSignal {
    /// A template was added, changed or deleted.
    Changed(TemplateKey),
    /// The first list of a kind is in its cache.
    KindReady(String, String),
}

/// The cache of one template kind.
pub(crate) struct TemplateKind {
    pub resource: ApiResource,
    pub namespaced: bool,
    store: Store<DynamicObject>,
    ready: AtomicBool,
    task: AbortHandle,
}

impl TemplateKind {
    /// Whether the first list is in the cache.
    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// The cached template.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<DynamicObject>> {
        let r = ObjectRef::new_with(name, self.resource.clone());
        let r = if self.namespaced {
            r.within(namespace)
        } else {
            r
        };
        self.store.get(&r)
    }
}

/// Template caches by (apiVersion, kind).
pub(crate) struct TemplateCaches {
    client: Client,
    kinds: RwLock<HashMap<(String, String), Arc<TemplateKind>>>,
    signals: UnboundedSender<TemplateSignal>,
}

fn group_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

impl TemplateCaches {
    pub fn new(client: Client, signals: UnboundedSender<TemplateSignal>) -> Self {
        TemplateCaches {
            client,
            kinds: RwLock::new(HashMap::new()),
            signals,
        }
    }

    /// The cache of a kind if it is watched already (no discovery).
    pub fn cached(&self, api_version: &str, kind: &str) -> Option<Arc<TemplateKind>> {
        self.kinds
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(api_version.to_owned(), kind.to_owned()))
            .cloned()
    }

    /// The cache of a kind, watching it first if needed.
    pub async fn kind(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<Arc<TemplateKind>, kube::Error> {
        if let Some(cached) = self.cached(api_version, kind) {
            return Ok(cached);
        }
        let (group, version) = group_version(api_version);
        let (resource, caps) = kube::discovery::pinned_kind(
            &self.client,
            &GroupVersionKind::gvk(group, version, kind),
        )
        .await?;
        let mut kinds = self.kinds.write().unwrap_or_else(|e| e.into_inner());
        let key = (api_version.to_owned(), kind.to_owned());
        if let Some(raced) = kinds.get(&key) {
            return Ok(Arc::clone(raced));
        }
        let writer = Writer::new(resource.clone());
        let store = writer.as_reader();
        let entry = Arc::new_cyclic(|weak: &std::sync::Weak<TemplateKind>| {
            let task = tokio::spawn(watch_kind(
                self.client.clone(),
                resource.clone(),
                weak.clone(),
                writer,
                self.signals.clone(),
            ))
            .abort_handle();
            TemplateKind {
                resource: resource.clone(),
                namespaced: caps.scope == Scope::Namespaced,
                store,
                ready: AtomicBool::new(false),
                task,
            }
        });
        info!(resource = %api_version, %kind, "watching templates");
        kinds.insert(key, Arc::clone(&entry));
        Ok(entry)
    }

    /// Stops every watch.
    pub fn shut_down(&self) {
        for kind in self
            .kinds
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .map(|(_, k)| k)
        {
            kind.task.abort();
        }
    }
}

async fn watch_kind(
    client: Client,
    resource: ApiResource,
    kind: std::sync::Weak<TemplateKind>,
    mut writer: Writer<DynamicObject>,
    signals: UnboundedSender<TemplateSignal>,
) {
    let api: Api<DynamicObject> = Api::all_with(client, &resource);
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let key_of = |obj: &DynamicObject| -> TemplateKey {
        (
            resource.api_version.clone(),
            resource.kind.clone(),
            obj.metadata.namespace.clone().unwrap_or_default(),
            obj.metadata.name.clone().unwrap_or_default(),
        )
    };
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                warn!(resource = %resource.api_version, kind = %resource.kind, error = %err, "template watch failed");
                continue;
            }
        };
        writer.apply_watcher_event(&event);
        match &event {
            watcher::Event::Apply(obj) | watcher::Event::Delete(obj) => {
                let _ = signals.send(TemplateSignal::Changed(key_of(obj)));
            }
            watcher::Event::InitDone => {
                if let Some(kind) = kind.upgrade() {
                    kind.ready.store(true, Ordering::SeqCst);
                    debug!(resource = %resource.api_version, kind = %resource.kind, objects = kind.store.state().len(), "listed templates");
                }
                let _ = signals.send(TemplateSignal::KindReady(
                    resource.api_version.clone(),
                    resource.kind.clone(),
                ));
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }
}
