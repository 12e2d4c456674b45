//! What `?` does, in stable terms, for the `?`s that the expansion rewrites
//! into a `break` to the end of the body (where the value is recorded).
//!
//! `e?` becomes `match branch(e) { Continue(v) => v, Break(r) => break 'body
//! r.into_return() }`: the standard library's own desugaring through its
//! `Try` and `FromResidual` traits, which are not stable. These two traits
//! cover every type `?` accepts on stable in a function returning a `Result`
//! (or an `Option`, through an alias named `…Result`), with the same
//! conversions: an `Err` goes through `From`, a `None` stays a `None`.

use std::convert::Infallible;
use std::ops::ControlFlow;
use std::task::Poll;

/// A value `?` is applied to.
pub trait Branch {
    /// What `?` evaluates to.
    type Output;
    /// What `?` returns from the function, before its conversion.
    type Residual;
    fn branch(self) -> ControlFlow<Self::Residual, Self::Output>;
}

/// A return type that `?` can return a residual from.
pub trait FromResidual<R> {
    fn from_residual(residual: R) -> Self;
}

/// What `e?` returns from the function, before its conversion.
pub struct Residual<R>(R);

impl<R> Residual<R> {
    /// The returned value the residual becomes (an `Err` converted by
    /// `From`). A method, so that the expansion names no path after the
    /// label of its `break`.
    #[inline]
    pub fn into_return<T: FromResidual<R>>(self) -> T {
        T::from_residual(self.0)
    }
}

/// `Continue` with what `e?` evaluates to, or `Break` with what it returns.
#[inline]
pub fn branch<T: Branch>(value: T) -> ControlFlow<Residual<T::Residual>, T::Output> {
    match value.branch() {
        ControlFlow::Continue(output) => ControlFlow::Continue(output),
        ControlFlow::Break(residual) => ControlFlow::Break(Residual(residual)),
    }
}

impl<T, E> Branch for Result<T, E> {
    type Output = T;
    type Residual = Result<Infallible, E>;
    #[inline]
    fn branch(self) -> ControlFlow<Self::Residual, T> {
        match self {
            Ok(value) => ControlFlow::Continue(value),
            Err(error) => ControlFlow::Break(Err(error)),
        }
    }
}

impl<T, E> Branch for Poll<Result<T, E>> {
    type Output = Poll<T>;
    type Residual = Result<Infallible, E>;
    #[inline]
    fn branch(self) -> ControlFlow<Self::Residual, Poll<T>> {
        match self {
            Poll::Ready(Ok(value)) => ControlFlow::Continue(Poll::Ready(value)),
            Poll::Ready(Err(error)) => ControlFlow::Break(Err(error)),
            Poll::Pending => ControlFlow::Continue(Poll::Pending),
        }
    }
}

impl<T, E> Branch for Poll<Option<Result<T, E>>> {
    type Output = Poll<Option<T>>;
    type Residual = Result<Infallible, E>;
    #[inline]
    fn branch(self) -> ControlFlow<Self::Residual, Poll<Option<T>>> {
        match self {
            Poll::Ready(Some(Ok(value))) => ControlFlow::Continue(Poll::Ready(Some(value))),
            Poll::Ready(Some(Err(error))) => ControlFlow::Break(Err(error)),
            Poll::Ready(None) => ControlFlow::Continue(Poll::Ready(None)),
            Poll::Pending => ControlFlow::Continue(Poll::Pending),
        }
    }
}

impl<T> Branch for Option<T> {
    type Output = T;
    type Residual = Option<Infallible>;
    #[inline]
    fn branch(self) -> ControlFlow<Self::Residual, T> {
        match self {
            Some(value) => ControlFlow::Continue(value),
            None => ControlFlow::Break(None),
        }
    }
}

impl<T, E, F: From<E>> FromResidual<Result<Infallible, E>> for Result<T, F> {
    #[inline]
    fn from_residual(residual: Result<Infallible, E>) -> Self {
        match residual {
            Err(error) => Err(From::from(error)),
            Ok(never) => match never {},
        }
    }
}

impl<T> FromResidual<Option<Infallible>> for Option<T> {
    #[inline]
    fn from_residual(_: Option<Infallible>) -> Self {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question<T: Branch, R: FromResidual<T::Residual>>(value: T) -> Result<T::Output, R> {
        match branch(value) {
            ControlFlow::Continue(output) => Ok(output),
            ControlFlow::Break(residual) => Err(residual.into_return()),
        }
    }

    #[test]
    fn an_err_is_converted_by_from() {
        let out: Result<u8, Result<(), String>> = question(Err::<u8, &str>("bad"));
        assert_eq!(out, Err(Err("bad".to_owned())));
        let out: Result<u8, Result<(), String>> = question(Ok::<u8, &str>(3));
        assert_eq!(out, Ok(3));
    }

    #[test]
    fn a_poll_passes_pending_and_ready_values_on() {
        let out: Result<_, Result<(), u8>> = question(Poll::<Result<u8, u8>>::Pending);
        assert_eq!(out, Ok(Poll::Pending));
        let out: Result<_, Result<(), u8>> = question(Poll::Ready(Err::<u8, u8>(4)));
        assert_eq!(out, Err(Err(4)));
        let out: Result<_, Result<(), u8>> = question(Poll::Ready(Some(Ok::<u8, u8>(5))));
        assert_eq!(out, Ok(Poll::Ready(Some(5))));
        let out: Result<_, Result<(), u8>> = question(Poll::<Option<Result<u8, u8>>>::Ready(None));
        assert_eq!(out, Ok(Poll::Ready(None)));
    }

    #[test]
    fn a_none_stays_none() {
        let out: Result<u8, Option<()>> = question(None::<u8>);
        assert_eq!(out, Err(None));
    }
}
