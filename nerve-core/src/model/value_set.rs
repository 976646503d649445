use std::fmt;

/// A closed set of values stored as text: a PostgreSQL ENUM type, or SQLite text held to the
/// same values by a CHECK constraint. Drivers write their column mappings once against this
/// trait.
pub trait ValueSet: Sized + Copy + Eq + fmt::Debug + 'static {
    /// The PostgreSQL ENUM type name (also used in error messages).
    const TYPE_NAME: &'static str;
    /// Every value, in declaration order (the ENUM's order).
    const ALL: &'static [Self];
    /// The stored text of this value.
    fn as_str(self) -> &'static str;
    /// The value whose stored text is `s`, exactly (case-sensitive).
    fn parse(s: &str) -> Result<Self, UnknownValue> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownValue {
                type_name: Self::TYPE_NAME,
                value: s.to_string(),
            })
    }
}

/// A stored text that is not a value of the set it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// The value set's type name.
    pub type_name: &'static str,
    /// The text read.
    pub value: String,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not a value of {}", self.value, self.type_name)
    }
}

impl std::error::Error for UnknownValue {}

/// Declares a [`ValueSet`] enum with its stored texts, serde names and `Display`.
macro_rules! value_set {
    (
        $(#[$meta:meta])*
        pub enum $name:ident as $type_name:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $crate::model::ValueSet for $name {
            const TYPE_NAME: &'static str = $type_name;
            const ALL: &'static [Self] = &[ $( $name::$variant ),+ ];
            fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text ),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::model::ValueSet::as_str(*self))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::model::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$name as $crate::model::ValueSet>::parse(s)
            }
        }
    };
}
pub(crate) use value_set;
