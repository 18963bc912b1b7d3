"""Example models microinfer builds itself, so every command can be tried without downloads."""

from .magic_wand import build_magic_wand
from .person_detect import person_detect_like

EXAMPLES = {"magic-wand": build_magic_wand, "person-detect": person_detect_like}

__all__ = ["EXAMPLES", "build_magic_wand", "person_detect_like"]
