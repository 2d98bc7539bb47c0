"""The model zoo: names and catalogue entries (:mod:`.catalogue`, read from
``model_zoo/``), ``get_model``, the verified weight store (:mod:`.weights`), GluonCV's
weights by name (:mod:`.gluoncv_weights`), 2D weights inflated into I3D
(:mod:`.inflate`) and our names in GluonCV's zoo (:mod:`.gluoncv_registry`)."""
from .catalogue import (CATALOGUE, get_model, list_models, model_entry, read_zoo_file,
                        weight_store)

__all__ = ['get_model', 'list_models', 'model_entry', 'weight_store', 'read_zoo_file',
           'CATALOGUE']
