#[traced]
fn login(user: &str, password: &str) -> bool {
    check(user, password)
}
