#[traced]
pub fn greet(name: &str, times: u32) -> String {
    name.repeat(times as usize)
}
