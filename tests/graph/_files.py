"""Valid graph files, a way to rewrite one and a check that one is refused, for the io,
container and fuzz tests."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.graph.io import FormatError, load, save


@pb.custom_vjp
def softplus(x):
    return pnp.log1p(pnp.exp(x))


softplus.defvjp(lambda x: (softplus(x), x), lambda x, g: (g * 3 * pnp.tanh(x),))


def mlp(x, w):
    return pnp.sum(pnp.tanh(x @ w[0]) @ w[1] + np.arange(2.0))


def custom(x):
    y = softplus(pnp.sin(x))[np.array([0, 2, 1])]
    return {"y": y, "s": pnp.sum(y[..., None] * x[:2], axis=(0,))}


def valid_files(tmp_path) -> dict[str, bytes]:
    """A few small valid files, by name."""
    rng = np.random.default_rng(0)
    w = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))]
    made = {
        "mlp": (mlp, (np.ones((2, 3)), w)),
        "custom": (custom, (np.linspace(0.1, 0.9, 3),)),
        "scalar": (lambda x: pnp.sin(x) * 2.0, (0.5,)),
    }
    out = {}
    for name, (f, args) in made.items():
        path = tmp_path / f"{name}.pb"
        save(path, f, *args)
        out[name] = path.read_bytes()
    return out


def entries(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(info.filename, z.read(info)) for info in z.infolist()]


def rebuild(items: list[tuple[str, bytes]], fix_digest: bool = True) -> bytes:
    """A zip of ``items`` as ``save`` writes them, with graph.sha256 recomputed if asked."""
    if fix_digest:
        text = dict(items)["graph.json"]
        digest = (hashlib.sha256(text).hexdigest() + "\n").encode()
        items = [(n, digest if n == "graph.sha256" else d) for n, d in items]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            z.writestr(info, data)
    return buffer.getvalue()


def with_json(data: bytes, edit, fix_digest: bool = True) -> bytes:
    """``data`` with graph.json replaced by ``edit(parsed)`` (which may mutate and return None)."""
    items = entries(data)
    body = json.loads(dict(items)["graph.json"])
    result = edit(body)
    body = body if result is None else result
    text = body if isinstance(body, bytes) else json.dumps(body).encode()
    items = [(n, text if n == "graph.json" else d) for n, d in items]
    return rebuild(items, fix_digest)


def rejects(data: bytes, pattern: str) -> None:
    with pytest.raises(FormatError, match=pattern):
        load(io.BytesIO(data))
