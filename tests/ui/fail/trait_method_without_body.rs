use otel_runtime::traced;

trait Store {
    #[traced]
    fn get(&self, key: &str) -> Option<String>;
}

fn main() {}
