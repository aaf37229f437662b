"""Board definitions: only what differs between boards (platform, clocks, pins, main RAM, and the
accelerator configuration that fits the FPGA: ``accel_config``)."""


def get_board(name, variant=None, toolchain=None):
    if name == "sim":
        from boards.sim import SimBoard
        return SimBoard(variant)
    if name == "arty":
        from boards.arty import DEFAULT_VARIANT, ArtyBoard
        return ArtyBoard(variant=variant or DEFAULT_VARIANT, toolchain=toolchain or "vivado")
    if name == "nexys_a7":
        from boards.nexys_a7 import DEFAULT_VARIANT, NexysA7Board
        return NexysA7Board(variant=variant or DEFAULT_VARIANT, toolchain=toolchain or "vivado")
    if name == "ulx3s":
        from boards.ulx3s import DEFAULT_VARIANT, ULX3SBoard
        return ULX3SBoard(variant=variant or DEFAULT_VARIANT, toolchain=toolchain)
    raise ValueError(f"unknown board {name!r}; choose one of: {', '.join(BOARDS)}")


BOARDS = ("sim", "arty", "nexys_a7", "ulx3s")
