"""Analytical model of the accelerator as built (accel/hw): cycles, MAC-active cycles and stalls per
descriptor (layer or fused DW+PW block) and per inference, in closed form from the compiler's
descriptors and an AccelConfig. Equations and validation: docs/dse.md."""
from accel.model.cycles import LayerCycles, layer_cycles, op_path, program_cycles  # noqa: F401
from accel.model.access import layer_access, program_access  # noqa: F401
from accel.model.report import model_report  # noqa: F401
