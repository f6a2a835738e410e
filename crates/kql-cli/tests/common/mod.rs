//! What the end-to-end tests share: the workspace root and the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `kql` binary, to run in folder `dir`.
pub fn kql_command(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kql"));
    c.current_dir(dir);
    c
}
