"""gluon-dfb: action recognition with spatial-temporal discriminative filter banks.

Importing it also registers the zoo's names in GluonCV's model zoo
(:func:`gluon_dfb.zoo.gluoncv_registry.register_with_gluoncv`)."""
from .zoo.gluoncv_registry import register_with_gluoncv
from .zoo import get_model, list_models

__version__ = '0.1.0'

register_with_gluoncv()
