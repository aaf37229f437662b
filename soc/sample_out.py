"""The microphone receivers' output stage (soc/i2s_rx.py, soc/pdm_rx.py): one int16 sample per
``done`` into the front-end's stream; a sample that finds the previous one still unaccepted is dropped
and counted (``overrun`` sticks until ``clear_overrun``). The core provides ``last``, ``count``,
``dropped``, ``overrun`` and ``clear_overrun``."""
from migen import If


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
