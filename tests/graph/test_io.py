import collections
import io
import json
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.graph.check import check_ir
from pullback.graph.io import FormatError, load, save

from ._files import custom, entries, mlp, rebuild, rejects, softplus, valid_files, with_json

EXAMPLES = pathlib.Path(__file__).parents[2] / "examples"

# Loads a file in a fresh process (no test code imported) and writes the value, the gradient
# and a second-order gradient of sum(f(x)) to an .npz file.
FRESH = """
import sys, numpy as np, pullback as pb, pullback.numpy as pnp
from pullback.graph.io import load
f = load(sys.argv[1])
x = np.load(sys.argv[2])
s = lambda x: pnp.sum(f(x))
g = pb.grad(s)
h = pb.grad(lambda x: pnp.sum(g(x) ** 2))
assert not any(m.startswith(("tests", "seed")) for m in sys.modules)
np.savez(sys.argv[3], value=f(x), grad=g(x), second=h(x))
"""


def fresh(*args) -> subprocess.CompletedProcess:
    code = args[0]
    run = subprocess.run([sys.executable, "-c", code, *map(str, args[1:])], capture_output=True)
    return run


def derivatives(f, x):
    s = lambda x: pnp.sum(f(x))
    g = pb.grad(s)
    return {"value": f(x), "grad": g(x), "second": pb.grad(lambda x: pnp.sum(g(x) ** 2))(x)}


def _seed002():
    sys.path.insert(0, str(EXAMPLES))
    try:
        import seed002_custom_gradients
    finally:
        sys.path.remove(str(EXAMPLES))
    return seed002_custom_gradients


def _checkpointed(x):
    block = pb.checkpoint(lambda x: pnp.tanh(softplus(x)) * x)
    return pb.with_derivative(block(x), lambda g: g * 10) ** 2


def _module():
    nn = pytest.importorskip("pullback.nn")
    model = nn.Sequential(nn.Dense(3, 4), nn.Dense(4, 1))
    return lambda x: model(x.reshape(1, 3))[0, 0] + 0.0 * pnp.sum(x), model


MODELS = {
    "mlp": lambda: (lambda x: mlp(x, [np.eye(3, 4), np.ones((4, 2))]), np.ones((2, 3))),
    "custom_vjp": lambda: (lambda x: custom(x)["s"], np.linspace(0.1, 0.9, 3)),
    "custom_gradient": lambda: (lambda v: _seed002().clip_gradients(v * v), np.array(2.0)),
    "checkpoint_hook": lambda: (_checkpointed, np.linspace(-1.0, 1.0, 4)),
    # 0-d array constants (np.ascontiguousarray would have saved them as shape (1,))
    "zero_d_arrays": lambda: (
        lambda x: pnp.tanh(x * np.array(2.0)) + np.array(0.5, np.float32),
        np.linspace(-1.0, 1.0, 3),
    ),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_in_a_fresh_process_is_bit_identical(tmp_path, name):
    f, x = MODELS[name]()
    save(tmp_path / "f.pb", f, x)
    np.save(tmp_path / "x.npy", x)
    run = fresh(FRESH, tmp_path / "f.pb", tmp_path / "x.npy", tmp_path / "out.npz")
    assert run.returncode == 0, run.stderr.decode()
    with np.load(tmp_path / "out.npz") as after:
        for key, before in derivatives(f, x).items():
            assert np.array_equal(after[key], before), key


def test_module_round_trip_keeps_its_weights(tmp_path):
    nn = pytest.importorskip("pullback.nn")
    model = nn.Sequential(nn.Dense(3, 4), nn.Dense(4, 2))
    x = np.random.default_rng(0).standard_normal((5, 3))
    save(tmp_path / "m.pb", model, x)
    loaded = load(tmp_path / "m.pb")
    assert np.array_equal(loaded(x), model(x))
    grad = lambda f: pb.grad(lambda x: pnp.sum(f(x) ** 2))(x)
    assert np.array_equal(grad(loaded), grad(model))


def test_seed002_clip_gradients_survives_saving(tmp_path):
    clip_gradients = _seed002().clip_gradients
    save(tmp_path / "clip.pb", lambda v: clip_gradients(v * v), np.float32(2.0))
    code = """
import sys, numpy as np, pullback as pb
from pullback.graph.io import load
model = load(sys.argv[1])
v = pb.Variable(np.float32(2.0))
with pb.GradientTape() as t:
    output = model(v)
print(t.gradient(output, v).numpy())
"""
    run = fresh(code, tmp_path / "clip.pb")
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout.decode().split() == ["2.0"]


def test_without_custom_gradients_the_forward_works_and_grad_raises(tmp_path):
    f = lambda x: pnp.sum(custom(x)["y"])
    x = np.linspace(0.1, 0.9, 3)
    save(tmp_path / "f.pb", f, x, custom_gradients=False)
    code = """
import sys, numpy as np, pullback as pb
from pullback.graph.io import load
f = load(sys.argv[1])
print(repr(float(f(np.linspace(0.1, 0.9, 3)))))
try:
    pb.grad(f)(np.linspace(0.1, 0.9, 3))
except LookupError as e:
    print(e)
"""
    run = fresh(code, tmp_path / "f.pb")
    value, message = run.stdout.decode().splitlines()
    assert float(value) == float(f(x))
    assert message.startswith("No gradient defined for operation 'custom/softplus'")


def test_checkpoint_keeps_its_gradient_without_custom_gradients(tmp_path):
    f = pb.checkpoint(lambda x: pnp.sum(pnp.sin(x) ** 2))
    save(tmp_path / "f.pb", f, np.ones(3), custom_gradients=False)
    assert np.array_equal(pb.grad(load(tmp_path / "f.pb"))(np.ones(3)), pb.grad(f)(np.ones(3)))


def test_loaded_function_checks_its_arguments(tmp_path):
    save(tmp_path / "f.pb", lambda x: x * 2.0, np.ones(3))
    f = load(tmp_path / "f.pb")
    with pytest.raises(TypeError, match=r"saved for input 0 of shape \(3,\) float64"):
        f(np.ones(4))


Point = collections.namedtuple("Point", "x y")


def test_save_refuses_what_the_format_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="cannot save dtype str32"):
        save(tmp_path / "f.pb", lambda x: (x, np.array(["a"])), np.ones(1))
    with pytest.raises(TypeError, match=r"cannot save a function whose arguments"):
        save(tmp_path / "f.pb", lambda p: p.x, Point(1.0, 2.0))


def test_check_ir_passes_a_traced_graph_and_names_an_undefined_variable():
    g = pb.trace(lambda x: pnp.sin(x) * 2.0, np.zeros(3))
    check_ir(g)
    g.equations[1].inputs[0] = 9
    with pytest.raises(FormatError, match=r"equation 1 \('multiply'\): input v9 is used before"):
        check_ir(g)


# --- bad files ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return valid_files(tmp_path_factory.mktemp("valid"))


def test_valid_files_load(files):
    for data in files.values():
        load(io.BytesIO(data))


def test_shape_overflow_and_bad_dims_are_refused_before_allocation(files):
    def shape(dims):
        def edit(body):
            body["graph"]["invars"][0][1] = dims

        return with_json(files["scalar"], edit)

    rejects(shape([2**64 // 8]), "more than 4294967296 elements")
    rejects(shape([2**32, 2**32]), "more than")
    rejects(shape([-1]), "not a non-negative integer")
    rejects(shape([1.5]), "not a non-negative integer")
    rejects(shape([True]), "not a non-negative integer")
    rejects(shape([10**30]), "out of|more than|21 digits")
    rejects(with_json(files["scalar"], lambda b: b'{"a": NaN}'), "NaN is not JSON")

    def array_shape(body):
        body["arrays"]["a0"]["shape"] = [2**62, 4]

    rejects(with_json(files["mlp"], array_shape), "more than")


def test_unknown_dtypes_ops_and_value_tags_are_refused(files):
    def set_dtype(body):
        body["graph"]["invars"][0][2] = "object"

    rejects(with_json(files["scalar"], set_dtype), "unknown dtype 'object'")

    def set_op(body):
        body["graph"]["equations"][0]["op"] = "os.system"

    rejects(with_json(files["scalar"], set_op), "unknown operation 'os.system'")

    def set_tag(body):
        body["graph"]["equations"][1]["in"][1] = {"const": {"$": "pickle", "data": "..."}}

    rejects(with_json(files["scalar"], set_tag), "unknown value tag 'pickle'")


def test_cycles_undefined_and_redefined_variables_are_refused(files):
    def cycle(body):
        body["graph"]["equations"][0]["in"][0] = 2  # its own output

    rejects(with_json(files["scalar"], cycle), r"equation 0 \('sin'\): input v2 is used before")

    def undefined(body):
        body["graph"]["outvars"] = [99]

    rejects(with_json(files["scalar"], undefined), "output v99 is never defined")

    def redefined(body):
        body["graph"]["equations"][1]["out"][0][0] = 1

    rejects(with_json(files["scalar"], redefined), "v1 is defined twice")


def test_wrong_arity_param_types_and_avals_are_refused(files):
    def arity(body):
        body["graph"]["equations"][1]["in"].append(0)

    rejects(with_json(files["scalar"], arity), r"'multiply'\): takes 2 input\(s\), got 3")

    def mlp_eqn(body, op):
        return next(e for e in body["graph"]["equations"] if e["op"] == op)

    rejects(
        with_json(files["mlp"], lambda b: mlp_eqn(b, "sum")["params"].update(keepdims=3)),
        "parameter 'keepdims' must be a bool",
    )
    rejects(
        with_json(files["mlp"], lambda b: mlp_eqn(b, "sum")["params"].update(where=1)),
        r"unknown parameter\(s\) \['where'\]",
    )
    rejects(
        with_json(files["mlp"], lambda b: mlp_eqn(b, "tanh")["out"][0][1].append(7)),
        r"declared shape \(2, 4, 7\) float64, but the operation gives shape \(2, 4\) float64",
    )
    rejects(
        with_json(files["mlp"], lambda b: mlp_eqn(b, "tanh")["out"][0].__setitem__(2, "int8")),
        "declared shape .* int8, but the operation gives shape .* float64",
    )


def test_custom_operation_avals_must_match_their_subgraphs(files):
    def edit(body):
        body["customs"][0]["primal"]["invars"][0][1] = [4]

    rejects(with_json(files["custom"], edit), "input avals|declared shape")

    def self_primal(body):
        primal = body["customs"][0]["primal"]
        primal["equations"].append(
            {"op": "custom/softplus", "custom": 0, "in": [0], "out": [[99, [3], "float64"]]}
        )

    rejects(with_json(files["custom"], self_primal), "uses itself")


def test_duplicate_json_keys_deep_nesting_and_bad_utf8_are_refused(files):
    rejects(with_json(files["scalar"], lambda b: b'{"format": 1, "format": 2}'), "duplicate key")
    rejects(with_json(files["scalar"], lambda b: b"[" * 10**6), "nested deeper")
    rejects(with_json(files["scalar"], lambda b: b'{"a": "\xff"}'), "invalid UTF-8 at byte 7")
    rejects(with_json(files["scalar"], lambda b: b'{"a": '), "invalid JSON at byte 6")
    rejects(with_json(files["scalar"], lambda b: b"[]"), "not a JSON object")

    def deep(body):
        value = 0
        for _ in range(200):
            value = [value]
        body["graph"]["equations"][1]["in"][1] = {"const": value}

    rejects(with_json(files["scalar"], deep), "nested deeper than 64")


def test_a_newer_format_is_refused_with_its_version(files):
    def newer(body):
        body["version"] = [3, 0]

    rejects(with_json(files["scalar"], newer), r"file format 3.0 is newer than supported 1.x")


def test_sha256_mismatches_are_refused(files):
    def edit(body):
        body["name"] = "other"

    rejects(with_json(files["scalar"], edit, fix_digest=False), "sha256 mismatch for graph.json")
    items = entries(files["mlp"])
    flipped = [(n, d[:-1] + bytes([d[-1] ^ 1]) if n == "arrays/a0.npy" else d) for n, d in items]
    rejects(rebuild(flipped), "sha256 mismatch for array 'a0'")


def test_unlisted_or_missing_arrays_are_refused(files):
    items = entries(files["mlp"])
    rejects(rebuild([i for i in items if i[0] != "arrays/a0.npy"]), "these differ")
    rejects(rebuild(items + [("arrays/zz.npy", items[-1][1])]), "these differ")


def test_every_failure_names_its_place(files):
    data = bytearray(files["mlp"])
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(FormatError, match=r"byte \d+|entry|equation|array|graph.json|sha256"):
        load(io.BytesIO(bytes(data)))


# --- the loader's source -----------------------------------------------------------------

FORBIDDEN = ["pickle", "marshal", "dill", "importlib", "eval(", "exec(", "allow_pickle=True"]
FORBIDDEN += ["pickle.load"]


def test_the_package_has_no_unsafe_loader():
    package = pathlib.Path(pb.__file__).parent
    found = []
    for path in package.rglob("*.py"):
        for k, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            for word in FORBIDDEN:
                if word in code and not re.search(r"\w" + re.escape(word), code):
                    found.append(f"{path.relative_to(package)}:{k}: {word}")
    loader = [f for f in found if f.startswith(("graph/", "_core/"))]
    assert loader == []
    # H50: no fallback to an unsafe loader anywhere in the package
    assert not [f for f in found if f.endswith("allow_pickle=True")]
    assert not [f for f in found if f.endswith("pickle.load")]


def test_saved_json_is_readable(files):
    body = json.loads(dict(entries(files["scalar"]))["graph.json"])
    assert body["format"] == "pullback-graph" and body["version"] == [1, 0]
    assert [e["op"] for e in body["graph"]["equations"]] == ["sin", "multiply"]
