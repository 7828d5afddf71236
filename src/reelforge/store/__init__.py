"""reelforge.store"""
