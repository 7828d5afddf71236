"""reelforge.planning"""
