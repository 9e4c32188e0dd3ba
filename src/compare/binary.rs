//! Compiled code, known by its magic bytes (never by its file name): what
//! nobody reviews in a diff and what a published package should not hide.

/// Whether `bytes` start like an object file, executable, library or
/// archive of compiled code: ELF; Mach-O (32 and 64 bit, either byte order,
/// and universal); PE (`MZ` with a `PE\0\0` header where it points); a COFF
/// object (a known machine, no optional header); a `bigobj` COFF object;
/// an `ar` archive (`.a`, `.lib`, `.rlib`); WebAssembly; LLVM bitcode.
pub fn is_binary(bytes: &[u8]) -> bool {
    const MAGICS: [&[u8]; 10] = [
        b"\x7fELF",
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"!<arch>\n",
        b"!<thin>\n",
        b"\0asm",
        b"BC\xc0\xde",
        b"\xde\xc0\x17\x0b",
    ];
    MAGICS.iter().any(|magic| bytes.starts_with(magic))
        || is_universal_mach_o(bytes)
        || is_pe(bytes)
        || is_coff_object(bytes)
}

/// `CAFEBABE` followed by a small number of architectures (a Java class
/// file has its version there, 45 or more).
fn is_universal_mach_o(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xca\xfe\xba\xbe")
        && bytes
            .get(4..8)
            .is_some_and(|n| u32::from_be_bytes([n[0], n[1], n[2], n[3]]) < 45)
}

fn is_pe(bytes: &[u8]) -> bool {
    if !bytes.starts_with(b"MZ") {
        return false;
    }
    let Some(offset) = bytes.get(0x3c..0x40) else {
        return false;
    };
    let offset = u32::from_le_bytes([offset[0], offset[1], offset[2], offset[3]]) as usize;
    bytes
        .get(offset..offset.saturating_add(4))
        .is_some_and(|sig| sig == b"PE\0\0")
}

/// A COFF object file (what MSVC and `clang --target=*-windows` write):
/// a machine type git would list, at most 96 sections, no optional header.
/// Also `bigobj` objects (`00 00 FF FF`, version 2).
fn is_coff_object(bytes: &[u8]) -> bool {
    const MACHINES: [u16; 6] = [0x014c, 0x8664, 0xaa64, 0x01c0, 0x01c4, 0xa641];
    if bytes.len() < 20 {
        return false;
    }
    let word = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    if word(0) == 0 && word(2) == 0xffff {
        return word(4) == 2;
    }
    MACHINES.contains(&word(0)) && (1..=96).contains(&word(2)) && word(16) == 0
}

#[cfg(test)]
mod tests {
    use super::is_binary;

    #[test]
    fn compiled_code_is_known_by_its_magic_bytes() {
        let mut pe = vec![0u8; 0x90];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        let mut coff = vec![0u8; 64];
        coff[..2].copy_from_slice(&0x8664u16.to_le_bytes());
        coff[2] = 3;
        for binary in [
            b"\x7fELF\x02\x01\x01".to_vec(),
            b"\xcf\xfa\xed\xfe\x07".to_vec(),
            b"\xca\xfe\xba\xbe\0\0\0\x02".to_vec(),
            b"!<arch>\n/               ".to_vec(),
            b"\0asm\x01\0\0\0".to_vec(),
            b"BC\xc0\xde\x35".to_vec(),
            pe,
            coff,
        ] {
            assert!(is_binary(&binary), "{binary:?}");
        }
        for text in [
            b"fn main() {}\n".to_vec(),
            b"MZ is a word".to_vec(),
            b"\xca\xfe\xba\xbe\0\0\0\x34".to_vec(),
            Vec::new(),
            b"\x89PNG\r\n\x1a\n".to_vec(),
        ] {
            assert!(!is_binary(&text), "{text:?}");
        }
    }
}
