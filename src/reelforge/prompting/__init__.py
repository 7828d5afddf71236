"""reelforge.prompting"""
