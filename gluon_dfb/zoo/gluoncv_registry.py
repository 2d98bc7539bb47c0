"""Our model names in GluonCV's model zoo: after ``import gluon_dfb``,
``gluoncv.model_zoo.get_model(name, **kwargs)`` builds a DFB network (through
:func:`gluon_dfb.get_model`) and ``gluoncv.model_zoo.get_model_list()`` lists our names,
so that GluonCV's scripts and code written against its zoo can use them."""
import functools

import gluoncv
from gluoncv.model_zoo import model_zoo as gluoncv_zoo

from .catalogue import get_model, list_models

__all__ = ['register_with_gluoncv']


def register_with_gluoncv():
    """Add every name of :func:`~gluon_dfb.list_models` to GluonCV's model table.

    GluonCV 0.10.5 has no public hook for adding models: its ``get_model`` and
    ``get_model_list`` read the private dict ``gluoncv.model_zoo.model_zoo._models``
    (name to constructor; ``get_model`` lowercases the name, ours are lowercase), so the
    names go there. ``gluon_dfb`` calls this when it is imported.

    Raises
    ------
    ImportError
        If this GluonCV has no such table.
    """
    table = getattr(gluoncv_zoo, '_models', None)
    if not isinstance(table, dict):
        raise ImportError(
            'gluon_dfb registers its models in gluoncv.model_zoo.model_zoo._models, the '
            'model table of GluonCV 0.10.5, which gluoncv %s does not have; install '
            'gluoncv==0.10.5.post0' % gluoncv.__version__)
    for name in list_models():
        table[name] = functools.partial(get_model, name)
