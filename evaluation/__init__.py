"""Lesson observation and evaluation: rubrics, timestamped notes, scores, aggregation, reports."""
