"""Data I/O core: every stage loads and writes datasets through here.

The canonical schema is `prompt` (string or chat messages), `answer` (the gold final answer as a string),
optional `solution` and `id`; other columns are kept. One module per concern:
  sources     dataset specs and where rows come from (tasks, local files and folders, the hub)
  diagnose    what is wrong with a data file the reader would reject, as one line
  canonical   the canonical columns, and the GSM8K / MATH rules that derive a gold answer
  files       writing datasets, reading and writing jsonl files, scratch Arrow files
  pairs       SFT prompt/completion pairs from any of the schemas a training set may have
Callers use the names below (`data.load(...)`, `data.write_jsonl(...)`), not the modules.
"""

from r1cli.data.canonical import (
                                  ID_COLUMNS,
                                  PROMPT_COLUMNS,
                                  SOLUTION_COLUMNS,
                                  canonicalize,
                                  check_preferences,
                                  derive_answer,
                                  text_or_chat,
)
from r1cli.data.files import DATASET_DIR, read_jsonl, read_objects, save, scratch_file, write_jsonl
from r1cli.data.pairs import is_chat, load_pairs, pairs_schema, to_pairs
from r1cli.data.sources import COMMON_KEYS, FILE_FORMATS, load, parse_spec

__all__ = [
    "COMMON_KEYS", "DATASET_DIR", "FILE_FORMATS", "ID_COLUMNS", "PROMPT_COLUMNS", "SOLUTION_COLUMNS",
    "canonicalize", "check_preferences", "derive_answer", "is_chat", "load", "load_pairs", "pairs_schema", "parse_spec",
    "read_jsonl", "read_objects", "save", "scratch_file", "text_or_chat", "to_pairs", "write_jsonl",
]
