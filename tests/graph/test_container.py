"""The container of a saved graph: magic, zip directory, entry layout and .npy headers."""

import io
import struct

import pytest

from pullback.graph.io import FormatError, load

from ._files import entries, rebuild, rejects, valid_files, with_json


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return valid_files(tmp_path_factory.mktemp("valid"))


def test_pickle_and_marshal_payloads_fail_the_magic_check():
    import marshal  # noqa: F401 -- only to build the payloads; the loader never imports it
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    payloads = [pickle.dumps(Evil()), marshal.dumps(compile("1", "x", "eval")), b"", b"PK\x03\x04"]
    for payload in payloads:
        rejects(payload, r"not a pullback graph file \(magic mismatch at byte 0\)")


def test_truncation_at_every_byte_is_a_format_error(files):
    data = files["scalar"]
    for n in range(len(data)):
        with pytest.raises(FormatError):
            load(io.BytesIO(data[:n]))


def test_trailing_bytes_are_refused(files):
    rejects(files["scalar"] + b"polyglot", "end-of-directory")


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_entry_names_with_paths_are_refused(files):
    items = entries(files["scalar"])
    rejects(rebuild(items + [("../evil.npy", b"x")]), "unexpected entry '../evil.npy'")
    rejects(rebuild(items + [("/etc/passwd", b"x")]), "unexpected entry")
    rejects(rebuild(items + [("arrays/a9.npy", b"x"), ("arrays/a9.npy", b"y")]), "duplicate entry")


def test_symlink_entries_are_refused(files):
    data = bytearray(files["scalar"])
    cd = data.rfind(b"PK\x01\x02")  # the last directory record: external attributes at +38
    struct.pack_into("<I", data, cd + 38, 0o120777 << 16)
    rejects(bytes(data), "not a regular file")


def test_entries_that_overlap_leave_gaps_or_run_past_the_end_are_refused(files):
    data = files["mlp"]
    end = data.rfind(b"PK\x05\x06")
    cd_offset = struct.unpack_from("<I", data, end + 16)[0]
    last = data.rfind(b"PK\x01\x02")
    for delta, pattern in [(-8, "overlaps|disagrees"), (8, "gap|disagrees|past")]:
        bad = bytearray(data)
        local_at = struct.unpack_from("<I", bad, last + 42)[0]
        struct.pack_into("<I", bad, last + 42, local_at + delta)
        rejects(bytes(bad), pattern)
    bad = bytearray(data)
    struct.pack_into("<I", bad, last + 20, 10**9)  # compressed size past the end
    rejects(bytes(bad), "compressed|past|disagrees")
    bad = bytearray(data)
    struct.pack_into("<I", bad, end + 16, cd_offset + 1)
    rejects(bytes(bad), "central directory")


def test_header_length_lies_and_bad_npy_headers_are_refused(files):
    items = entries(files["mlp"])
    name, npy = next((n, d) for n, d in items if n.startswith("arrays/"))

    def replaced(new: bytes) -> bytes:
        return rebuild([(n, new if n == name else d) for n, d in items])

    rejects(replaced(npy[:8] + struct.pack("<H", 60000) + npy[10:]), "sha256 mismatch")

    def relisted(new: bytes):
        def edit(body):
            key = name[len("arrays/") : -len(".npy")]
            body["arrays"][key]["sha256"] = __import__("hashlib").sha256(new).hexdigest()

        return with_json(rebuild([(n, new if n == name else d) for n, d in items]), edit)

    rejects(relisted(npy[:8] + struct.pack("<H", 60000) + npy[10:]), "runs past the entry")
    header = npy[10:].split(b"\n")[0]
    for bad_header, pattern in [
        (header.replace(b"'<f8'", b"'|O'"), "not the canonical"),
        (header.replace(b"'<f8'", b"'<f4'"), "differs from the listed"),
        (header.replace(b"False", b"True"), "not the canonical"),
        (header.replace(b"(2,)", b"(-2,)"), "not the canonical"),
        (header.replace(b"(2,)", b"(3,)"), "differs from the listed"),
    ]:
        rejects(relisted(npy[:10] + bad_header + npy[10 + len(header) :]), pattern)
    rejects(relisted(npy[:-8]), "data bytes for shape")
