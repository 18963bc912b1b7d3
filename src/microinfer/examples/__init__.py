"""Example models microinfer builds itself, so every command can be tried without downloads."""

from .magic_wand import build_magic_wand

EXAMPLES = {"magic-wand": build_magic_wand}

__all__ = ["EXAMPLES", "build_magic_wand"]
