"""soc/litex_fixes.py: LiteX's Verilog backend must keep comparisons with negative constants signed."""
import shutil
import subprocess

import pytest
from migen import ClockDomain, If, Module, Signal

import soc.litex_fixes  # noqa: F401
from litex.gen.fhdl.verilog import convert


class Clamp(Module):
    def __init__(self):
        self.x = Signal((16, True))
        self.y = Signal((16, True))
        self.clock_domains.cd_sys = ClockDomain("sys")
        self.comb += If(self.x < -100, self.y.eq(-100)).Else(self.y.eq(self.x))


def _verilog(tmp_path):
    m = Clamp()
    convert(m, ios={m.x, m.y, m.cd_sys.clk, m.cd_sys.rst}, name="clamp").write(str(tmp_path / "clamp.v"))
    return (tmp_path / "clamp.v").read_text()


def test_negative_constants_print_as_signed_literals(tmp_path):
    text = _verilog(tmp_path)
    assert "8'sd156" in text               # -100 as 8-bit two's complement bits, signed literal
    assert "-8'd100" not in text           # LiteX's unsigned negated literal


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog (scripts/setup.sh)")
def test_negative_constant_comparison_behaves_signed(tmp_path):
    _verilog(tmp_path)
    (tmp_path / "tb.v").write_text("""
module tb; reg signed [15:0] x; wire signed [15:0] y; reg clk = 0, rst = 0;
clamp dut(.x(x), .y(y), .sys_clk(clk), .sys_rst(rst));
initial begin
  x = -200; #1 $display("%0d", y);
  x = 50;   #1 $display("%0d", y);
  x = -100; #1 $display("%0d", y);
  x = -99;  #1 $display("%0d", y);
end endmodule
""")
    subprocess.run(["iverilog", "-o", "sim", "tb.v", "clamp.v"], cwd=tmp_path, check=True)
    r = subprocess.run(["vvp", "-n", "sim"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["-100", "50", "-100", "-99"]
