//! `docs/getting-started.md`, run: every `$ ` command of its `console` blocks, in order, as a
//! user would type them — `flotilla up` started in a fresh directory (on free ports, so runs
//! cannot collide), then each command in a shell in that directory with the doc's examples next
//! to it. A command that fails fails the test with its output, so the walkthrough cannot rot.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::fleet::Fleet;

const DOC: &str = include_str!("../docs/getting-started.md");
/// How long one command of the walkthrough may take (the doc's waits have their own timeouts).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(150);

/// The `$ ` commands of the doc's console blocks, with `\` continuations joined.
fn commands(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_console = false;
    let mut pending: Option<String> = None;
    for line in doc.lines() {
        let trimmed = line.trim_end();
        if trimmed.starts_with("```") {
            in_console = trimmed == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        let text = match (&mut pending, trimmed.strip_prefix("$ ")) {
            (Some(p), _) => {
                p.push(' ');
                p.push_str(trimmed.trim_start());
                p.clone()
            }
            (None, Some(cmd)) => cmd.to_owned(),
            (None, None) => continue,
        };
        if let Some(head) = text.strip_suffix('\\') {
            pending = Some(head.trim_end().to_owned());
        } else {
            pending = None;
            out.push(text);
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the examples directory");
    for entry in std::fs::read_dir(from).expect("read docs/examples") {
        let entry = entry.expect("read docs/examples");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy an example");
    }
}

#[test]
fn the_doc_parses_into_commands() {
    let cmds = commands(DOC);
    assert_eq!(cmds.first().map(String::as_str), Some("flotilla up"));
    assert!(
        cmds.iter()
            .any(|c| c.starts_with("kubectl apply -f docs/examples/"))
    );
    assert!(cmds.iter().all(|c| !c.ends_with('\\')));
}

#[test]
fn getting_started_walkthrough() {
    let cmds = commands(DOC);
    let up = cmds
        .first()
        .expect("the walkthrough starts with flotilla up");
    let args: Vec<&str> = up
        .strip_prefix("flotilla up")
        .expect("the walkthrough starts with flotilla up")
        .split_whitespace()
        .collect();
    let Some(fleet) = Fleet::up_with(&args) else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_dir(
        &root.join("docs/examples"),
        &fleet.dir().join("docs/examples"),
    );
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_flotilla"))
        .parent()
        .expect("the binary's directory")
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut kubeconfig: Option<String> = None;
    for cmd in &cmds[1..] {
        if let Some(value) = cmd.strip_prefix("export KUBECONFIG=") {
            kubeconfig = Some(value.replace("$PWD", &fleet.dir().display().to_string()));
            continue;
        }
        let mut command = Command::new("bash");
        command
            .args(["-c", cmd])
            .current_dir(fleet.dir())
            .env("PATH", &path)
            .env("KUBECACHEDIR", fleet.dir().join("kube-cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match &kubeconfig {
            Some(k) => command.env("KUBECONFIG", k),
            None => command.env_remove("KUBECONFIG"),
        };
        let child = command.spawn().expect("run bash");
        let started = Instant::now();
        let output = wait_with_deadline(child, COMMAND_TIMEOUT);
        assert!(
            output.status.success(),
            "getting-started command failed after {:?}:\n$ {cmd}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            started.elapsed(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn wait_with_deadline(mut child: std::process::Child, timeout: Duration) -> std::process::Output {
    let deadline = Instant::now() + timeout;
    loop {
        if child.try_wait().expect("wait for a command").is_some() {
            return child
                .wait_with_output()
                .expect("collect a command's output");
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let out = child
                .wait_with_output()
                .expect("collect a command's output");
            panic!(
                "command did not finish within {timeout:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
