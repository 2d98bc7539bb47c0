"""TSN and I3D networks with the discriminative filter bank head."""
from .recognizer import HEADS, Recognizer
from .tsn import TSNResNet
from .i3d import I3DResNet
