"""Experiments on top of the estimators and protocols: the demo, tables and statistics."""

from .report import format_table, paired_test, subject_means, summary_table

__all__ = ["format_table", "paired_test", "subject_means", "summary_table"]
