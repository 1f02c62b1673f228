//! Macros for the linfa-style parameter pairs of every stage: a builder (unchecked) that wraps
//! the checked set, and `linfa::ParamGuard` between them. They write the accessor and guard
//! boilerplate once; the defaults and the checks stay hand-written beside each stage.

/// For each `field: Type` (Type: `Copy`): a builder setter `fn field(self, field) -> Self` on
/// `$builder` (writing `self.$inner.field`) and a getter `fn field(&self) -> Type` on `$valid`,
/// both with the field's doc comment. Given `struct $valid built by $builder, $inner { .. }`,
/// it also declares the checked struct with exactly those (private) fields.
#[macro_export]
macro_rules! param_fields {
    ($(#[$meta:meta])* pub struct $valid:ident built by $builder:ty, $inner:tt { $($(#[$doc:meta])* $field:ident: $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        pub struct $valid {
            $( $field: $ty, )*
        }
        $crate::param_fields! { $builder, $inner => $valid { $( $(#[$doc])* $field: $ty ),* } }
    };
    ($builder:ty, $inner:tt => $valid:ty { $($(#[$doc:meta])* $field:ident: $ty:ty),* $(,)? }) => {
        impl $builder {
            $(
                $(#[$doc])*
                pub fn $field(mut self, $field: $ty) -> Self {
                    self.$inner.$field = $field;
                    self
                }
            )*
        }
        impl $valid {
            $(
                $(#[$doc])*
                pub fn $field(&self) -> $ty {
                    self.$field
                }
            )*
        }
    };
}

/// `linfa::ParamGuard` for `$builder`, whose checked set is `self.$inner`: `check_ref` runs
/// `$check` on it (bound to `$p`; the checks return their errors early) and `check` unwraps.
#[macro_export]
macro_rules! param_guard {
    ($builder:ty, $inner:tt => $valid:ty, $error:ty, |$p:ident| $check:block) => {
        impl ::linfa::ParamGuard for $builder {
            type Checked = $valid;
            type Error = $error;

            fn check_ref(&self) -> ::std::result::Result<&$valid, $error> {
                let $p = &self.$inner;
                $check
                Ok($p)
            }

            fn check(self) -> ::std::result::Result<$valid, $error> {
                ::linfa::ParamGuard::check_ref(&self)?;
                Ok(self.$inner)
            }
        }
    };
}
