"""kaohe (考核): performance assessment of government service centers, rules as data."""

__version__ = "0.1.0"
