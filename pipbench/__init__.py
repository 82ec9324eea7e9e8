"""pipbench: a workbench for Performance Improvement Plans."""
