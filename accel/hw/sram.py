"""On-chip SRAMs of the core. Each has one write port and one synchronous read port (a simple
dual-port BRAM); the host bus shares them with the engine while the core is idle."""
from migen import Memory


def sram(width, depth, name, granularity=0):
    return Memory(width, depth, name=name), granularity


def ports(mem, granularity):
    wp = mem.get_port(write_capable=True, we_granularity=granularity)
    rp = mem.get_port()
    return wp, rp
