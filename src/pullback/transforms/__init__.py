"""Transforms: interpreters over primitives (reverse, forward) and the functions built on them."""
