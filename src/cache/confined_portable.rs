//! Without `openat`: each component is checked with `symlink_metadata`
//! before use. A link swapped in between the check and the use is not
//! caught here, as it is on Unix.
use std::ffi::OsStr;

use super::*;

#[derive(Debug)]
pub(crate) struct Folder(PathBuf);

fn check(path: &Path, folder: bool) -> io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            Err(refused(path.to_path_buf(), "a symbolic link"))
        }
        Ok(meta) if folder && !meta.is_dir() => Err(refused(path.to_path_buf(), "not a folder")),
        Ok(meta) if !folder && !meta.is_file() => {
            Err(refused(path.to_path_buf(), "not a regular file"))
        }
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

impl Folder {
    pub(crate) fn open_root(path: &Path) -> io::Result<Self> {
        if !std::fs::metadata(path)?.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, "not a folder"));
        }
        Ok(Self(path.to_path_buf()))
    }

    pub(crate) fn folder(&self, _: &Path, names: &[&OsStr], create: bool) -> io::Result<Self> {
        let mut path = self.0.clone();
        for name in names {
            path.push(name);
            if !check(&path, true)? {
                if !create {
                    return Err(io::ErrorKind::NotFound.into());
                }
                match std::fs::create_dir(&path) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                    _ => {}
                }
                check(&path, true)?;
            }
        }
        Ok(Self(path))
    }

    pub(crate) fn open_file(
        &self,
        _: &Path,
        name: &OsStr,
        write: bool,
        create: bool,
    ) -> io::Result<Option<File>> {
        let path = self.0.join(name);
        if !check(&path, false)? && !create {
            return Ok(None);
        }
        std::fs::OpenOptions::new()
            .read(true)
            .write(write)
            .create(create)
            .truncate(false)
            .open(&path)
            .map(Some)
    }

    pub(crate) fn replace(&self, name: &OsStr, bytes: &[u8]) -> io::Result<()> {
        let mut temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&self.0)?;
        temp.write_all(bytes)?;
        temp.persist(self.0.join(name))
            .map(drop)
            .map_err(|e| e.error)
    }

    pub(crate) fn entries(&self) -> io::Result<Vec<(std::ffi::OsString, bool, bool)>> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(&self.0)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            entries.push((entry.file_name(), kind.is_dir(), kind.is_file()));
        }
        Ok(entries)
    }

    pub(crate) fn remove(&self, name: &OsStr) -> io::Result<()> {
        std::fs::remove_file(self.0.join(name))
    }
}
