"""mainframe"""
