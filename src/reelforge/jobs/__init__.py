"""reelforge.jobs"""
