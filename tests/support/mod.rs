//! Running this test binary again as a child process, for cases that set
//! process-wide state (`otel_runtime::init`): the child is the test named
//! `child` in the same file, told what to do by `OTEL_RUNTIME_CHILD`.

use std::process::Command;

/// What the child printed, on standard output and standard error.
pub struct Printed {
    pub stdout: String,
    pub stderr: String,
}

/// Runs the child in `role` with `env` (and no inherited `OTEL_*`
/// variable); panics with its output when it fails.
pub fn run_child(role: &str, env: &[(&str, &str)]) -> Printed {
    let output = child_command(role, env).output().unwrap();
    let printed = Printed {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        output.status.success(),
        "child failed:\n{}\n{}",
        printed.stdout,
        printed.stderr
    );
    printed
}

/// The child's role, or `None` in the parent.
pub fn child_role() -> Option<String> {
    std::env::var("OTEL_RUNTIME_CHILD").ok()
}

/// The command that runs the child in `role` with `env` (and no inherited
/// `OTEL_*` variable), for tests that talk to it while it runs.
pub fn child_command(role: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env("OTEL_RUNTIME_CHILD", role)
        .env("NO_COLOR", "1");
    for (name, _) in std::env::vars() {
        if name.starts_with("OTEL_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    command
}
