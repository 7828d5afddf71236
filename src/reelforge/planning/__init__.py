"""Turns a checked request and a tier into a RenderPlan (pure functions).

``plan`` lives in :mod:`reelforge.planning.planner`.
"""

from .plan import Conditioning, Reference, RenderPlan, Segment, Span

__all__ = ["Conditioning", "Reference", "RenderPlan", "Segment", "Span"]
