"""Case files and batch inputs (YAML, XLSX workbook, directory of CSV/XLSX/Parquet)."""

from kaohe.cases.loading import (
    Case,
    CaseLoadError,
    find_cases,
    load_batch,
    load_case,
    load_tables,
)

__all__ = ["Case", "CaseLoadError", "find_cases", "load_batch", "load_case", "load_tables"]
