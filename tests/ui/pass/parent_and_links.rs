//! `parent` and `links` with every kind of value they accept, in sync and
//! async functions and methods: all must compile without a warning.
#![deny(warnings)]

use std::collections::HashMap;

use otel_runtime::opentelemetry::{Context, KeyValue};
use otel_runtime::opentelemetry::trace::{Link, SpanContext, TraceContextExt as _};
use otel_runtime::{IntoLink, propagation, traced};

struct Message {
    headers: HashMap<String, String>,
}

impl IntoLink for &Message {
    fn into_link(self) -> Option<Link> {
        propagation::extract_from(&self.headers).into_link()
    }
}

#[traced(parent = cx)]
fn by_context_ref(cx: &Context) {
    let _ = cx;
}

#[traced(parent = cx)]
fn by_owned_context(cx: Context) {}

#[traced(parent = &cx)]
fn by_borrowed_context(cx: Context) {
    let _current = cx.attach();
}

#[traced(parent = span.clone())]
fn by_span_context(span: &SpanContext) {
    let _ = span;
}

#[traced(parent = span)]
fn by_span_context_ref(span: &SpanContext) {
    let _ = span;
}

#[traced(parent = maybe)]
fn by_option(maybe: Option<&Context>) {
    let _ = maybe;
}

#[traced(parent = Context::new())]
fn root() {}

#[traced(kind = "server", parent = propagation::extract(headers))]
fn from_headers(headers: &http::HeaderMap) {
    let _ = headers;
}

#[traced(links = [a, b])]
fn two_links(a: &Context, b: &Context) {
    let _ = (a, b);
}

#[traced(links = [span])]
fn link_owned_span_context(span: SpanContext) {}

#[traced(links = [cx, span, None::<Context>])]
fn link_mixed(cx: &Context, span: SpanContext) {}

#[traced(links = causes)]
fn link_vec(causes: &Vec<Context>) {
    let _ = causes;
}

#[traced(links = &causes)]
fn link_owned_vec(causes: Vec<Context>) {}

#[traced(links = causes.iter().flatten())]
fn link_iterator(causes: &[Option<SpanContext>]) {
    let _ = causes;
}

#[traced(links = maybe)]
fn link_option(maybe: Option<&SpanContext>) {
    let _ = maybe;
}

#[traced(links = [Link::new(span.clone(), vec![KeyValue::new("retry", true)], 0)])]
fn link_with_attributes(span: &SpanContext) {
    let _ = span;
}

#[traced(kind = "consumer", links = batch)]
fn link_own_type(batch: &[Message]) {
    let _ = batch;
}

#[traced(parent = cx, links = [cx], ret)]
async fn async_both(cx: &Context, n: u32) -> u32 {
    n
}

#[traced(parent = &cx)]
async fn async_borrowed(cx: Context) -> bool {
    cx.has_active_span()
}

struct Worker {
    cx: Context,
}

impl Worker {
    #[traced(parent = &self.cx, links = [&self.cx])]
    fn work(&self) {}

    #[traced(parent = self.cx, links = [self.cx])]
    fn work_unborrowed(&self) {}

    #[traced(parent = &self.cx)]
    async fn work_async(&self) {}

    #[traced(parent = &self.cx)]
    fn consume(self) -> Context {
        self.cx
    }
}

fn main() {
    let cx = Context::current();
    let span = cx.span().span_context().clone();
    by_context_ref(&cx);
    by_owned_context(cx.clone());
    by_borrowed_context(cx.clone());
    by_span_context(&span);
    by_span_context_ref(&span);
    by_option(None);
    root();
    from_headers(&http::HeaderMap::new());
    two_links(&cx, &cx);
    link_owned_span_context(span.clone());
    link_mixed(&cx, span.clone());
    link_owned_vec(vec![cx.clone()]);
    link_vec(&vec![cx.clone()]);
    link_iterator(&[Some(span.clone()), None]);
    link_option(Some(&span));
    link_with_attributes(&span);
    link_own_type(&[Message {
        headers: HashMap::new(),
    }]);
    let worker = Worker { cx: cx.clone() };
    worker.work();
    worker.work_unborrowed();
    futures::executor::block_on(async {
        let _ = async_both(&cx, 1).await;
        let _ = async_borrowed(cx.clone()).await;
        worker.work_async().await;
    });
    let _ = worker.consume();
}
