//! The typed form of a recorded value.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use opentelemetry::Value;

use crate::engine::Arg;

/// A type with an OpenTelemetry attribute form: how `#[traced]` records an
/// argument of this type, and what [`set_attribute`](crate::set_attribute)
/// takes.
///
/// Implemented for integers (a `u64` or wider beyond `i64::MAX` becomes its
/// decimal text), floats, `bool`, `char`, strings, `Option`s of these
/// (`None` records nothing) and references and smart pointers to these.
/// Implement it for your own types to record them in a typed form rather
/// than as their `Debug` text.
///
/// ```
/// use otel_runtime::AttributeValue;
/// use otel_runtime::opentelemetry::Value;
///
/// struct UserId(u32);
///
/// impl AttributeValue for UserId {
///     fn attribute_value(&self) -> Option<Value> {
///         Some(Value::I64(self.0.into()))
///     }
/// }
///
/// assert_eq!(UserId(7).attribute_value(), Some(Value::I64(7)));
/// assert_eq!(u64::MAX.attribute_value(), Some(Value::String("18446744073709551615".into())));
/// assert_eq!(None::<u8>.attribute_value(), None);
/// ```
pub trait AttributeValue {
    /// The attribute value; `None` means "no attribute".
    fn attribute_value(&self) -> Option<Value>;

    /// The value as a recording span keeps it until it is exported: text
    /// without an allocation when it is short. Not for implementations to
    /// change.
    #[doc(hidden)]
    #[inline]
    fn __otel_arg(&self) -> Option<Arg> {
        self.attribute_value().map(Arg::Value)
    }
}

macro_rules! small_int {
    ($($ty:ty)*) => {$(
        impl AttributeValue for $ty {
            #[inline]
            fn attribute_value(&self) -> Option<Value> {
                Some(Value::I64(i64::from(*self)))
            }
        }
    )*};
}
small_int!(i8 i16 i32 i64 u8 u16 u32);

// Wider than `i64`: an Int while it fits, its decimal text beyond.
macro_rules! wide_int {
    ($($ty:ty)*) => {$(
        impl AttributeValue for $ty {
            #[inline]
            fn attribute_value(&self) -> Option<Value> {
                Some(match i64::try_from(*self) {
                    Ok(small) => Value::I64(small),
                    Err(_) => Value::String(self.to_string().into()),
                })
            }
        }
    )*};
}
wide_int!(u64 u128 i128 usize isize);

impl AttributeValue for f32 {
    fn attribute_value(&self) -> Option<Value> {
        Some(Value::F64(f64::from(*self)))
    }
}

impl AttributeValue for f64 {
    fn attribute_value(&self) -> Option<Value> {
        Some(Value::F64(*self))
    }
}

impl AttributeValue for bool {
    fn attribute_value(&self) -> Option<Value> {
        Some(Value::Bool(*self))
    }
}

macro_rules! text {
    ($($ty:ty)*) => {$(
        impl AttributeValue for $ty {
            fn attribute_value(&self) -> Option<Value> {
                Some(Value::String(self.to_string().into()))
            }

            #[inline]
            fn __otel_arg(&self) -> Option<Arg> {
                Some(Arg::text(self))
            }
        }
    )*};
}
text!(str String Cow<'_, str>);

impl AttributeValue for char {
    fn attribute_value(&self) -> Option<Value> {
        Some(Value::String(self.to_string().into()))
    }

    fn __otel_arg(&self) -> Option<Arg> {
        Some(Arg::text(self.encode_utf8(&mut [0; 4])))
    }
}

impl<T: AttributeValue> AttributeValue for Option<T> {
    fn attribute_value(&self) -> Option<Value> {
        self.as_ref().and_then(T::attribute_value)
    }

    #[inline]
    fn __otel_arg(&self) -> Option<Arg> {
        self.as_ref().and_then(T::__otel_arg)
    }
}

macro_rules! pointer {
    ($($ty:ty)*) => {$(
        impl<T: AttributeValue + ?Sized> AttributeValue for $ty {
            #[inline]
            fn attribute_value(&self) -> Option<Value> {
                T::attribute_value(self)
            }

            #[inline]
            fn __otel_arg(&self) -> Option<Arg> {
                T::__otel_arg(self)
            }
        }
    )*};
}
pointer!(&T &mut T Box<T> Rc<T> Arc<T>);

impl AttributeValue for Value {
    fn attribute_value(&self) -> Option<Value> {
        Some(self.clone())
    }
}
