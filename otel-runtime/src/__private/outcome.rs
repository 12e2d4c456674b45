//! Recording what a call returned: an `Err` becomes status Error, `error.type`
//! and an `exception` event.
//!
//! The error's capabilities decide what can be recorded (its `Display`, its
//! `Debug`, its `source()` chain), and no bound may be asked of the user's
//! types. So the expansion probes the value with "autoref specialization":
//! `(&&&…Probe(&value)).__otel_outcome(span)` picks the impl with the most
//! references whose bounds hold, from an `Error` down to a type with nothing.

use std::error::Error;
use std::fmt::{Debug, Display};

use crate::engine::{Active, ErrorText};

/// A returned value under inspection; see the module docs.
pub struct Probe<'a, T>(pub &'a T);

/// Whether `pred` calls this `Err` an expected one (the `expected_err`
/// option): such a call leaves the status Unset.
pub fn is_expected<T, E>(value: &Result<T, E>, pred: impl FnOnce(&E) -> bool) -> bool {
    match value {
        Ok(_) => false,
        Err(error) => pred(error),
    }
}

/// The probe traits, one per level; the expansion imports them all.
pub mod probe_levels {
    use super::*;

    macro_rules! level {
        ($($trait:ident)*) => {$(
            #[doc(hidden)]
            pub trait $trait {
                fn __otel_outcome(&self, span: &Active);
            }
        )*};
    }
    level!(ViaAsRefError ViaError ViaDisplayDebug ViaDisplay ViaDebug ViaTypeName NotAResult);

    /// The levels that ask nothing of an error but its text: for an error
    /// type that is generic or borrowed. The probe picks a level by trait
    /// ignoring lifetimes, so an `Error` impl that needs `'static` (as
    /// `impl<T: Any> Error for CapacityError<T>`) would be picked for a
    /// `CapacityError<&str>`, and then fail to compile.
    pub mod text {
        pub use super::{NotAResult, ViaDebug, ViaDisplay, ViaDisplayDebug, ViaTypeName};
    }

    // anyhow::Error, eyre::Report, Box<dyn Error + Send + Sync>: not `Error`
    // themselves, but they lend one, with its source chain.
    impl<T, E> ViaAsRefError for &&&&&&Probe<'_, Result<T, E>>
    where
        E: AsRef<dyn Error + Send + Sync + 'static> + Display + Debug,
    {
        fn __otel_outcome(&self, span: &Active) {
            if let Err(error) = self.0 {
                let sources = error.as_ref().source();
                record_error::<E>(span, Some(error), Some(error), sources);
            }
        }
    }

    impl<T, E: Error> ViaError for &&&&&Probe<'_, Result<T, E>> {
        fn __otel_outcome(&self, span: &Active) {
            if let Err(error) = self.0 {
                record_error::<E>(span, Some(error), Some(error), error.source());
            }
        }
    }

    impl<T, E: Display + Debug> ViaDisplayDebug for &&&&Probe<'_, Result<T, E>> {
        fn __otel_outcome(&self, span: &Active) {
            if let Err(error) = self.0 {
                record_error::<E>(span, Some(error), Some(error), None);
            }
        }
    }

    impl<T, E: Display> ViaDisplay for &&&Probe<'_, Result<T, E>> {
        fn __otel_outcome(&self, span: &Active) {
            if let Err(error) = self.0 {
                record_error::<E>(span, Some(error), None, None);
            }
        }
    }

    impl<T, E: Debug> ViaDebug for &&Probe<'_, Result<T, E>> {
        fn __otel_outcome(&self, span: &Active) {
            if let Err(error) = self.0 {
                record_error::<E>(span, None, Some(error), None);
            }
        }
    }

    impl<T, E> ViaTypeName for &Probe<'_, Result<T, E>> {
        fn __otel_outcome(&self, span: &Active) {
            if self.0.is_err() {
                record_error::<E>(span, None, None, None);
            }
        }
    }

    impl<V> NotAResult for Probe<'_, V> {
        #[inline]
        fn __otel_outcome(&self, _span: &Active) {}
    }
}

/// The probe traits of `ret`: a `Result`'s `Ok` value (nothing for an
/// `Err`), or the whole value of any other type; the expansion imports both.
pub mod return_levels {
    use super::Probe;

    #[doc(hidden)]
    pub trait ViaResult<'a> {
        type Returned: ?Sized;
        fn __otel_returned(&self) -> Option<&'a Self::Returned>;
    }

    #[doc(hidden)]
    pub trait ViaValue<'a> {
        type Returned: ?Sized;
        fn __otel_returned(&self) -> Option<&'a Self::Returned>;
    }

    impl<'a, T, E> ViaResult<'a> for &Probe<'a, Result<T, E>> {
        type Returned = T;
        #[inline]
        fn __otel_returned(&self) -> Option<&'a T> {
            self.0.as_ref().ok()
        }
    }

    impl<'a, V> ViaValue<'a> for Probe<'a, V> {
        type Returned = V;
        #[inline]
        fn __otel_returned(&self) -> Option<&'a V> {
            Some(self.0)
        }
    }
}

fn record_error<E: ?Sized>(
    span: &Active,
    display: Option<&dyn Display>,
    debug: Option<&dyn Debug>,
    source: Option<&(dyn Error + 'static)>,
) {
    span.record_error(ErrorText {
        type_name: std::any::type_name::<E>(),
        display,
        debug,
        source,
    });
}

#[cfg(test)]
#[allow(clippy::needless_borrow)] // The extra references are the point.
mod tests {
    use super::Probe;
    use super::return_levels::*;

    #[test]
    fn ret_takes_a_results_ok_value_and_any_other_value_whole() {
        // Named like a `Result` without being one: chosen by trait, not name.
        struct ParseResult(u8);
        let ok: Result<u8, ()> = Ok(3);
        assert_eq!((&&Probe(&ok)).__otel_returned(), Some(&3));
        let err: Result<u8, ()> = Err(());
        assert_eq!((&&Probe(&err)).__otel_returned(), None);
        let other = ParseResult(4);
        assert_eq!((&&Probe(&other)).__otel_returned().map(|r| r.0), Some(4));
        assert_eq!((&&Probe(&Some(5u8))).__otel_returned(), Some(&Some(5)));
    }
}
