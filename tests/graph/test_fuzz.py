"""Mutated graph files: nothing but FormatError escapes ``load``, quickly and in bounded memory.

The corpus (10,000 files, seeded) is built from a few valid files by bit flips, byte
overwrites, truncations, insertions and deletions, lying zip lengths and offsets, and edits of
graph.json fields (with the digest recomputed, so that the deeper checks run). CI loads a
seeded sample of 1,000; ``PULLBACK_FULL_MATRIX=1`` loads all of them.
"""

import io
import json
import os
import random
import struct
import time
import tracemalloc

import pytest

from pullback.graph.io import FormatError, load

from ._files import entries, rebuild, valid_files

CORPUS = 10_000
SAMPLE = 1_000
FULL = os.environ.get("PULLBACK_FULL_MATRIX") == "1"

_ODD_VALUES = [
    -1,
    0,
    1,
    2**31,
    2**63,
    2**64 // 8,
    10**20,
    -(2**63),
    1.5,
    float("1e308"),
    True,
    None,
    "",
    "float64",
    "object",
    "<f8",
    "custom/x",
    "../../etc/passwd",
    [],
    {},
    [[[[0]]]],
    {"$": "array", "name": "a0"},
    {"$": "array", "name": "nope"},
    {"$": "slice"},
    {"$": "scalar", "dtype": "int8", "value": 300},
    {"const": 1},
    [0, [2**40], "float64"],
]


def _flip_bits(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def _overwrite(rng, data):
    data = bytearray(data)
    at = rng.randrange(len(data))
    data[at : at + 4] = rng.choice([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff"])
    return bytes(data)


def _truncate(rng, data):
    return data[: rng.randrange(len(data))]


def _splice(rng, data):
    at = rng.randrange(len(data))
    if rng.random() < 0.5:
        return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16))) + data[at:]
    return data[:at] + data[at + rng.randint(1, 16) :]


def _lie_in_zip(rng, data):
    """A length or offset field of a zip record set to a nearby or huge value."""
    data = bytearray(data)
    records = [(b"PK\x03\x04", [18, 22, 26, 28]), (b"PK\x01\x02", [20, 24, 28, 30, 42])]
    records.append((b"PK\x05\x06", [8, 10, 12, 16]))
    signature, fields = rng.choice(records)
    starts = [i for i in range(len(data) - 4) if data[i : i + 4] == signature]
    at = rng.choice(starts) + rng.choice(fields)
    size = 4 if rng.random() < 0.6 else 2
    fmt = "<I" if size == 4 else "<H"
    old = struct.unpack_from(fmt, data, at)[0]
    new = rng.choice([old + 1, old - 1, old + 64, 0, 2 ** (8 * size) - 1, old * 2])
    struct.pack_into(fmt, data, at, new % 2 ** (8 * size))
    return bytes(data)


def _json_nodes(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _json_nodes(v, (*path, k))
    elif isinstance(node, list):
        for k, v in enumerate(node):
            yield from _json_nodes(v, (*path, k))


def _edit_json(rng, data):
    """One field of graph.json replaced, removed or duplicated; the digest is kept valid."""
    items = entries(data)
    body = json.loads(dict(items)["graph.json"])
    nodes = list(_json_nodes(body))
    path, _ = rng.choice(nodes[1:])
    parent = body
    for key in path[:-1]:
        parent = parent[key]
    action = rng.random()
    if action < 0.7:
        parent[path[-1]] = rng.choice(_ODD_VALUES)
    elif action < 0.85 and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, list):
        parent.insert(path[-1], parent[path[-1]])
    else:
        parent["extra"] = 1
    text = json.dumps(body).encode()
    if rng.random() < 0.1:
        text = text.replace(b"{", b"[" * 100_000, 1)
    items = [(n, text if n == "graph.json" else d) for n, d in items]
    return rebuild(items, fix_digest=rng.random() < 0.9)


MUTATIONS = [_flip_bits, _overwrite, _truncate, _splice, _lie_in_zip, _edit_json, _edit_json]


def corpus(valid: dict, n: int, seed: int = 0):
    """``n`` mutated files (seeded), each with the mutations applied to make it."""
    rng = random.Random(seed)
    bases = sorted(valid)
    for _ in range(n):
        data = valid[rng.choice(bases)]
        names = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            mutation = rng.choice(MUTATIONS)
            names.append(mutation.__name__)
            try:
                data = mutation(rng, data)
            except Exception:  # noqa: BLE001 -- a mutation that no longer applies to this file
                break
        yield names, data


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    return valid_files(tmp_path_factory.mktemp("fuzz"))


def _load_one(data: bytes):
    try:
        load(io.BytesIO(data))
    except FormatError as e:
        return str(e)
    return None


def test_fuzzed_files_raise_only_format_errors_quickly_in_bounded_memory(valid):
    rng = random.Random(1)
    cases = list(corpus(valid, CORPUS))
    assert len(cases) == CORPUS
    chosen = cases if FULL else rng.sample(cases, SAMPLE)
    worst_time = 0.0
    worst_memory = 0
    accepted = 0
    for k, (names, data) in enumerate(chosen):
        tracemalloc.start()
        start = time.perf_counter()
        try:
            message = _load_one(data)
        except Exception as e:  # noqa: BLE001 -- the point of the test
            pytest.fail(f"case {k} ({names}) raised {type(e).__name__}: {e}")
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        accepted += message is None
        assert message is None or not message.startswith("malformed file ("), (k, names, message)
        assert elapsed < 1.0, (k, names, elapsed)
        assert peak < 2 * len(data) + 64 * 2**20, (k, names, peak)
        worst_time = max(worst_time, elapsed)
        worst_memory = max(worst_memory, peak)
    print(
        f"\n{len(chosen)} fuzzed files: {accepted} still valid, max {worst_time * 1e3:.1f} ms, "
        f"max peak {worst_memory / 2**20:.2f} MiB"
    )
