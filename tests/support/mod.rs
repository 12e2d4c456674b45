//! Running this test binary again as a child process, for cases that set
//! process-wide state (`otel_runtime::init`): the child is the test named
//! `child` in the same file, told what to do by `OTEL_RUNTIME_CHILD`.
//! Each test file uses a part of this.
#![allow(dead_code)]

use std::io::Read as _;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

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

/// How a child ended, and what it printed.
pub struct Ended {
    /// `None` when it was killed at the deadline.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Ended {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|status| status.success())
    }
}

/// Runs the child in `role` with `env`, as [`run_child`] does, but kills
/// it after `deadline` and never panics, so that a test running hundreds
/// of children stops by itself and reports every failure at once.
pub fn run_child_until(role: &str, env: &[(&str, &str)], deadline: Duration) -> Ended {
    let mut child = child_command(role, env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes while waiting: a child that fills one would block.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ended {
        status,
        stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    }
}

/// A loopback port that nothing listens on, kept so while the value lives:
/// a socket is bound to it and never listens, so connecting fails at once,
/// and a listener that another test starts meanwhile cannot be given the
/// same port (a port merely freed could be, and a collector that never
/// answers would then hang the test instead).
pub struct ClosedPort(tokio::net::TcpSocket);

impl ClosedPort {
    pub fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }
}

pub fn closed_port() -> ClosedPort {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ClosedPort(socket)
}

/// Panics when shown, as a buggy `Debug` or `Display` might.
pub struct Explodes;

impl std::fmt::Debug for Explodes {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("Debug exploded")
    }
}

impl std::fmt::Display for Explodes {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("Display exploded")
    }
}
