use otel_runtime::testing::{SpanDataExt, capture};
use otel_runtime::traced;

#[derive(Debug)]
struct NotFound;
impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not found")
    }
}
impl std::error::Error for NotFound {}

#[traced]
fn inner(x: u64) -> Result<u64, NotFound> {
    if x > 3 {
        return Err(NotFound);
    }
    Ok(x)
}

#[traced]
fn outer(a: u64, s: &str) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    let v = inner(a)?;
    Ok(v + s.len() as u64)
}

#[traced]
async fn run(a: u64) -> Result<u64, NotFound> {
    let v = inner(a)?;
    Ok(v)
}

#[test]
fn smoke() {
    let (r, spans) = capture(|| outer(5, "hi"));
    assert!(r.is_err());
    println!("{spans:#?}");
    for s in spans.all() {
        println!(
            "{} {:?} {:?} {:?}",
            s.name, s.attributes, s.status, s.events
        );
    }
    let (r, spans) = capture(|| futures::executor::block_on(run(1)));
    assert_eq!(r.unwrap(), 1);
    for s in spans.all() {
        println!(
            "{} {:?} {:?} {:?} parent={}",
            s.name,
            s.attributes,
            s.status,
            s.events,
            spans.is_top_level(s)
        );
    }
    assert_eq!(spans.named("run").attr("a"), Some(&1i64.into()));
}
