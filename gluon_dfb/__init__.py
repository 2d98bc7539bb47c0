"""gluon-dfb: action recognition with spatial-temporal discriminative filter banks."""
from .zoo import get_model, list_models

__version__ = '0.1.0'
