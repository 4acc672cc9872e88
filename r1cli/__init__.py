"""r1cli: the DeepSeek-R1 training recipe (arXiv 2501.12948) as one command-line tool, `r1`."""

__version__ = "0.1.0"
