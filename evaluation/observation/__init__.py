"""Structured classroom observation (课堂观察量表): instruments as data, coded samples, their analysis."""
