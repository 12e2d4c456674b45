//! Python for the end-to-end tests: virtual environments, made once per
//! target directory, and the OTLP receiver of `tests/otlp_receiver/`.
//! (`#[path]`-included by the tests that use it, so that the other users of
//! `support` do not compile it unused.) Each of those uses a part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The Python of the virtual environment `name` (under the target
/// directory) with `requirements` installed, in one `pip install` so that
/// they resolve together, and checked with `pip check`. Made again only
/// when the requirements change.
pub fn venv(name: &str, requirements: &[PathBuf]) -> PathBuf {
    // One at a time: parallel tests ask for the same environments.
    static MADE: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut made = MADE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let made = made.get_or_insert_with(HashMap::new);
    if let Some(python) = made.get(name) {
        return python.clone();
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let python = venv.join("bin/python");
    let stamp = venv.join("installed-requirements.txt");
    let wanted: String = requirements
        .iter()
        .map(|file| std::fs::read_to_string(file).unwrap())
        .collect();
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        run(Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv));
        let mut install = Command::new(&python);
        install.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ]);
        for file in requirements {
            install.arg("-r").arg(file);
        }
        run(&mut install);
        run(Command::new(&python).args(["-m", "pip", "check", "--disable-pip-version-check"]));
        std::fs::write(&stamp, wanted).unwrap();
    }
    made.insert(name.to_owned(), python.clone());
    python
}

fn run(command: &mut Command) {
    let status = command
        .status()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(status.success(), "{command:?} failed: {status}");
}

/// The Python of the peers whose requirements are in `tests/<peers>/`,
/// and the receiver's, made at the same time: two environments, as the
/// receiver pins its `opentelemetry-proto` and the peers' exporter wants
/// its own.
pub fn peers_and_receiver(peers: &str) -> PathBuf {
    let receiver = std::thread::spawn(|| {
        venv(
            "otlp-receiver-venv",
            &[tests_dir("otlp_receiver").join("requirements.txt")],
        )
    });
    let python = venv(
        &format!("{}-venv", peers.replace('_', "-")),
        &[tests_dir(peers).join("requirements.txt")],
    );
    receiver.join().unwrap();
    python
}

/// `tests/<name>` in this repository.
pub fn tests_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

/// A running OTLP receiver (`tests/otlp_receiver/receiver.py`), writing
/// one JSON line per span received; stopped when dropped.
pub struct Receiver {
    process: Child,
    pub grpc: u16,
    pub http: u16,
    out: PathBuf,
    options: Vec<OsString>,
}

impl Receiver {
    pub fn start(name: &str) -> Self {
        Self::start_with(name, None)
    }

    /// With `tls`, the receiver speaks TLS only, requires a client
    /// certificate, and writes `ca.pem`, `client.pem` and `client-key.pem`
    /// into that directory.
    pub fn start_with(name: &str, tls: Option<&Path>) -> Self {
        let options = match tls {
            Some(directory) => vec!["--tls".into(), directory.into()],
            None => vec![],
        };
        Self::launch(name, options)
    }

    /// One short line per span (see [`Receiver::span_ids`]), for tests
    /// that send a million.
    pub fn ids_only(name: &str) -> Self {
        Self::launch(name, vec!["--ids-only".into()])
    }

    fn launch(name: &str, options: Vec<OsString>) -> Self {
        // One file per receiver: tests run in parallel, several per protocol.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let nth = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("otlp-{name}-{}-{nth}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&out);
        let (process, grpc, http) = spawn(&out, &options, None);
        Receiver {
            process,
            grpc,
            http,
            out,
            options,
        }
    }

    /// Stops the receiver as a crash would: at once, its ports closed.
    pub fn kill(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    /// Starts it again on the same ports, adding to the same file.
    pub fn restart(&mut self) {
        self.kill();
        let (process, grpc, http) = spawn(&self.out, &self.options, Some((self.grpc, self.http)));
        assert_eq!((grpc, http), (self.grpc, self.http));
        self.process = process;
    }

    /// The spans received, waiting a little for `expected` of them.
    pub fn spans(&self, expected: usize) -> Vec<Value> {
        self.lines(expected, Duration::from_secs(10))
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// The log records received, waiting a little for `expected` of them.
    #[allow(dead_code)]
    pub fn logs(&self, expected: usize) -> Vec<Value> {
        lines_of(&self.logs_path(), expected, Duration::from_secs(10))
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// The metric data points received, waiting a little for `expected`.
    #[allow(dead_code)]
    pub fn metrics(&self, expected: usize) -> Vec<Value> {
        lines_of(&self.beside(".metrics"), expected, Duration::from_secs(10))
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// Where the receiver writes the log records.
    fn logs_path(&self) -> PathBuf {
        self.beside(".logs")
    }

    /// The output file's name with `suffix` added.
    fn beside(&self, suffix: &str) -> PathBuf {
        let mut path = self.out.clone().into_os_string();
        path.push(suffix);
        PathBuf::from(path)
    }

    /// From a receiver started by [`Receiver::ids_only`]: the spans
    /// received, waiting up to `patience` for `expected` of them.
    pub fn span_ids(&self, expected: usize, patience: Duration) -> Vec<SpanIds> {
        self.lines(expected, patience)
            .iter()
            .map(|line| {
                let mut fields = line.split(' ');
                let mut next = || fields.next().unwrap_or_default().to_owned();
                let (trace, span, parent, name) = (next(), next(), next(), next());
                SpanIds {
                    trace,
                    span,
                    parent: (parent != "-").then_some(parent),
                    name,
                }
            })
            .collect()
    }

    fn lines(&self, expected: usize, patience: Duration) -> Vec<String> {
        lines_of(&self.out, expected, patience)
    }
}

/// The whole lines of `path`, waiting up to `patience` for `expected` of
/// them.
fn lines_of(path: &Path, expected: usize, patience: Duration) -> Vec<String> {
    let deadline = Instant::now() + patience;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        // Only whole lines: the receiver may be writing the last one.
        let whole = text.rfind('\n').map_or("", |end| &text[..end]);
        let lines: Vec<String> = whole.lines().map(str::to_owned).collect();
        if lines.len() >= expected || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One span as [`Receiver::ids_only`] records it (ids in hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanIds {
    pub trace: String,
    pub span: String,
    pub parent: Option<String>,
    pub name: String,
}

/// Starts `receiver.py`, on `ports` (gRPC, HTTP) or free ones, and waits
/// until it says it is ready.
fn spawn(out: &Path, options: &[OsString], ports: Option<(u16, u16)>) -> (Child, u16, u16) {
    // A child process exits without running destructors: its receiver
    // would be left running.
    assert!(
        !crate::support::in_a_child(),
        "a receiver is started in a child process: ask for the child (support::child) first"
    );
    let receiver = tests_dir("otlp_receiver");
    let python = venv("otlp-receiver-venv", &[receiver.join("requirements.txt")]);
    let mut command = Command::new(python);
    command
        .arg(receiver.join("receiver.py"))
        .arg("--out")
        .arg(out)
        .args(options);
    if let Some((grpc, http)) = ports {
        command.args([
            "--grpc-port",
            &grpc.to_string(),
            "--http-port",
            &http.to_string(),
        ]);
    }
    let mut process = command.stdout(Stdio::piped()).spawn().unwrap();
    let mut ready = String::new();
    BufReader::new(process.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    let port = |key: &str| -> u16 {
        ready
            .split_whitespace()
            .find_map(|part| part.strip_prefix(key))
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the receiver did not say it was ready: {ready:?}"))
    };
    (process, port("grpc="), port("http="))
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.kill();
        // Kept for a look when the test failed; a load test's is large.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.out);
            let _ = std::fs::remove_file(self.logs_path());
            let _ = std::fs::remove_file(self.beside(".metrics"));
        }
    }
}
