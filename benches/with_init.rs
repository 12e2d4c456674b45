//! Set up as most programs are: by `otel_runtime::init`'s builder, with the
//! default sampler (which follows the parent's decision). A `#[traced]` call
//! inside a trace its caller did not sample then makes no span at all.

mod common;

use common::{call, traced};
use criterion::Criterion;

fn main() {
    let _guard = otel_runtime::builder()
        .no_exporter()
        .init()
        .expect("the only init of this binary");
    let _parent = common::unsampled_remote_parent().attach();

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("unsampled_parent");
    group.bench_function("traced_init", |b| call(b, traced::work));
    group.finish();
    c.final_summary();
}
