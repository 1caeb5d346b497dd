//! Filesystem helpers for writing cluster folders atomically: new files with explicit modes,
//! a temporary sibling directory that is removed unless committed, and the rename at the end.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rand::RngCore;

use crate::error::{Error, Result};

/// Creates `path` (which must not exist) with `contents` and Unix permission bits `mode`.
pub(crate) fn write_new_file(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| Error::io(path, e))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// Creates the directory `path` (which must not exist) with permission bits `mode`.
pub(crate) fn create_dir(path: &Path, mode: u32) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder.create(path).map_err(|e| Error::io(path, e))
}

/// `Ok` if `path` does not exist or is an empty directory; an error if it is anything else.
pub(crate) fn check_absent_or_empty(path: &Path) -> Result<()> {
    match fs::read_dir(path) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(Error::io(
                path,
                "target directory exists and is not empty; choose a new directory or empty it",
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(
            path,
            format!("target is not a usable directory: {e}"),
        )),
    }
}

/// Creates the missing ancestors of `path`, returning those created (outermost first) so a
/// failed operation can remove them again.
pub(crate) fn create_parents(path: &Path) -> Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut current = path.parent();
    while let Some(dir) = current {
        if dir.as_os_str().is_empty() || dir.exists() {
            break;
        }
        missing.push(dir.to_path_buf());
        current = dir.parent();
    }
    missing.reverse();
    for dir in &missing {
        if let Err(e) = fs::create_dir(dir) {
            remove_empty_dirs(&missing);
            return Err(Error::io(dir, e));
        }
    }
    Ok(missing)
}

/// Removes the given directories innermost first, only if empty; errors are ignored.
pub(crate) fn remove_empty_dirs(dirs: &[PathBuf]) {
    for dir in dirs.iter().rev() {
        let _ = fs::remove_dir(dir);
    }
}

/// A directory beside a target, named `.<target>.tmp-<random>`, removed with its contents when
/// dropped unless [`StagingDir::commit`] renamed it onto the target.
#[derive(Debug)]
pub(crate) struct StagingDir {
    path: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl StagingDir {
    /// Creates the staging directory beside `target` with permission bits `mode`.
    pub(crate) fn beside(target: &Path, mode: u32) -> Result<Self> {
        let name = target
            .file_name()
            .ok_or_else(|| Error::io(target, "target must name a directory"))?;
        let mut suffix = [0u8; 6];
        rand::rngs::OsRng.fill_bytes(&mut suffix);
        let path = target.with_file_name(format!(
            ".{}.tmp-{}",
            name.to_string_lossy(),
            hex::encode(suffix)
        ));
        create_dir(&path, mode)?;
        Ok(StagingDir {
            path,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// The staging directory's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the staging directory onto the target (an absent or empty directory) and syncs
    /// the parent directory.
    pub(crate) fn commit(mut self) -> Result<PathBuf> {
        check_absent_or_empty(&self.target)?;
        if self.target.is_dir() {
            // Portable replacement of an empty directory (POSIX rename does this itself).
            fs::remove_dir(&self.target).map_err(|e| Error::io(&self.target, e))?;
        }
        fs::rename(&self.path, &self.target).map_err(|e| Error::io(&self.target, e))?;
        self.committed = true;
        if let Some(parent) = self.target.parent() {
            if let Ok(handle) = fs::File::open(parent) {
                // Persist the rename; not every platform can sync a directory.
                let _ = handle.sync_all();
            }
        }
        Ok(self.target.clone())
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Every immediate sub-directory of `dir` that contains `marker`, sorted by name.
pub(crate) fn subdirs_with(dir: &Path, marker: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        if path.is_dir() && path.join(marker).exists() {
            out.push(path);
        }
    }
    out.sort_by_key(|p| natural_key(p));
    Ok(out)
}

/// Sort key putting `node2` before `node10`: the name with its trailing number parsed.
fn natural_key(path: &Path) -> (String, u64, String) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, number) = name.split_at(name.len() - digits);
    (
        stem.to_string(),
        number.parse().unwrap_or(0),
        name.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_dir_is_removed_unless_committed() {
        let root = tempfile::tempdir().expect("tmp");
        let target = root.path().join("cluster");
        let staged = StagingDir::beside(&target, 0o755).expect("stage");
        write_new_file(&staged.path().join("f"), b"x", 0o400).expect("write");
        let staged_path = staged.path().to_path_buf();
        drop(staged);
        assert!(!staged_path.exists());
        assert!(!target.exists());

        let staged = StagingDir::beside(&target, 0o755).expect("stage");
        write_new_file(&staged.path().join("f"), b"x", 0o400).expect("write");
        fs::create_dir(&target).expect("empty target");
        assert_eq!(staged.commit().expect("commit"), target);
        assert_eq!(fs::read(target.join("f")).expect("read"), b"x");
        assert_eq!(fs::read_dir(root.path()).expect("ls").count(), 1);
    }

    #[test]
    fn target_rules() {
        let root = tempfile::tempdir().expect("tmp");
        let target = root.path().join("t");
        check_absent_or_empty(&target).expect("absent is fine");
        fs::create_dir(&target).expect("mkdir");
        check_absent_or_empty(&target).expect("empty is fine");
        fs::write(target.join("x"), "").expect("write");
        assert!(check_absent_or_empty(&target).is_err());
        let file = root.path().join("file");
        fs::write(&file, "").expect("write");
        assert!(check_absent_or_empty(&file).is_err());
    }

    #[test]
    fn parents_are_created_and_removed() {
        let root = tempfile::tempdir().expect("tmp");
        let target = root.path().join("a/b/c");
        let created = create_parents(&target).expect("parents");
        assert_eq!(
            created,
            vec![root.path().join("a"), root.path().join("a/b")]
        );
        assert!(root.path().join("a/b").is_dir());
        remove_empty_dirs(&created);
        assert!(!root.path().join("a").exists());
    }

    #[test]
    fn subdirs_sorted_naturally() {
        let root = tempfile::tempdir().expect("tmp");
        for name in ["node10", "node2", "other", "node0"] {
            fs::create_dir_all(root.path().join(name).join("validator_keys")).expect("mkdir");
        }
        fs::create_dir(root.path().join("empty")).expect("mkdir");
        let names: Vec<String> = subdirs_with(root.path(), "validator_keys")
            .expect("list")
            .iter()
            .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["node0", "node2", "node10", "other"]);
    }
}
