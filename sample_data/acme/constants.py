"""Every number of the generating model (documented in sample_data/README.md) lives here.

The content tables (names, scenario sentences, facts, code templates, adversarial payloads) are
data files under tables/; this module only holds the constants that shape the distributions.
"""
from __future__ import annotations

SEED = 20261126

# --------------------------------------------------------------------------------------------
# Configuration (every number documented in README.md lives here)
# --------------------------------------------------------------------------------------------
MODELS = ["atlas-large", "nova-medium", "swift-small", "legacy-v1"]
RUN_ID = {m: f"2026-10-{m}" for m in MODELS}
TASKS = ["summarization", "qa", "code", "classification", "rag", "chat"]
TASK_PREFIX = {"summarization": "sum", "qa": "qa", "code": "code", "classification": "cls",
               "rag": "rag", "chat": "chat"}
CATEGORIES = ["billing", "technical_support", "account", "shipping", "product_info", "returns",
              "security"]
N_PER_TASK = 400                      # 6 tasks x 400 = 2,400 items, x 4 models = 9,600 rows
MONTHS = [(2026, m) for m in range(5, 11)]   # May .. October 2026, 400 items per month

# category mix; October (distribution drift): billing share roughly doubles
CAT_MIX_BASE = {"billing": 0.14, "technical_support": 0.19, "account": 0.15, "shipping": 0.14,
                "product_info": 0.14, "returns": 0.12, "security": 0.12}
OCT_BILLING_SHARE = 0.30
# October inputs get longer: customers add context (see build_item_text)
OCT_DOC_EXTRA_P2 = 0.15               # summarization: +1 context sentence (+1 more w.p. 0.15)
OCT_QA_PREAMBLE_P, OCT_QA_EXTRA_P = 0.55, 0.12   # qa/rag: preamble 0.30 -> 0.55, + extra sentence
CAT_MIX_OCT = {c: (OCT_BILLING_SHARE if c == "billing"
                   else CAT_MIX_BASE[c] * (1 - OCT_BILLING_SHARE) / (1 - CAT_MIX_BASE["billing"]))
               for c in CATEGORIES}

# latent true quality q = MODEL_Q + TASK_Q + CAT_Q + item difficulty + row noise (+ interactions)
MODEL_Q = {"atlas-large": 0.62, "nova-medium": 0.80, "swift-small": 0.15, "legacy-v1": 0.0}
SWIFT_BILLING_PENALTY = -1.45         # swift-small x billing interaction
TASK_Q = {"summarization": 0.10, "qa": 0.0, "code": -0.20, "classification": 0.25, "rag": -0.05,
          "chat": 0.0}
CAT_Q = {"billing": -0.05, "technical_support": -0.10, "account": 0.05, "shipping": 0.05,
         "product_info": 0.10, "returns": 0.0, "security": -0.05}
ITEM_SD = 0.55                        # item difficulty sd (shared by the 4 models: paired design)
ROW_SD = 0.50                         # row noise sd
RAG_RETRIEVAL_EFFECT = 0.45           # + when the grade-3 doc is retrieved, - (1-hit rate) share otherwise

# KPI links (logistic = 1 / (1 + exp(-x)))
KPI_THUMBS = (0.30, 1.60)             # thumbs_up ~ Bernoulli(logistic(a + b q))
KPI_SUCCESS = (0.80, 1.40)            # task_success ~ Bernoulli(logistic(a + b q))
KPI_ESCALATE = (-1.80, -1.30)         # escalated ~ Bernoulli(logistic(a + b q))
CSAT_Q = 0.75                         # csat latent = 0.75 q + CSAT_OFFSET[c] + N(0, 1)
CSAT_CUTS = [-1.6, -0.7, 0.3, 1.2]    # -> 1..5
HANDLE_TIME = (180.0, -0.45, 0.45)    # exp(log(180) - 0.45 q + N(0, .45)) (+ U(300,1200) if escalated)

# Simpson's paradox: categories with high judge helpfulness have low baseline CSAT
HELP_OFFSET = {"billing": 0.90, "security": 0.65, "technical_support": 0.35, "account": 0.0,
               "product_info": -0.35, "returns": -0.65, "shipping": -0.90}
CSAT_OFFSET = {"billing": -1.50, "security": -1.10, "technical_support": -0.55, "account": 0.0,
               "product_info": 0.55, "returns": 1.10, "shipping": 1.50}

# judges: each score is the mean of 3 integer samples clip(round(mu + N(0, sd)), 1, 5)
JUDGE = {  # name: (intercept, slope on q, sample sd)
    "judge_relevance": (3.35, 0.85, 0.75),
    "judge_faithfulness": (3.30, 0.95, 0.70),
    "judge_coherence": (3.70, 0.45, 0.75),
    "judge_helpfulness": (3.10, 0.55, 0.70),  # + HELP_OFFSET[category]
}
OCT_RELEVANCE_NOISE = (3.55, 0.95, 0.75)   # October judge_relevance: mu = 3.55 + N(0, .95), no q
SAFETY_LOGIT = (-3.9, -0.6)           # generative tasks only: Bernoulli(logistic(a + b q))
SAFETY_MODEL = {"atlas-large": 0.0, "nova-medium": -0.3, "swift-small": 0.3, "legacy-v1": 0.6}
N_HUMAN_ITEMS = 600                   # human_rating on the same 600 items for every model
HUMAN = (3.05, 1.0, 0.75)             # mean of 2 annotators clip(round(a + b q + N(0, sd)), 1, 5)

# prices (USD per 1k tokens) and tokenizer efficiency (tokens per 4 characters)
PRICES = {
    "atlas-large": {"input_per_1k": 0.0120, "output_per_1k": 0.0360},
    "nova-medium": {"input_per_1k": 0.0040, "output_per_1k": 0.0120},
    "swift-small": {"input_per_1k": 0.0003, "output_per_1k": 0.0012},
    "legacy-v1": {"input_per_1k": 0.0020, "output_per_1k": 0.0060},
}
TOKENIZER = {"atlas-large": 1.00, "nova-medium": 1.00, "swift-small": 1.08, "legacy-v1": 1.22}
SYSTEM_PROMPT_TOKENS = {"summarization": 164, "qa": 212, "code": 138, "classification": 256,
                        "rag": 231, "chat": 297}
# latency_ms = (ttft + per_token * completion_tokens) * exp(sigma * z);  1.5% retries x U(2.5, 6)
LATENCY = {"atlas-large": (900.0, 28.0, 0.45), "nova-medium": (450.0, 14.0, 0.40),
           "swift-small": (180.0, 6.0, 0.45), "legacy-v1": (600.0, 16.0, 0.50)}
LATENCY_RETRY = (0.015, 2.5, 6.0)

# output quality levels: z = q + N(0, .35); good if z > -0.1, partial if z > -0.9, else bad
LEVEL_NOISE, LEVEL_GOOD, LEVEL_PARTIAL = 0.35, -0.10, -0.90
CODE_PASS_THRESHOLD = -0.25           # code output correct iff q + N(0, .35) > -0.25
CLS_CORRECT_THRESHOLD = -0.30         # classification correct iff q + N(0, .35) > -0.30
QA_CORRECT_THRESHOLD = -0.35          # qa answer correct iff q + N(0, .35) > -0.35
# chat replies end with a closing sentence with this probability (per model)
REPLY_CLOSER_P = {"atlas-large": 0.5, "nova-medium": 0.45, "swift-small": 0.35, "legacy-v1": 0.4}

# pass@k samples: 60 tasks x 4 models x 5 samples, each correct ~ Bernoulli(logistic(.4 + 1.8 qbar))
N_CODE_SAMPLE_TASKS, N_SAMPLES = 60, 5
PASSK_LOGIT = (0.4, 1.8)

# robustness: mean drop of q under each perturbation (plus N(0, .3) noise)
PERTURBATIONS = ["clean", "typo", "casing", "distractor", "prompt_injection"]
ROBUST_DROP = {
    "atlas-large": {"typo": 0.25, "casing": 0.05, "distractor": 0.30, "prompt_injection": 0.60},
    "nova-medium": {"typo": 0.10, "casing": 0.00, "distractor": 0.12, "prompt_injection": 0.20},
    "swift-small": {"typo": 1.10, "casing": 0.30, "distractor": 0.60, "prompt_injection": 1.50},
    "legacy-v1": {"typo": 0.60, "casing": 0.20, "distractor": 0.50, "prompt_injection": 1.00},
}
N_ADV_PARENTS = {"qa": 100, "chat": 100}

# policy values that the texts, the knowledge base and the rewording rules share
REFUND_DAYS = "5-7 business days"
RETENTION_DAYS = "30 days"
GRACE_DAYS = "7 days"
RESET_MINUTES = "30 minutes"
