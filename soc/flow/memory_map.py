"""docs/memory-map.md from LiteX's csr.json: bus regions, interrupts, CSR registers."""
from __future__ import annotations


def memory_map_markdown(csr: dict, board: str) -> str:
    lines = [f"# Memory map ({board} board)", "",
             f"Generated from the SoC by `python soc/build.py --board {board}` (build/{board}/memory-map.md);",
             "tests/test_soc_sim.py checks that this copy is current.", "", "## Bus regions", "",
             "| region | base | size | cached |", "| --- | --- | --- | --- |"]
    for name, m in sorted(csr.get("memories", {}).items(), key=lambda kv: kv[1]["base"]):
        lines.append(f"| {name} | 0x{m['base']:08x} | 0x{m['size']:x} | {'no' if m.get('type') == 'io' else 'yes'} |")
    lines += ["", "## Interrupts", "", "| irq | source |", "| --- | --- |"]
    irqs = {k[:-len("_interrupt")]: v for k, v in csr.get("constants", {}).items()
            if k.endswith("_interrupt") and not k.startswith("config_") and isinstance(v, int)}
    lines += [f"| {v} | {k} |" for k, v in sorted(irqs.items(), key=lambda kv: kv[1])]
    lines += ["", "## CSR registers", "", "| register | address | words | access |", "| --- | --- | --- | --- |"]
    for name, r in sorted(csr.get("csr_registers", {}).items(), key=lambda kv: kv[1]["addr"]):
        lines.append(f"| {name} | 0x{r['addr']:08x} | {r['size']} | {r['type']} |")
    return "\n".join(lines) + "\n"
