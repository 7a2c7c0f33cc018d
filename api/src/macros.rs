//! Macros that stamp out the repetitive parts of the API types: closed string enums and the
//! trait impls every top-level kind shares.

/// Defines a closed set of string values as a Rust enum that (de)serializes as those strings.
///
/// Variants deliberately carry no `///` docs: schemars would then describe the enum as a `oneOf`
/// of constants instead of a plain `enum` list, which Kubernetes tooling handles poorly. Document
/// the values on the enum itself.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $variant:ident = $value:literal ),+ $(,)?
        }
        default = $default:ident;
    ) => {
        $(#[$meta])*
        #[derive(
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
        )]
        pub enum $name {
            $( #[serde(rename = $value)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $value, )+
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl core::str::FromStr for $name {
            type Err = crate::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $value => Ok($name::$variant), )+
                    _ => Err(crate::UnknownValue {
                        value: s.to_owned(),
                        expected: &[$($value),+],
                    }),
                }
            }
        }
    };
}

/// Implements the traits every top-level kind shares: `k8s_openapi::{Resource, ListableResource,
/// Metadata}` (which makes `kube::Api<K>` work), a `Default` that fills `apiVersion`/`kind`, and
/// `new(name, spec)`.
macro_rules! kind_impls {
    (
        $ty:ident {
            group: $group:literal,
            version: $version:literal,
            kind: $kind:literal,
            plural: $plural:literal,
            scope: $scope:ident,
            spec: $spec:ty,
            fields: [$($field:ident),*] $(,)?
        }
    ) => {
        impl k8s_openapi::Resource for $ty {
            const API_VERSION: &'static str = concat!($group, "/", $version);
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = $version;
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = k8s_openapi::$scope;
        }

        impl k8s_openapi::ListableResource for $ty {
            const LIST_KIND: &'static str = concat!($kind, "List");
        }

        impl k8s_openapi::Metadata for $ty {
            type Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

            fn metadata(&self) -> &Self::Ty {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut Self::Ty {
                &mut self.metadata
            }
        }

        impl Default for $ty {
            fn default() -> Self {
                Self {
                    api_version: <$ty as k8s_openapi::Resource>::API_VERSION.to_owned(),
                    kind: <$ty as k8s_openapi::Resource>::KIND.to_owned(),
                    metadata: Default::default(),
                    $( $field: Default::default(), )*
                }
            }
        }

        impl $ty {
            /// A new object with `apiVersion`/`kind` filled in, the given name and spec.
            pub fn new(name: impl Into<String>, spec: $spec) -> Self {
                Self {
                    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                        name: Some(name.into()),
                        ..Default::default()
                    },
                    spec,
                    ..Default::default()
                }
            }
        }
    };
}

/// `serde(default = ..)` for a kind's `apiVersion` field.
pub(crate) fn default_api_version<K: k8s_openapi::Resource>() -> String {
    K::API_VERSION.to_owned()
}

/// `serde(default = ..)` for a kind's `kind` field.
pub(crate) fn default_kind<K: k8s_openapi::Resource>() -> String {
    K::KIND.to_owned()
}
