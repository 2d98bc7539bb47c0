"""gluon-dfb: action recognition with spatial-temporal discriminative filter banks."""
__version__ = '0.1.0'
