"""reelforge.engines"""
