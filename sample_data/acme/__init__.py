"""The evalnb sample-data generator: "Helpdesk assistant of the fictional company Acme Cloud".

Everything is fictional and seeded; `python sample_data/make_sample_data.py [--out DIR]` regenerates
every file byte-identically. Only numpy and the standard library are used.

Layout (see sample_data/README.md):
  constants.py       every number of the generating model (SEED, effects, links, prices, ...)
  common.py          named random streams, picking, formatting, loading tables/*.json
  vocabulary.py      names, services, devices, plans, ... and the slot values of one case
  scenarios.py       support scenarios (summarization / chat / classification grammar)
  knowledge_base.py  facts for qa / rag and the help-center corpus
  code_families.py   code task families (templates in tables/code_templates.json)
  code_tasks.py      tests from running the reference; correct / buggy variant checks
  texts.py           item inputs, references and model outputs
  runs.py            items, latent quality, outputs, judges, eval rows      -> runs/<model>.jsonl
  kpis.py            production KPIs                                        -> kpis.csv
  code_samples.py    pass@k samples and the hidden code truth               -> code_samples.jsonl, _truth/
  adversarial.py     perturbations and robustness rows                      -> adversarial.jsonl
  generate.py        assembles and writes everything (prices.json from constants.PRICES)
  tables/*.json      the content tables (sentences, names, facts, code templates, payloads)
"""
