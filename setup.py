"""gluon-dfb: action recognition with spatial-temporal discriminative filter banks."""
from setuptools import setup

setup(
    name='gluon-dfb',
    version='0.1.0',
    description='Discriminative filter bank action recognition (Martinez et al., ICCV 2019) '
                'for MXNet/GluonCV',
    long_description=open('README.rst').read(),
    python_requires='>=3.10',
    packages=['gluon_dfb', 'gluon_dfb.nn', 'gluon_dfb.models', 'gluon_dfb.data',
              'gluon_dfb.engine', 'gluon_dfb.inference', 'gluon_dfb.zoo', 'gluon_dfb.analysis',
              'gluon_dfb.ablation', 'gluon_dfb.model_zoo'],
    package_dir={'gluon_dfb': 'gluon_dfb', 'gluon_dfb.model_zoo': 'model_zoo'},
    package_data={'gluon_dfb.model_zoo': ['*.json', '*.txt']},
    entry_points={'console_scripts': ['gluon-dfb = gluon_dfb.cli:main']},
    install_requires=[
        'numpy==1.23.5',
        'gluoncv==0.10.5.post0',
        'decord==0.6.0',
        'imageio-ffmpeg',
        'opencv-python-headless',
        'matplotlib',
        'requests',
        'tqdm',
    ],
    extras_require={
        'cpu': ['mxnet==1.9.1'],
        'cu112': ['mxnet-cu112==1.9.1'],
        'test': ['pytest', 'pytest-timeout==2.4.0', 'pytest-xdist==3.6.1',
                 'scikit-video==1.1.11', 'onnx==1.16.2', 'onnxruntime==1.19.2', 'psutil'],
        'export': ['onnx==1.16.2', 'onnxruntime==1.19.2'],
        'docs': ['sphinx==7.4.7', 'numpydoc==1.8.0'],
        # Horovod compiles against the installed MXNet: `make horovod` builds it (Gloo,
        # no MPI) without build isolation, which a plain `pip install .[horovod]` lacks.
        'horovod': ['horovod==0.28.1', 'psutil', 'cloudpickle', 'pyyaml', 'packaging'],
    },
)
