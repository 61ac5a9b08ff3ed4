"""Helpers shared by the tests of the seed programs in examples/."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name: str):
    """Import ``examples/<name>.py`` as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolves string annotations through sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def printed(capsys) -> list[str]:
    """The lines printed since the last call."""
    return capsys.readouterr().out.splitlines()


def assert_plots_only_with_matplotlib(main, argv: list[str], path: pathlib.Path, capsys) -> None:
    """``main(argv)`` with a ``--plot`` flag writes ``path`` if matplotlib is installed, and
    says it is not otherwise."""
    main(argv)
    out = capsys.readouterr().out
    if importlib.util.find_spec("matplotlib") is None:
        assert "matplotlib is not installed" in out
        assert not path.exists()
    else:
        assert path.stat().st_size > 0
