"""Graphs: a flat SSA list of equations (``ir``), recorded by a tracing level (``trace``),
replayed and optimised by ``jit``."""
