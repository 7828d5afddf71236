"""reelforge.lineup"""
