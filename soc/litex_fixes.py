"""Fixes to LiteX 2024.12 that our signed-arithmetic cores depend on; applied on import.

Negative signed constants. LiteX's Verilog backend prints ``Constant(-32768, (16, True))`` as
``-16'd32768``: in Verilog that is an *unsigned* expression, so a comparison such as
``x < -16'd32768`` on a signed ``x`` silently becomes unsigned and saturation logic breaks (found
when the front-end core gave 0x7f everywhere in the SoC while Migen's backend, used by its unit tests,
was bit-exact). Migen's own backend prints ``16'sd32768`` (two's complement bits, signed literal),
which keeps the expression signed; we make LiteX print constants the same way.
tests/test_soc_litex_fixes.py checks the generated text and the simulated behaviour.
"""
from litex.gen.fhdl import expression as _expression
from litex.gen.fhdl import verilog as _verilog


def _generate_constant(node):
    if node.signed:
        bits = node.value if node.value >= 0 else (1 << node.nbits) + node.value
        return f"{node.nbits}'sd{bits}", True
    return f"{node.nbits}'d{node.value}", False


_expression._generate_constant = _generate_constant
_verilog._generate_constant = _generate_constant
