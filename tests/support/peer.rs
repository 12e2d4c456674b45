//! A peer process of the end-to-end tests (a Python service, or this test
//! binary as a child): started with its settings, ready when it prints
//! `ready port=N`, stopped by closing its standard input. (`#[path]`-included
//! by the tests that use it.)
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A peer process: says `ready port=N` on its standard output, stops when
/// its standard input closes; killed if still running when dropped.
pub struct Peer {
    name: &'static str,
    process: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
    output: Arc<Mutex<String>>,
}

impl Peer {
    pub fn start(name: &'static str, command: &mut Command, env: &[(&str, &str)]) -> Peer {
        for (variable, _) in std::env::vars() {
            if variable.starts_with("OTEL_") {
                command.env_remove(variable);
            }
        }
        let mut process = command
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name}: {error}"));
        let output = Arc::new(Mutex::new(String::new()));
        collect(process.stderr.take().unwrap(), output.clone());
        let port = ready_port(process.stdout.take().unwrap(), output.clone());
        let Some(port) = port.recv_timeout(Duration::from_secs(60)).ok().flatten() else {
            let _ = process.kill();
            let _ = process.wait();
            let output = output.lock().unwrap().clone();
            panic!("{name} did not start:\n{output}");
        };
        Peer {
            name,
            stdin: process.stdin.take(),
            process,
            port,
            output,
        }
    }

    /// Closes its standard input and waits for it to exit, cleanly.
    pub fn stop(mut self) -> String {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.process.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "{} did not stop", self.name);
            std::thread::sleep(Duration::from_millis(20));
        };
        let output = self.output.lock().unwrap().clone();
        assert!(status.success(), "{} failed: {status}\n{output}", self.name);
        output
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Ok(None) = self.process.try_wait() {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }
}

/// Reads `stdout` to its end on a thread, keeping it in `output`, and
/// sends the port of its `ready port=N` line (or `None` if it ends first).
fn ready_port(
    stdout: impl std::io::Read + Send + 'static,
    output: Arc<Mutex<String>>,
) -> std::sync::mpsc::Receiver<Option<u16>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sender = Some(sender);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // Anywhere in the line: a Rust child prints it after libtest's
            // `test <name> ... `.
            let port = line
                .split("ready port=")
                .nth(1)
                .and_then(|port| port.trim().parse().ok());
            output.lock().unwrap().push_str(&(line + "\n"));
            // The first such line only.
            if let Some(sender) = port.and_then(|_| sender.take()) {
                let _ = sender.send(port);
            }
        }
        if let Some(sender) = sender {
            let _ = sender.send(None);
        }
    });
    receiver
}

/// Appends what `from` prints to `into`, on a thread, so that the pipe
/// never fills up.
fn collect(mut from: impl std::io::Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = from.read_to_string(&mut text);
        into.lock().unwrap().push_str(&text);
    });
}

/// In a Rust peer (a child of the test binary, on a Tokio runtime): says
/// it is ready on `port`, then waits until its standard input closes.
pub async fn ready_until_stdin_closes(port: u16) {
    println!("ready port={port}");
    tokio::task::spawn_blocking(|| std::io::read_to_string(std::io::stdin()))
        .await
        .unwrap()
        .unwrap();
}
