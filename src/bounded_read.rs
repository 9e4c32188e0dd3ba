//! Reading hostile input within bounds: a file up to a size
//! ([`read_at_most`], which every input file goes through), a JSON list
//! up to a number of items ([`json_list`]), and one Sigstore bundle up to
//! its size ([`bundle`], the one parse of every bundle). The bounds
//! themselves are in [`crate::limits`].

use std::io::Read;
use std::path::Path;

/// The byte that opens a JSON object, `{`.
pub const OBJECT_START: u8 = b'\x7b';

/// Whether `text` opens a JSON object: its first character is `{`.
pub fn opens_object(text: &str) -> bool {
    text.as_bytes().first() == Some(&OBJECT_START)
}

/// A JSON list as [`json_list`] reads it.
#[derive(Debug)]
pub enum JsonList<'a> {
    /// Each item's JSON text.
    Items(Vec<&'a serde_json::value::RawValue>),
    /// More items than allowed: how many (none of them kept).
    Over(usize),
}

/// The items of the JSON list `text`, each kept as the text it was sent as
/// (no tree of values is built, whatever the items hold), and none kept
/// past `max`: a longer list is [`JsonList::Over`], counted to its end.
/// An error for text that is not a JSON list.
pub fn json_list(text: &str, max: usize) -> Result<JsonList<'_>, serde_json::Error> {
    use serde::de::{Deserializer as _, IgnoredAny, SeqAccess, Visitor};
    use serde_json::value::RawValue;
    struct Items(usize);
    impl<'de> Visitor<'de> for Items {
        type Value = JsonList<'de>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<JsonList<'de>, S::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<&'de RawValue>()? {
                if items.len() == self.0 {
                    let mut count = items.len() + 1;
                    while seq.next_element::<IgnoredAny>()?.is_some() {
                        count += 1;
                    }
                    return Ok(JsonList::Over(count));
                }
                items.push(item);
            }
            Ok(JsonList::Items(items))
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let list = deserializer.deserialize_seq(Items(max))?;
    deserializer.end()?;
    Ok(list)
}

/// Why a bundle's JSON was not read as a bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("bundle of {len} bytes is over the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    /// Not JSON, or not a bundle: the parser's reason.
    #[error("{0}")]
    NotABundle(String),
}

/// One bundle's JSON parsed into its type: refused past `max` bytes
/// (the limit of one bundle) before anything is read, then parsed by
/// `sigstore-types` (which decodes the DSSE payload and keeps the envelope
/// as sent, for its hash).
pub fn bundle(json: &str, max: usize) -> Result<sigstore_types::Bundle, BundleError> {
    if json.len() > max {
        return Err(BundleError::TooLarge {
            len: json.len(),
            max,
        });
    }
    sigstore_types::Bundle::from_json(json).map_err(|e| BundleError::NotABundle(e.to_string()))
}

/// Read `path`, but never more than `max` bytes of it.
///
/// Returns `Ok(Err(size))` when the file holds more: `size` is its length
/// for a regular file (known before reading), else `max + 1` (a pipe or a
/// device such as `/dev/zero`, whose length says nothing).
pub fn read_at_most(path: &Path, max: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    read_open(std::fs::File::open(path)?, max)
}

/// Read `path` as [`read_at_most`] does, but only when it is a regular
/// file: for files in folders others fill (cargo's caches, a checkout, a
/// `dir` source), where a FIFO would block the run forever and a device
/// never ends. The file is opened without blocking (opening a FIFO waits
/// for a writer otherwise) and anything but a regular file, links
/// followed, is an error of kind `InvalidInput` saying what it is.
pub fn read_regular_at_most(path: &Path, max: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path)?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("not a regular file but {}", kind_name(kind)),
        ));
    }
    read_open(file, max)
}

/// What a file that is not a regular one is, in words.
fn kind_name(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "a special file"
    }
}

/// Read the open `file` up to `max` bytes (see [`read_at_most`]).
fn read_open(file: std::fs::File, max: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    let metadata = file.metadata()?;
    if metadata.is_file() && metadata.len() > max {
        return Ok(Err(metadata.len()));
    }
    let expected = if metadata.is_file() {
        metadata.len()
    } else {
        0
    };
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Ok(Err(max.saturating_add(1)));
    }
    Ok(Ok(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_list_keeps_its_items_as_text_and_no_more_than_allowed() {
        let JsonList::Items(items) = json_list(r#"[1, {"a": [2]}, "x"]"#, 3).unwrap() else {
            panic!("three items are allowed")
        };
        let texts: Vec<&str> = items.iter().map(|i| i.get()).collect();
        assert_eq!(texts, ["1", r#"{"a": [2]}"#, r#""x""#]);
        assert!(matches!(
            json_list("[1, 2, 3, 4]", 3),
            Ok(JsonList::Over(4))
        ));
        for not_a_list in ["{}", "null", "[1,", "[1] x"] {
            assert!(json_list(not_a_list, 3).is_err(), "{not_a_list}");
        }
    }

    #[test]
    fn reads_up_to_the_limit_and_refuses_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_at_most(&path, 10).unwrap(), Ok(b"0123456789".to_vec()));
        assert_eq!(read_at_most(&path, 9).unwrap(), Err(10));
        assert!(read_at_most(&dir.path().join("missing"), 9).is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_endless_device_is_cut_at_the_limit() {
        assert_eq!(
            read_at_most(Path::new("/dev/zero"), 1024).unwrap(),
            Err(1025)
        );
    }

    #[cfg(unix)]
    #[test]
    fn only_a_regular_file_is_read_and_a_fifo_never_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"1234").unwrap();
        assert_eq!(
            read_regular_at_most(&file, 4).unwrap(),
            Ok(b"1234".to_vec())
        );
        assert_eq!(read_regular_at_most(&file, 3).unwrap(), Err(4));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(
            read_regular_at_most(&link, 4).unwrap(),
            Ok(b"1234".to_vec())
        );

        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::RUSR).unwrap();
        let zero = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        for (path, what) in [
            (&fifo, "a FIFO"),
            (&zero, "a device"),
            (&dir.path().to_path_buf(), "a folder"),
        ] {
            let error = read_regular_at_most(path, 4).unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
            assert_eq!(error.to_string(), format!("not a regular file but {what}"));
        }
        assert_eq!(
            read_regular_at_most(&dir.path().join("absent"), 4)
                .unwrap_err()
                .kind(),
            std::io::ErrorKind::NotFound
        );
    }
}
