"""reelforge.spec"""
