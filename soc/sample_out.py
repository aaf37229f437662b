"""The microphone receivers' output stage (soc/i2s_rx.py, soc/pdm_rx.py): one int16 sample per
``done`` into the front-end's stream; a sample that finds the previous one still unaccepted is dropped
and counted (``overrun`` sticks until ``clear_overrun``). The core provides ``last``, ``count``,
``dropped``, ``overrun`` and ``clear_overrun``; ``sample_csrs`` gives both CSR wrappers the same
read-only registers over it."""
from migen import Cat, If


def sample_output(core, source, done, sample) -> tuple[list, list]:
    """(sync, comb) statements of the output stage."""
    sync = [
        If(done,
            core.last.eq(sample),
            If(~source.valid | source.ready,
                source.valid.eq(1), source.data.eq(sample), core.count.eq(core.count + 1),
            ).Else(
                core.overrun.eq(1), core.dropped.eq(core.dropped + 1),
            ),
        ).Elif(source.ready,
            source.valid.eq(0),
        ),
        If(core.clear_overrun, core.overrun.eq(0)),
    ]
    return sync, [source.first.eq(0), source.last.eq(0)]


def sample_csrs(wrapper, rx) -> list:
    """The receivers' read-only CSRs, set on ``wrapper`` in this order after its ``control``: status
    (bit 0 overrun, bit 1 valid), count, dropped, last; returns the comb statements driving them from
    the core ``rx``."""
    from litex.soc.interconnect.csr import CSRField, CSRStatus
    wrapper.status = CSRStatus(name="status", fields=[
        CSRField("overrun", size=1, offset=0), CSRField("valid", size=1, offset=1),
    ])
    wrapper.count = CSRStatus(32, name="count")
    wrapper.dropped = CSRStatus(32, name="dropped")
    wrapper.last = CSRStatus(32, name="last")
    return [wrapper.status.status.eq(Cat(rx.overrun, rx.source.valid)),
            wrapper.count.status.eq(rx.count), wrapper.dropped.status.eq(rx.dropped),
            wrapper.last.status.eq(rx.last)]                 # sign-extends
