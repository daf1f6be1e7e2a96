"""`python -m acme [--out DIR]` (run from sample_data/) is the same as `python sample_data/make_sample_data.py`."""
from .generate import main

main()
