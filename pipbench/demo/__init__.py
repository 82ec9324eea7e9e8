"""The shipped demo: its seeded data generator and the end-to-end run behind ``make demo``."""

from pipbench.demo.generate import STORY, Story, generate_demo

__all__ = ["STORY", "Story", "generate_demo"]
