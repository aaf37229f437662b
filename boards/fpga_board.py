"""What the FPGA boards (boards/arty.py, nexys_a7.py, ulx3s.py) share: the polled 1 Mbaud UART and its
FIFO, firmware and model in a 64 KiB on-chip ROM with 32 KiB SRAM, main RAM on the board's DRAM
(LiteDRAM, so no integrated main RAM), the user LEDs, and no simulator configuration. Each board adds
its platform, clocks, DRAM PHY and microphone."""
from litex.soc.cores.gpio import GPIOOut

UART_BAUD = 1_000_000          # soc/uart_audio_proto.py DEFAULT_BAUD: 2.96x what 16 kHz streaming needs
# The firmware polls the UART (no interrupt-driven ring that could drop bytes), so the receive FIFO
# must cover the longest stretch between reads: one hop's front-end + accelerator + CPU work is
# ~100k cycles = 1 ms = 100 bytes at 1 Mbaud; 1024 bytes (10 ms) leaves a 10x margin.
UART_FIFO_DEPTH = 1024


class FPGABoard:
    # firmware + model data execute from on-chip ROM (in the bitstream). 64 KiB holds the KWS firmware
    # with the bundled model (51-53 KB accelerated, 64 KB CPU-only); --integrated-rom-size raises it.
    rom_size = 64 * 1024
    sram_size = 32 * 1024

    @staticmethod
    def check_variant(board: str, variant, variants):
        if variant not in variants:
            raise ValueError(f"unknown {board} variant {variant!r}; choose one of {', '.join(variants)}")

    def soc_kwargs(self):
        return dict(uart_name="serial", uart_baudrate=UART_BAUD, uart_fifo_depth=UART_FIFO_DEPTH,
                    integrated_main_ram_size=0)

    def add_leds(self, soc):
        soc.leds = GPIOOut(self.platform.request_all("user_led"))

    def sim_config(self, sys_clk_freq):
        return None
