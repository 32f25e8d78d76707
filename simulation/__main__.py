"""``python -m simulation`` points to the command line (the model's floor runs no commands).

The command line sits on the floor above (``interfaces``), which the simulation never imports;
this module only says where it is.
"""

import sys

print(
    "symbiosis: error: the command line is 'symbiosis' or 'python -m interfaces' "
    "(for example 'python -m interfaces run baseline'); 'simulation' is the model itself",
    file=sys.stderr,
)
sys.exit(2)
