"""The paper's ablation (table 1) with a fair protocol: learning rates chosen per variant
and seed on a validation split, several seeds, fine-tuning and a head-only probe."""
from .experiment import DEFAULTS, prepare, run_ablation
from .runs import FIGURES, VARIANTS
