"""The container of a saved graph: a zip of stored entries that tile the file exactly.

``write`` writes the entries; ``Archive`` reads them back, checking the magic, the end record,
the central directory and every local header against it (no overlaps, gaps, links, paths or
compression) and each entry's crc32; ``npy_header`` checks an array's ``.npy`` header against
the manifest before any data is read. The layout is in ``io.py``'s docstring. Every problem
raises ``FormatError``.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib

import numpy as np

from .check import FormatError

MAGIC_ENTRY = "PULLBACK"
MAGIC = b"pullback-graph\n"
MAX_FILE_BYTES = 2**32 - 1
MAX_ENTRIES = 65535

FIXED = (MAGIC_ENTRY, "graph.json", "graph.sha256")
_ARRAY_ENTRY = re.compile(r"arrays/([a-z0-9_]{1,64})\.npy")
_LOCAL = struct.Struct("<4s5H3I2H")  # local file header, 30 bytes
_CENTRAL = struct.Struct("<4s6H3I5H2I")  # central directory record, 46 bytes
_END = struct.Struct("<4s4H2IH")  # end of central directory, 22 bytes
_S_IFMT, _S_IFREG = 0o170000, 0o100000


def write(path, entries: list[tuple[str, bytes]]) -> None:
    """Write ``entries`` (name, data) as stored zip entries, replacing ``path`` atomically."""
    tmp = f"{os.fspath(path)}.tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (_S_IFREG | 0o644) << 16
            archive.writestr(info, data)
    os.replace(tmp, path)


class Archive:
    """A file being read as a container: its size, its entries and their bytes."""

    def __init__(self, fh) -> None:
        self.fh = fh
        self.size = fh.seek(0, io.SEEK_END)

    def bytes_at(self, offset: int, n: int, what: str) -> bytes:
        if offset + n > self.size:
            raise FormatError(
                f"{what} at byte {offset} runs past the end of the file ({self.size} bytes)"
            )
        self.fh.seek(offset)
        data = self.fh.read(n)
        if len(data) != n:
            raise FormatError(f"{what} at byte {offset}: file truncated")
        return data

    def check_magic(self) -> None:
        self.fh.seek(0)
        head = self.fh.read(_LOCAL.size + len(MAGIC_ENTRY) + len(MAGIC))
        name_at = _LOCAL.size
        if (
            head[:4] != b"PK\x03\x04"
            or head[name_at : name_at + len(MAGIC_ENTRY)] != MAGIC_ENTRY.encode()
            or head[name_at + len(MAGIC_ENTRY) :] != MAGIC
        ):
            raise FormatError("not a pullback graph file (magic mismatch at byte 0)")
        if self.size > MAX_FILE_BYTES:
            raise FormatError(f"file of {self.size} bytes is over the {MAX_FILE_BYTES} limit")

    def directory(self) -> dict[str, tuple[int, int, int]]:
        """``{name: (data offset, size, crc32)}`` after checking that the entries tile the file."""
        end_at = self.size - _END.size
        if end_at < 0:
            raise FormatError("file truncated: no end-of-directory record")
        sig, disk, cd_disk, n_disk, n, cd_size, cd_offset, comment = _END.unpack(
            self.bytes_at(end_at, _END.size, "end-of-directory record")
        )
        if sig != b"PK\x05\x06" or disk or cd_disk or comment or n_disk != n:
            raise FormatError(
                f"byte {end_at}: bad end-of-directory record (trailing bytes, a "
                f"comment or a multi-disk archive)"
            )
        if n > MAX_ENTRIES or n < len(FIXED):
            raise FormatError(
                f"byte {end_at}: {n} entries (expected {len(FIXED)} to {MAX_ENTRIES})"
            )
        if cd_offset + cd_size != end_at:
            raise FormatError(
                f"byte {end_at}: central directory at {cd_offset}+{cd_size} does "
                f"not end where the end record starts"
            )
        records = self.central(cd_offset, cd_size, n)
        return self.local(records, cd_offset)

    def central(self, offset: int, size: int, n: int) -> list:
        data = self.bytes_at(offset, size, "central directory")
        records = []
        seen = set()
        at = 0
        for k in range(n):
            where = f"central directory record {k} (byte {offset + at})"
            if at + _CENTRAL.size > size:
                raise FormatError(f"{where}: runs past the directory")
            fields = _CENTRAL.unpack_from(data, at)
            sig, _, _, flags, method, _, _, crc, csize, usize, nlen, xlen, clen = fields[:13]
            disk, _, attrs, local_at = fields[13:]
            name = _entry_name(data[at + _CENTRAL.size : at + _CENTRAL.size + nlen], where)
            if sig != b"PK\x01\x02" or disk or xlen or clen:
                raise FormatError(f"{where}: bad record for entry {name!r}")
            _check_entry(name, flags, method, csize, usize, attrs, where)
            if name in seen:
                raise FormatError(f"{where}: duplicate entry {name!r}")
            seen.add(name)
            records.append((local_at, name, flags, crc, csize))
            at += _CENTRAL.size + nlen
        if at != size:
            raise FormatError(f"byte {offset + at}: {size - at} stray bytes in the directory")
        return records

    def local(self, records: list, cd_offset: int) -> dict:
        order = [r[1] for r in records]
        if tuple(order[: len(FIXED)]) != FIXED:
            raise FormatError(f"entries must begin {list(FIXED)}, got {order[:3]}")
        entries = {}
        expected_at = 0
        for local_at, name, flags, crc, csize in sorted(records):
            where = f"entry {name!r} (byte {local_at})"
            if local_at != expected_at:
                kind = "overlaps the previous entry" if local_at < expected_at else "leaves a gap"
                raise FormatError(f"{where}: {kind} (expected byte {expected_at})")
            sig, _, lflags, method, _, _, lcrc, lcsize, lusize, nlen, xlen = _LOCAL.unpack(
                self.bytes_at(local_at, _LOCAL.size, where)
            )
            lname = self.bytes_at(local_at + _LOCAL.size, nlen, where)
            if (sig, lflags, method, lcrc, lcsize, lusize, xlen) != (
                b"PK\x03\x04",
                flags,
                0,
                crc,
                csize,
                csize,
                0,
            ) or lname != name.encode():
                raise FormatError(f"{where}: local header disagrees with the directory")
            data_at = local_at + _LOCAL.size + nlen
            expected_at = data_at + csize
            if expected_at > cd_offset:
                raise FormatError(f"{where}: data runs past the central directory")
            entries[name] = (data_at, csize, crc)
        if expected_at != cd_offset:
            raise FormatError(
                f"byte {expected_at}: gap of {cd_offset - expected_at} bytes "
                f"before the central directory"
            )
        return entries

    def entry(self, entries_or_span, name: str) -> bytes:
        data_at, size, crc = entries_or_span
        data = self.bytes_at(data_at, size, f"entry {name!r}")
        if zlib.crc32(data) != crc:
            raise FormatError(f"entry {name!r}: crc32 mismatch")
        return data


def _entry_name(raw: bytes, where: str) -> str:
    try:
        name = raw.decode("ascii")
    except UnicodeDecodeError:
        raise FormatError(f"{where}: entry name is not ASCII") from None
    if name not in FIXED and not _ARRAY_ENTRY.fullmatch(name):
        raise FormatError(
            f"{where}: unexpected entry {name[:80]!r} (the format has "
            f"{list(FIXED)} and arrays/<name>.npy only; no paths)"
        )
    return name


def _check_entry(name, flags, method, csize, usize, attrs, where) -> None:
    if flags & ~0x0800 or method != 0 or csize != usize:
        raise FormatError(
            f"{where}: entry {name!r} is compressed, encrypted or streamed; "
            f"the format stores entries as they are"
        )
    mode = attrs >> 16
    if mode and mode & _S_IFMT != _S_IFREG:
        raise FormatError(f"{where}: entry {name!r} is not a regular file (a link?)")


_DESCR = {
    "|b1": "bool",
    "|i1": "int8",
    "|u1": "uint8",
    "<i2": "int16",
    "<u2": "uint16",
    "<i4": "int32",
    "<u4": "uint32",
    "<i8": "int64",
    "<u8": "uint64",
    "<f2": "float16",
    "<f4": "float32",
    "<f8": "float64",
    "<c8": "complex64",
    "<c16": "complex128",
}
_NPY_DICT = re.compile(
    r"\{'descr': '([<|][a-z][0-9]{1,2})', 'fortran_order': False, 'shape': (\([0-9, ]*\)), \} *\n"
)


def npy_header(data: bytes, shape: tuple, dtype: np.dtype, where: str) -> int:
    """Check an .npy header against the manifest; return where its data starts."""
    if data[:6] != b"\x93NUMPY" or len(data) < 10:
        raise FormatError(f"{where}: not an .npy array (bad magic)")
    major = data[6]
    if (major, data[7]) == (1, 0):
        length, start = struct.unpack_from("<H", data, 8)[0], 10
    elif (major, data[7]) == (2, 0) and len(data) >= 12:
        length, start = struct.unpack_from("<I", data, 8)[0], 12
    else:
        raise FormatError(f"{where}: unsupported .npy version {major}.{data[7]}")
    if start + length > len(data):
        raise FormatError(
            f"{where}: header length {length} runs past the entry ({len(data)} bytes)"
        )
    header = data[start : start + length].decode("latin-1")
    match = _NPY_DICT.fullmatch(header)
    if match is None:
        raise FormatError(
            f"{where}: .npy header is not the canonical little-endian C-order "
            f"header of np.save: {header[:80]!r}"
        )
    descr, dims = match.groups()
    if _DESCR.get(descr) != dtype.name:
        raise FormatError(f"{where}: .npy dtype {descr!r} differs from the listed {dtype.name}")
    if dims != repr(shape):
        raise FormatError(f"{where}: .npy shape {dims} differs from the listed {shape}")
    return start + length
