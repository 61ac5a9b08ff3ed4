"""Primitives by family. Each op's NumPy implementation and its rules sit side by side."""
