//! File operations confined to the cache folder, which other users or CI
//! jobs may share and so may have filled with anything, symbolic links
//! included.
//!
//! The root folder is opened once, by the path the user gave (followed like
//! any path they give). Below it, every path is walked one component at a
//! time from that open folder (`openat`), and no component is ever
//! followed if it is a symbolic link (`O_NOFOLLOW`): a link planted for a
//! fan-out folder, `tuf/`, `attestations/`, `v1/`, `lock` or an entry makes
//! the operation fail, never read or write elsewhere. Files are created
//! with `O_EXCL` under fresh random names and renamed into place within the
//! same open folder (`renameat`), and removed with `unlinkat`: neither
//! follows a link. A file that is not a regular file (a FIFO, a device) is
//! refused after it is opened without blocking.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

/// Prefix of temporary files.
pub(crate) const TEMP_PREFIX: &str = ".tmp";

/// A path in the cache that is a symbolic link, or not the kind of file
/// expected: the operation was refused.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) path: PathBuf,
    pub(crate) what: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is {}, which the cache never follows or uses; remove it",
            self.path.display(),
            self.what
        )
    }
}

impl std::error::Error for Refused {}

/// Whether an error is a [`Refused`] path.
pub(crate) fn is_refused(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<Refused>())
}

fn refused(path: PathBuf, what: &'static str) -> io::Error {
    io::Error::other(Refused { path, what })
}

/// The plain names of a relative path; anything else (`..`, `/`, a prefix)
/// is a mistake in the caller.
fn names(relative: &Path) -> io::Result<Vec<&std::ffi::OsStr>> {
    relative
        .components()
        .map(|c| match c {
            Component::Normal(name) => Ok(name),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a plain relative path", relative.display()),
            )),
        })
        .collect()
}

/// A random name for a temporary file.
fn temp_name() -> String {
    let mut name = String::from(TEMP_PREFIX);
    name.extend(std::iter::repeat_with(fastrand::alphanumeric).take(12));
    name
}

#[cfg(unix)]
mod imp {
    use std::ffi::OsStr;
    use std::os::fd::{AsFd, OwnedFd};

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;

    use super::*;

    /// The open root folder.
    #[derive(Debug)]
    pub(crate) struct Folder(OwnedFd);

    /// How a failed `openat` of `name` in `folder` (at `path`) is reported:
    /// a symbolic link, or a file where a folder belongs, is refused;
    /// anything else as it is.
    fn open_error(errno: Errno, folder: &OwnedFd, name: &OsStr, path: PathBuf) -> io::Error {
        // A final symbolic link under O_NOFOLLOW gives ELOOP (EMLINK on
        // FreeBSD), or ENOTDIR with O_DIRECTORY: look at what it is.
        if ![Errno::LOOP, Errno::MLINK, Errno::NOTDIR].contains(&errno) {
            return io::Error::from(errno);
        }
        match rustix::fs::statat(folder, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::Symlink => {
                refused(path, "a symbolic link")
            }
            Ok(_) if errno == Errno::NOTDIR => refused(path, "not a folder"),
            _ => io::Error::from(errno),
        }
    }

    const DIR_FLAGS: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);

    impl Folder {
        pub(crate) fn open_root(path: &Path) -> io::Result<Self> {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            rustix::fs::open(path, flags, Mode::empty())
                .map(Self)
                .map_err(io::Error::from)
        }

        /// The folder `names` below this one, each opened without
        /// following a link; created when missing if `create`.
        pub(crate) fn folder(
            &self,
            root: &Path,
            names: &[&OsStr],
            create: bool,
        ) -> io::Result<Self> {
            let mut current = self.0.try_clone()?;
            let mut path = root.to_path_buf();
            for name in names {
                path.push(name);
                let opened = match rustix::fs::openat(&current, *name, DIR_FLAGS, Mode::empty()) {
                    Err(Errno::NOENT) if create => {
                        match rustix::fs::mkdirat(&current, *name, Mode::from_raw_mode(0o755)) {
                            Ok(()) | Err(Errno::EXIST) => {}
                            Err(errno) => return Err(io::Error::from(errno)),
                        }
                        rustix::fs::openat(&current, *name, DIR_FLAGS, Mode::empty())
                    }
                    other => other,
                };
                current =
                    opened.map_err(|errno| open_error(errno, &current, name, path.clone()))?;
            }
            Ok(Self(current))
        }

        /// Open the regular file `name` in this folder without following a
        /// link or blocking on a FIFO: `None` when it does not exist.
        pub(crate) fn open_file(
            &self,
            path: &Path,
            name: &OsStr,
            write: bool,
            create: bool,
        ) -> io::Result<Option<File>> {
            let mut flags = OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
            flags |= if write { OFlags::RDWR } else { OFlags::RDONLY };
            if create {
                flags |= OFlags::CREATE;
            }
            let fd = match rustix::fs::openat(&self.0, name, flags, Mode::from_raw_mode(0o644)) {
                Ok(fd) => fd,
                Err(Errno::NOENT) if !create => return Ok(None),
                Err(errno) => return Err(open_error(errno, &self.0, name, path.to_path_buf())),
            };
            let stat = rustix::fs::fstat(&fd)?;
            if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
                return Err(refused(path.to_path_buf(), "not a regular file"));
            }
            // Back to blocking reads and writes (a regular file never blocks,
            // but nothing should depend on that).
            let flags = rustix::fs::fcntl_getfl(&fd)?;
            rustix::fs::fcntl_setfl(&fd, flags - OFlags::NONBLOCK)?;
            Ok(Some(File::from(fd)))
        }

        /// Write `bytes` to a fresh temporary file in this folder and
        /// rename it over `name`.
        pub(crate) fn replace(&self, name: &OsStr, bytes: &[u8]) -> io::Result<()> {
            let flags =
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let mut attempts = 0;
            let (temp, fd) = loop {
                let temp = temp_name();
                match rustix::fs::openat(&self.0, &temp, flags, Mode::from_raw_mode(0o644)) {
                    Ok(fd) => break (temp, fd),
                    Err(Errno::EXIST) if attempts < 8 => attempts += 1,
                    Err(errno) => return Err(io::Error::from(errno)),
                }
            };
            let written = File::from(fd).write_all(bytes).and_then(|()| {
                rustix::fs::renameat(&self.0, &temp, &self.0, name).map_err(io::Error::from)
            });
            if written.is_err() {
                let _ = rustix::fs::unlinkat(&self.0, &temp, AtFlags::empty());
            }
            written
        }

        /// The entries of this folder: `(name, is a folder, is a regular file)`,
        /// as the folder says without following anything.
        pub(crate) fn entries(&self) -> io::Result<Vec<(std::ffi::OsString, bool, bool)>> {
            use std::os::unix::ffi::OsStrExt;
            let mut entries = Vec::new();
            for entry in rustix::fs::Dir::read_from(self.0.as_fd())? {
                let entry = entry?;
                let name = OsStr::from_bytes(entry.file_name().to_bytes());
                if name == "." || name == ".." {
                    continue;
                }
                let kind = match entry.file_type() {
                    FileType::Unknown => {
                        let stat = rustix::fs::statat(&self.0, name, AtFlags::SYMLINK_NOFOLLOW)?;
                        FileType::from_raw_mode(stat.st_mode)
                    }
                    kind => kind,
                };
                entries.push((
                    name.to_os_string(),
                    kind == FileType::Directory,
                    kind == FileType::RegularFile,
                ));
            }
            Ok(entries)
        }

        /// Remove `name` from this folder (a link itself, never its target).
        pub(crate) fn remove(&self, name: &OsStr) -> io::Result<()> {
            rustix::fs::unlinkat(&self.0, name, AtFlags::empty()).map_err(io::Error::from)
        }
    }
}

// Compiled on other systems only; mutation testing leaves it out (see
// .cargo/mutants.toml), as no test here can build it.
#[cfg(not(unix))]
#[path = "confined_portable.rs"]
mod imp;

/// A folder none of whose contents is trusted (see the module docs).
#[derive(Debug)]
pub(crate) struct Confined {
    root: PathBuf,
    folder: imp::Folder,
}

impl Confined {
    /// Open the folder at `root`, which must exist.
    pub(crate) fn open(root: &Path) -> io::Result<Self> {
        Ok(Self {
            root: root.to_path_buf(),
            folder: imp::Folder::open_root(root)?,
        })
    }

    /// Split `relative` into its folder and file name, both opened safely.
    fn parent_of(&self, relative: &Path, create: bool) -> io::Result<(imp::Folder, PathBuf)> {
        let names = names(relative)?;
        let Some((_, folders)) = names.split_last() else {
            return Err(io::ErrorKind::InvalidInput.into());
        };
        let folder = self.folder.folder(&self.root, folders, create)?;
        Ok((folder, self.root.join(relative)))
    }

    /// Open (creating it when `write`) the regular file `relative`, never
    /// through a link; `None` when it does not exist and `write` is false.
    pub(crate) fn open_file(&self, relative: &Path, write: bool) -> io::Result<Option<File>> {
        let (folder, path) = self.parent_of(relative, write)?;
        let name = path.file_name().expect("a plain relative path has a name");
        folder.open_file(&path, name, write, write)
    }

    /// The bytes of the regular file `relative`, if it exists; an error
    /// when it is larger than `max` bytes, is a link or is not a regular file.
    pub(crate) fn read(&self, relative: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
        let (folder, path) = match self.parent_of(relative, false) {
            Ok(found) => found,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let name = path.file_name().expect("a plain relative path has a name");
        let Some(file) = folder.open_file(&path, name, false, false)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.take(max + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is larger than {max} bytes", path.display()),
            ));
        }
        Ok(Some(bytes))
    }

    /// Write `relative` atomically (a temporary file in the same folder,
    /// renamed over it), creating its folders.
    pub(crate) fn write_atomic(&self, relative: &Path, bytes: &[u8]) -> io::Result<()> {
        let (folder, path) = self.parent_of(relative, true)?;
        let name = path.file_name().expect("a plain relative path has a name");
        folder.replace(name, bytes)
    }

    /// Remove the file `relative` (a link itself, never its target); a
    /// file that is not there is not an error.
    pub(crate) fn remove(&self, relative: &Path) -> io::Result<()> {
        let (folder, path) = match self.parent_of(relative, false) {
            Ok(found) => found,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let name = path.file_name().expect("a plain relative path has a name");
        match folder.remove(name) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Every regular file under the folder `relative` (down to `depth`
    /// folders below it), relative to that folder, with its bytes.
    /// Refused: a link or any other kind of file anywhere, more than
    /// `max_files` files, or more than `max_bytes` in all.
    pub(crate) fn files(
        &self,
        relative: &Path,
        depth: usize,
        max_files: usize,
        max_bytes: u64,
    ) -> io::Result<Vec<(PathBuf, Vec<u8>)>> {
        let mut found = Vec::new();
        let mut budget = max_bytes;
        let mut pending = vec![(PathBuf::new(), depth)];
        while let Some((below, depth)) = pending.pop() {
            let folder_path = relative.join(&below);
            let folder = self
                .folder
                .folder(&self.root, &names(&folder_path)?, false)?;
            for (name, is_folder, is_file) in folder.entries()? {
                let path = below.join(&name);
                if is_folder {
                    if depth > 0 {
                        pending.push((path, depth - 1));
                    }
                    continue;
                }
                if !is_file {
                    return Err(refused(
                        self.root.join(relative).join(&path),
                        "not a regular file",
                    ));
                }
                if name.to_string_lossy().starts_with(TEMP_PREFIX) {
                    continue;
                }
                if found.len() == max_files {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{} holds more than {max_files} files",
                            self.root.join(relative).display()
                        ),
                    ));
                }
                let full = relative.join(&path);
                let bytes = self.read(&full, budget)?.ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{} vanished", full.display()),
                    )
                })?;
                budget -= bytes.len() as u64;
                found.push((path, bytes));
            }
        }
        found.sort();
        Ok(found)
    }

    /// Remove the temporary files in the folder `relative` and, down to
    /// `depth` levels, in its folders. Links are removed as names, never
    /// followed; errors are ignored (a leftover is harmless).
    pub(crate) fn remove_temporaries(&self, relative: &Path, depth: usize) {
        let Ok(names) = names(relative) else {
            return;
        };
        let Ok(folder) = self.folder.folder(&self.root, &names, false) else {
            return;
        };
        let Ok(entries) = folder.entries() else {
            return;
        };
        for (name, is_folder, _) in entries {
            if name.to_string_lossy().starts_with(TEMP_PREFIX) && !is_folder {
                let _ = folder.remove(&name);
            } else if is_folder && depth > 0 {
                self.remove_temporaries(&relative.join(&name), depth - 1);
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn nothing_is_read_or_written_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"outside").unwrap();
        let root = dir.path().join("cache");
        std::fs::create_dir(&root).unwrap();
        symlink(outside.path(), root.join("linked")).unwrap();
        symlink(outside.path().join("secret"), root.join("file")).unwrap();
        let confined = Confined::open(&root).unwrap();

        for relative in ["linked/new", "linked/sub/new"] {
            let error = confined
                .write_atomic(Path::new(relative), b"x")
                .unwrap_err();
            assert!(is_refused(&error), "{relative}: {error}");
        }
        let error = confined.read(Path::new("linked/secret"), 100).unwrap_err();
        assert!(is_refused(&error), "{error}");
        let error = confined.read(Path::new("file"), 100).unwrap_err();
        assert!(is_refused(&error), "{error}");
        let error = confined.open_file(Path::new("file"), true).unwrap_err();
        assert!(is_refused(&error), "{error}");
        assert!(confined.files(Path::new(""), 2, 10, 1000).is_err());
        confined.remove_temporaries(Path::new(""), 2);
        assert_eq!(
            std::fs::read_dir(outside.path()).unwrap().count(),
            1,
            "nothing was created or removed outside"
        );
        assert_eq!(
            std::fs::read(outside.path().join("secret")).unwrap(),
            b"outside"
        );

        // A link in place of a file is replaced as a name, never written through.
        confined.write_atomic(Path::new("file"), b"mine").unwrap();
        assert!(!std::fs::symlink_metadata(root.join("file"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read(outside.path().join("secret")).unwrap(),
            b"outside"
        );
    }

    /// A refusal says what was found where: a link, or a file where a
    /// folder belongs; other failures are passed on as they are.
    #[test]
    fn a_refusal_names_the_path_and_what_it_found() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plain"), b"x").unwrap();
        symlink(outside.path(), dir.path().join("linked")).unwrap();
        let confined = Confined::open(dir.path()).unwrap();

        let error = confined
            .write_atomic(Path::new("plain/inner"), b"x")
            .unwrap_err();
        assert!(is_refused(&error), "{error}");
        assert_eq!(
            error.to_string(),
            format!(
                "{} is not a folder, which the cache never follows or uses; remove it",
                dir.path().join("plain").display()
            )
        );
        let error = confined
            .write_atomic(Path::new("linked/inner"), b"x")
            .unwrap_err();
        assert!(
            error.to_string().contains("linked is a symbolic link"),
            "{error}"
        );
        // A missing file is no refusal.
        assert!(!is_refused(&io::Error::from(io::ErrorKind::NotFound)));
        assert!(!is_refused(&io::Error::other("another failure")));
    }

    /// Reading never creates the folders on the way.
    #[test]
    fn reading_a_missing_entry_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let confined = Confined::open(dir.path()).unwrap();
        assert_eq!(confined.read(Path::new("a/b/c.json"), 10).unwrap(), None);
        assert!(confined.open_file(Path::new("a/b/c.json"), false).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// Temporary names carry the prefix the clean-up looks for, and differ
    /// from one write to the next (two writers never share one).
    #[test]
    fn temporary_names_are_prefixed_and_distinct() {
        let a = temp_name();
        let b = temp_name();
        assert!(a.starts_with(TEMP_PREFIX) && b.starts_with(TEMP_PREFIX));
        assert_eq!(a.len(), TEMP_PREFIX.len() + 12);
        assert_ne!(a, b);
    }

    /// A temporary file is created new, never opened through a name that
    /// is already there: a link planted at the very name the next write
    /// will pick (here foreseen by seeding the generator) is skipped, and
    /// nothing is written through it.
    #[test]
    fn a_link_planted_at_the_next_temporary_name_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("target");
        std::fs::write(&target, b"outside").unwrap();
        let confined = Confined::open(dir.path()).unwrap();
        fastrand::seed(7);
        let next = temp_name();
        symlink(&target, dir.path().join(&next)).unwrap();
        fastrand::seed(7);
        confined.write_atomic(Path::new("entry"), b"mine").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"outside");
        assert_eq!(std::fs::read(dir.path().join("entry")).unwrap(), b"mine");
        // The planted link is left alone; the write picked another name.
        assert!(std::fs::symlink_metadata(dir.path().join(&next))
            .unwrap()
            .file_type()
            .is_symlink());
    }

    /// Nine names in use in a row (a collision, or names planted by
    /// someone predicting the generator): the write gives up with an error,
    /// rather than trying names for ever.
    #[test]
    fn a_write_gives_up_after_nine_names_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let confined = Confined::open(dir.path()).unwrap();
        fastrand::seed(11);
        for _ in 0..9 {
            std::fs::write(dir.path().join(temp_name()), b"planted").unwrap();
        }
        fastrand::seed(11);
        let error = confined
            .write_atomic(Path::new("entry"), b"mine")
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists, "{error}");
        assert!(!dir.path().join("entry").exists());
        // The tenth name was free: one collision fewer and the write is made.
        fastrand::seed(11);
        let _ = temp_name();
        confined.write_atomic(Path::new("entry"), b"mine").unwrap();
        assert_eq!(std::fs::read(dir.path().join("entry")).unwrap(), b"mine");
    }

    /// Only temporary files are removed, and only down to the depth asked.
    #[test]
    fn only_temporaries_are_removed_down_to_the_depth() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let confined = Confined::open(root).unwrap();
        let temp = |folder: &str| format!("{folder}{TEMP_PREFIX}x");
        for path in ["a/entry.json", "a/b/entry.json", "a/b/c/entry.json"] {
            confined.write_atomic(Path::new(path), b"kept").unwrap();
        }
        for path in [temp("a/"), temp("a/b/"), temp("a/b/c/")] {
            std::fs::write(root.join(path), b"left over").unwrap();
        }
        std::fs::create_dir(root.join(format!("a/{TEMP_PREFIX}folder"))).unwrap();
        confined.remove_temporaries(Path::new("a"), 1);
        assert!(!root.join(temp("a/")).exists());
        assert!(!root.join(temp("a/b/")).exists());
        // Below the depth asked: left alone.
        assert!(root.join(temp("a/b/c/")).exists());
        // Entries and folders stay, whatever their names.
        for path in ["a/entry.json", "a/b/entry.json", "a/b/c/entry.json"] {
            assert!(root.join(path).exists(), "{path}");
        }
        assert!(root.join(format!("a/{TEMP_PREFIX}folder")).is_dir());
    }

    /// A file may be as large as the limit, not larger.
    #[test]
    fn the_read_limit_is_inclusive() {
        let dir = tempfile::tempdir().unwrap();
        let confined = Confined::open(dir.path()).unwrap();
        std::fs::write(dir.path().join("entry"), b"12345").unwrap();
        assert_eq!(
            confined.read(Path::new("entry"), 5).unwrap().as_deref(),
            Some(&b"12345"[..])
        );
        let error = confined.read(Path::new("entry"), 4).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(
            error.to_string().ends_with("is larger than 4 bytes"),
            "{error}"
        );
    }

    /// A file to be created where the folder has since been removed is an
    /// error, not "absent" (that answer is for reading only).
    #[test]
    fn creating_in_a_removed_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        std::fs::create_dir(&root).unwrap();
        let confined = Confined::open(&root).unwrap();
        std::fs::remove_dir(&root).unwrap();
        let error = confined.open_file(Path::new("lock"), true).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound, "{error}");
        assert!(confined
            .open_file(Path::new("lock"), false)
            .unwrap()
            .is_none());
    }

    /// An entry that does not exist in an existing folder is no error.
    #[test]
    fn a_missing_file_in_an_existing_folder_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let confined = Confined::open(dir.path()).unwrap();
        confined.write_atomic(Path::new("a/one"), b"1").unwrap();
        assert_eq!(confined.read(Path::new("a/two"), 10).unwrap(), None);
        assert!(confined
            .open_file(Path::new("a/two"), false)
            .unwrap()
            .is_none());
    }

    /// The root must be a folder.
    #[test]
    fn a_root_that_is_a_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        assert!(Confined::open(&file).is_err());
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            dir.path().join("pipe"),
            rustix::fs::Mode::from_raw_mode(0o644),
        )
        .unwrap();
        let confined = Confined::open(dir.path()).unwrap();
        let error = confined.read(Path::new("pipe"), 100).unwrap_err();
        assert!(is_refused(&error), "{error}");
    }

    #[test]
    fn files_are_listed_with_their_bytes_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let confined = Confined::open(dir.path()).unwrap();
        confined.write_atomic(Path::new("t/a.json"), b"a").unwrap();
        confined
            .write_atomic(Path::new("t/targets/b.json"), b"bb")
            .unwrap();
        let files = confined.files(Path::new("t"), 1, 10, 100).unwrap();
        assert_eq!(
            files,
            vec![
                (PathBuf::from("a.json"), b"a".to_vec()),
                (PathBuf::from("targets/b.json"), b"bb".to_vec())
            ]
        );
        assert!(confined.files(Path::new("t"), 1, 1, 100).is_err());
        assert!(confined.files(Path::new("t"), 1, 10, 2).is_err());
        // Depth 1 stops one level down; depth 0: the folder's own files
        // only; the byte budget is inclusive.
        confined
            .write_atomic(Path::new("t/targets/deeper/c.json"), b"c")
            .unwrap();
        assert_eq!(confined.files(Path::new("t"), 1, 10, 100).unwrap().len(), 2);
        assert_eq!(
            confined.files(Path::new("t"), 0, 10, 1).unwrap(),
            vec![(PathBuf::from("a.json"), b"a".to_vec())]
        );
        assert_eq!(confined.files(Path::new("t"), 1, 10, 3).unwrap().len(), 2);
    }
}
