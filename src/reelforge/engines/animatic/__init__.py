"""The built-in animatic engine: CPU previz of every workflow, no weights."""

from .engine import AnimaticEngine

__all__ = ["AnimaticEngine"]
