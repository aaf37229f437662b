"""The SoC's audio DMA (soc/kws_soc.py AudioDMA) in Migen's simulator: samples laid out in memory as
soc/audio.py writes them come out of its stream in order, for random clips and offsets, and a second
transfer after re-enabling starts from the new base."""
import numpy as np
from migen import Memory, Module
from migen.sim import run_simulation

from soc.audio import image_words
from soc.kws_soc import AudioDMA


class _Bench(Module):
    def __init__(self, words):
        from litex.soc.interconnect import wishbone
        self.submodules.dma = AudioDMA()
        mem = Memory(32, len(words), init=[int(w) for w in words])
        self.specials += mem
        self.submodules.sram = wishbone.SRAM(mem, bus=self.dma.bus)


def _run(words, transfers):
    """transfers: (byte address, bytes) pairs run one after the other; returns the samples streamed."""
    tb = _Bench(words)
    out = []
    r = tb.dma.reader

    def drive():
        for base, nbytes in transfers:
            yield r._enable.storage.eq(0)
            yield
            yield r._base.storage.eq(base)
            yield r._length.storage.eq(nbytes)
            yield r._enable.storage.eq(1)
            want = len(out) + nbytes // 2
            for _ in range(20 * nbytes + 100):
                yield
                if len(out) == want:
                    break
            assert len(out) == want, (len(out), want)
            for _ in range(40):
                yield
            assert (yield r.done) and len(out) == want      # done, and not one sample more

    def sink():
        src = tb.dma.source
        yield src.ready.eq(1)
        cycle = 0
        while True:
            yield
            cycle += 1
            if (yield src.valid) and (yield src.ready):
                v = yield src.data
                out.append(v - 65536 if v & 0x8000 else v)
            # a slow consumer now and then (the front-end FIFO fills up)
            yield src.ready.eq(int(cycle % 7 != 3))

    run_simulation(tb, {"sys": [drive(), _passive(sink)]})
    return np.array(out, np.int16)


def _passive(gen):
    from migen.sim import passive
    return passive(gen)()


def test_dma_streams_samples_in_order(seed):
    rng = np.random.default_rng(seed)
    clip = rng.integers(-32768, 32768, 2000).astype(np.int16)
    words = image_words(clip)                       # header (4 words) + two samples per word
    hop0, hop1 = 320, 640 + 2 * int(rng.integers(0, 300))
    got = _run(words, [(16, 2 * hop0), (16 + 2 * hop0, 2 * (hop1 - hop0))])
    assert np.array_equal(got, clip[:hop1]), "samples out of order or changed"
