"""reelforge.engines.animatic"""
