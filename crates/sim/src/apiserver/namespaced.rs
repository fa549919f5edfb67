//! The namespaced stores the API server keeps (Secrets, ServiceAccounts).

use std::collections::BTreeMap;

/// Objects stored by namespace and name, looked up without building an owned key.
#[derive(Debug, Clone)]
pub(crate) struct Namespaced<V> {
    by_namespace: BTreeMap<String, BTreeMap<String, V>>,
}

impl<V> Default for Namespaced<V> {
    fn default() -> Self {
        Namespaced {
            by_namespace: BTreeMap::new(),
        }
    }
}

impl<V> Namespaced<V> {
    pub(crate) fn get(&self, namespace: &str, name: &str) -> Option<&V> {
        self.by_namespace.get(namespace)?.get(name)
    }

    pub(crate) fn contains(&self, namespace: &str, name: &str) -> bool {
        self.get(namespace, name).is_some()
    }

    pub(crate) fn insert(&mut self, namespace: &str, name: &str, value: V) {
        self.by_namespace
            .entry(namespace.to_owned())
            .or_default()
            .insert(name.to_owned(), value);
    }

    pub(crate) fn remove(&mut self, namespace: &str, name: &str) {
        if let Some(names) = self.by_namespace.get_mut(namespace) {
            names.remove(name);
        }
    }
}
