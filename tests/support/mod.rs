//! Running a case in a child process of this test binary, for cases that
//! set process-wide state (`otel_runtime::init`): the test hands the
//! child's code to [`in_child`] (or [`child`]) and checks what came back,
//! and the same test, run alone in the child process, runs that code
//! instead, then exits. Each test file uses a part of this.
#![allow(dead_code)]

use std::io::Write as _;
use std::marker::PhantomData;
use std::panic::Location;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Set only in a child: the name of the test it runs.
const CHILD: &str = "OTEL_RUNTIME_CHILD";
/// Set only in a child: where that test asks for it, so that a test which
/// asks at two places fails instead of running the first one's code twice.
const CHILD_AT: &str = "OTEL_RUNTIME_CHILD_AT";
/// Starts the line on which a child reports what its code returned.
const RETURNED: &str = "otel-runtime-child-returned: ";

/// What the child printed, on standard output (without the line that
/// reports what its code returned) and standard error, and what it
/// returned.
pub struct Printed<R = ()> {
    pub stdout: String,
    pub stderr: String,
    pub returned: R,
}

/// How a child ended, what it printed, and what its code returned.
pub struct Ended<R = ()> {
    /// `None` when it was killed at the deadline.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    /// `None` unless the child's code ran to its end.
    pub returned: Option<R>,
}

impl<R> Ended<R> {
    /// Whether the child's code ran to its end and the child exited cleanly.
    pub fn succeeded(&self) -> bool {
        self.returned.is_some() && self.status.is_some_and(|status| status.success())
    }
}

/// Runs `body` in a child process of this test with `env` (and no
/// inherited `OTEL_*` variable), and returns what it printed and returned;
/// panics with its output when it fails. In that child, the test runs
/// from its start up to this call, then `body`, then exits.
#[track_caller]
pub fn in_child<R: Serialize + DeserializeOwned>(
    env: &[(&str, &str)],
    body: impl FnOnce() -> R,
) -> Printed<R> {
    child(body).run(env)
}

/// As [`in_child`], but kills the child after `deadline` and never panics,
/// so that a test running hundreds of children stops by itself and reports
/// every failure at once.
#[track_caller]
pub fn in_child_until<R: Serialize + DeserializeOwned>(
    env: &[(&str, &str)],
    deadline: Duration,
    body: impl FnOnce() -> R,
) -> Ended<R> {
    child(body).run_until(env, deadline)
}

/// The calling test's child process, whose code is `body`: in that child,
/// runs `body`, reports what it returned and exits; elsewhere, returns the
/// way to start it, as many times as the test wants, with whatever
/// environment. Call it on the test's own thread (libtest names it after
/// the test, which is how the child finds its test), and before any set-up
/// that the child must not repeat, such as starting a receiver: the child
/// runs the test from its start up to here. Every child of a test runs
/// the same code: what differs from one to the next comes through the
/// environment.
#[track_caller]
pub fn child<R: Serialize + DeserializeOwned>(body: impl FnOnce() -> R) -> Child<R> {
    let test = this_test();
    let at = Location::caller().to_string();
    match std::env::var(CHILD) {
        Ok(running) => be_the_child(&running, &test, &at, body),
        Err(_) => Child {
            test,
            at,
            returned: PhantomData,
        },
    }
}

/// In the child of the test `running`, reached by `test` at `at`: runs
/// `body`, reports what it returned, and exits.
fn be_the_child<R: Serialize>(running: &str, test: &str, at: &str, body: impl FnOnce() -> R) -> ! {
    // `--exact` runs no other test; a test that asks at two places must be
    // told, not run the wrong code.
    assert_eq!(running, test, "the child of another test ran this one");
    let wanted = std::env::var(CHILD_AT).unwrap_or_default();
    assert_eq!(
        at, wanted,
        "{test} asks for children at two places; the child only reaches the first: \
         give the other a test of its own"
    );
    let returned = serde_json::to_string(&body()).unwrap();
    // On a line of its own, whatever the code printed last.
    println!("\n{RETURNED}{returned}");
    let _ = std::io::stdout().flush();
    // Before the rest of the test (the parent's side) can run here.
    std::process::exit(0);
}

/// Whether this process is a child, for set-up that a child must never
/// repeat (it would outlive the child: `exit` runs no destructor).
pub fn in_a_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// The test this thread runs, by the name that libtest gave the thread.
fn this_test() -> String {
    match std::thread::current().name() {
        Some(name) if name != "main" => name.to_owned(),
        _ => panic!("a child is asked for from a thread that libtest did not name after a test"),
    }
}

/// A test's child process, from [`child`].
pub struct Child<R> {
    test: String,
    at: String,
    returned: PhantomData<fn() -> R>,
}

impl<R: DeserializeOwned> Child<R> {
    /// The command that runs the child with `env` (and no inherited `OTEL_*`
    /// variable), for tests that talk to it while it runs.
    pub fn command(&self, env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.args([&self.test, "--exact", "--nocapture", "--test-threads=1"]);
        for (name, _) in std::env::vars() {
            if name.starts_with("OTEL_") {
                command.env_remove(name);
            }
        }
        command
            .env(CHILD, &self.test)
            .env(CHILD_AT, &self.at)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied());
        command
    }

    /// Runs the child with `env` and waits for it; panics with its output
    /// when it fails.
    #[track_caller]
    pub fn run(&self, env: &[(&str, &str)]) -> Printed<R> {
        match self.wait(env, None) {
            Ended {
                status: Some(status),
                stdout,
                stderr,
                returned: Some(returned),
            } if status.success() => Printed {
                stdout,
                stderr,
                returned,
            },
            Ended {
                status,
                stdout,
                stderr,
                ..
            } => panic!(
                "the child of {} failed ({status:?}):\n{stdout}\n{stderr}",
                self.test
            ),
        }
    }

    /// Runs the child with `env`, as [`Child::run`] does, but kills it after
    /// `deadline` and never panics.
    pub fn run_until(&self, env: &[(&str, &str)], deadline: Duration) -> Ended<R> {
        self.wait(env, Some(deadline))
    }

    fn wait(&self, env: &[(&str, &str)], deadline: Option<Duration>) -> Ended<R> {
        let mut child = self
            .command(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read both pipes while waiting: a child that fills one would block.
        let stdout = read_on_a_thread(child.stdout.take().unwrap());
        let stderr = read_on_a_thread(child.stderr.take().unwrap());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if deadline.is_some_and(|deadline| started.elapsed() > deadline) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut stdout = stdout.join().unwrap();
        let returned = take_returned(&mut stdout);
        Ended {
            status,
            stdout,
            stderr: stderr.join().unwrap(),
            returned,
        }
    }
}

fn read_on_a_thread(
    mut from: impl std::io::Read + Send + 'static,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = from.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// What the child's code returned, taken out of its standard output.
fn take_returned<R: DeserializeOwned>(stdout: &mut String) -> Option<R> {
    let start = stdout.rfind(&format!("\n{RETURNED}"))? + 1;
    let end = stdout[start..]
        .find('\n')
        .map_or(stdout.len(), |n| start + n + 1);
    let json = &stdout[start + RETURNED.len()..end];
    let returned = serde_json::from_str(json.trim_end())
        .unwrap_or_else(|error| panic!("the child returned {json:?}: {error}"));
    stdout.replace_range(start..end, "");
    Some(returned)
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

/// A collector that accepts connections and never answers.
pub fn silent_collector() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    port
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
