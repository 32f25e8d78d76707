"""Former home of the scalar outputs, kept so that existing imports keep working.

The outputs are declared in ``scenarios.outputs`` and computed by ``simulation.scalars``.
"""

from simulation.scalars import KEY_OUTPUTS, SCALAR_OUTPUTS, TOTALS, scalar_outputs

__all__ = ["KEY_OUTPUTS", "SCALAR_OUTPUTS", "TOTALS", "scalar_outputs"]
