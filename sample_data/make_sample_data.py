#!/usr/bin/env python3
"""Generate the evalnb sample dataset: "Helpdesk assistant of the fictional company Acme Cloud".

Everything here is fictional and seeded. Running

    python sample_data/make_sample_data.py            # writes into sample_data/
    python sample_data/make_sample_data.py --out DIR  # writes into DIR

regenerates every file byte-identically. Only numpy and the standard library are used.
The generator is the package sample_data/acme/ (numbers in acme/constants.py, content tables in
acme/tables/*.json). See sample_data/README.md for the generating formulas and the planted truths.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from acme.generate import main  # noqa: E402

if __name__ == "__main__":
    main()
